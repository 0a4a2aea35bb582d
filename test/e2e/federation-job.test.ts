// Federated CI jobs on the compiled binary (docs/ci.md "No stored secret"): no stored secret, only
// the job's own OIDC identity token, from a local CI identity issuer (its JWKS and a GitHub-shaped
// ID token request API: ci-identity-issuer.ts), exchanged at a token endpoint that verifies the
// token's signature, issuer, audience, subject and expiry in all three federated grants
// (federation-token-server.ts). Each source is used with one grant: the GitHub Actions request API
// with RFC 8693 token exchange, OAUTHX_<ID>_ID_TOKEN with the RFC 7523 jwt-bearer grant,
// OAUTHX_<ID>_ID_TOKEN_FILE with an RFC 7523 client assertion.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CI_SUBJECT, type CiIdentityIssuer, startCiIdentityIssuer } from "../support/ci-identity-issuer.ts";
import { type FederationServer, startFederationServer } from "../support/federation-token-server.ts";
import { BIN, type Ran, run } from "../support/run-node.ts";

const AUDIENCE = "https://sso.corp.example";
const EXCHANGE_AUDIENCE = "//iam.example/pools/ci/providers/local";
const CLIENT_ID = "ci-deployer";

const GRANT_TYPES = {
  "token-exchange": "urn:ietf:params:oauth:grant-type:token-exchange",
  "jwt-bearer": "urn:ietf:params:oauth:grant-type:jwt-bearer",
  "client-assertion": "client_credentials",
} as const;
type Grant = keyof typeof GRANT_TYPES;

function providersYaml(server: FederationServer): string {
  const entry = (id: string, grant: Grant, extra: string, audience = AUDIENCE) =>
    `  ${id}:\n    name: ${id}\n    token_endpoint: ${server.tokenEndpoint}\n    api_base: ${server.url}\n` +
    `    scopes: [deploy]\n    env: [FED_TOKEN]\n    git_hosts: ["127.0.0.1:1"]\n${extra}` +
    `    federation:\n      grant: ${grant}\n      audience: ${audience}\n` +
    (grant === "token-exchange" ? `      exchange_audience: "${EXCHANGE_AUDIENCE}"\n` : "");
  return (
    `providers:\n${entry("fed-exchange", "token-exchange", "")}${entry("fed-bearer", "jwt-bearer", "")}${entry(
      "fed-assertion",
      "client-assertion",
      `    client_id: ${CLIENT_ID}\n`,
    )}${entry("fed-wrong", "token-exchange", "", "https://not-trusted.example")}` +
    `  plain:\n    name: Not federated\n    token_endpoint: ${server.tokenEndpoint}\n` +
    `    authorization_endpoint: ${server.url}/authorize\n    client_id: cli\n`
  );
}

interface Job {
  home: string;
  env: Record<string, string>;
  oauthx(args: string[], more?: { env?: Record<string, string | undefined>; input?: string }): Promise<Ran>;
}

function job(root: string, name: string, server: FederationServer, env: Record<string, string>): Job {
  const dir = join(root, name);
  const home = join(dir, "home");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, "runner-temp"));
  writeFileSync(join(home, "providers.yaml"), providersYaml(server));
  const base = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    OAUTHX_HOME: home,
    OAUTHX_CI_CACHE_DIR: join(dir, "runner-temp"),
    ...env,
  };
  return {
    home,
    env: base,
    oauthx: (args, more = {}) =>
      run(BIN.oauthx, args, { env: { ...base, ...more.env }, ...(more.input ? { input: more.input } : {}) }),
  };
}

function gitHubEnv(issuer: CiIdentityIssuer): Record<string, string> {
  return {
    GITHUB_ACTIONS: "true",
    ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
  };
}

/** A secret appears in a call's output only inside `::add-mask::` commands, which the runner consumes. */
function expectNotShown(result: Ran, secret: string) {
  expect(result.stdout).not.toContain(secret);
  for (const line of result.stderr.split("\n")) {
    if (line.includes(secret)) expect(line).toBe(`::add-mask::${secret}`);
  }
}

async function accepted(server: FederationServer, token: string): Promise<number> {
  return (await fetch(`${server.url}/check`, { headers: { authorization: `Bearer ${token}` } })).status;
}

describe("federated CI job: 5-minute access tokens", () => {
  let issuer: CiIdentityIssuer;
  let server: FederationServer;
  let root: string;

  beforeAll(async () => {
    issuer = await startCiIdentityIssuer();
    server = await startFederationServer({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience: AUDIENCE,
      subject: CI_SUBJECT,
      clientId: CLIENT_ID,
      exchangeAudience: EXCHANGE_AUDIENCE,
      accessTokenTtl: 300,
    });
    root = mkdtempSync(join(tmpdir(), "oauthx-federation-"));
  });
  afterAll(async () => {
    await server?.close();
    await issuer?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const sources: [Grant, string, string][] = [
    ["token-exchange", "fed-exchange", "the GitHub Actions request API"],
    ["jwt-bearer", "fed-bearer", "OAUTHX_<ID>_ID_TOKEN"],
    ["client-assertion", "fed-assertion", "OAUTHX_<ID>_ID_TOKEN_FILE"],
  ];

  it.each(sources)(
    "%s (%s, from %s): 5 sequential and 8 concurrent calls make one exchange; every token is accepted",
    async (grant, provider) => {
      let env: Record<string, string>;
      let identityTokens: () => string[];
      if (grant === "token-exchange") {
        env = gitHubEnv(issuer);
        const before = issuer.issued.length;
        identityTokens = () => issuer.issued.slice(before);
      } else {
        const token = await issuer.issue({ aud: AUDIENCE });
        identityTokens = () => [token];
        if (grant === "jwt-bearer") env = { OAUTHX_FED_BEARER_ID_TOKEN: `${token}\n` };
        else {
          const file = join(root, `${provider}.jwt`);
          writeFileSync(file, token);
          env = { OAUTHX_FED_ASSERTION_ID_TOKEN_FILE: file };
        }
      }
      const ci = job(root, provider, server, env);
      const exchanges = server.exchanges[GRANT_TYPES[grant]] ?? 0;

      const results: Ran[] = [];
      const first = await ci.oauthx(["token", provider]);
      results.push(first);
      expect(first.code, first.stderr).toBe(0);
      results.push(await ci.oauthx(["exec", provider, "--", "sh", "-c", 'printf %s "$FED_TOKEN"']));
      results.push(await ci.oauthx(["api", provider, "/check"]));
      results.push(await ci.oauthx(["token", provider]));
      results.push(await ci.oauthx(["token", provider, "--json"]));
      results.push(...(await Promise.all(Array.from({ length: 8 }, () => ci.oauthx(["token", provider])))));
      for (const result of results) expect(result.code, result.stderr).toBe(0);

      expect((server.exchanges[GRANT_TYPES[grant]] ?? 0) - exchanges).toBe(1);
      const token = first.stdout.trim();
      const handedOut = [0, 1, 3, ...results.slice(5).map((_, index) => index + 5)].map((index) =>
        (results[index] as Ran).stdout.trim(),
      );
      expect(new Set([...handedOut, JSON.parse((results[4] as Ran).stdout).access_token])).toEqual(
        new Set([token]),
      );
      expect(await accepted(server, token)).toBe(200);
      expect(JSON.parse((results[2] as Ran).stdout)).toMatchObject({ sub: CI_SUBJECT });
      // The request went out with the protocol's members, and nothing else of the job's.
      if (grant === "client-assertion") expect(server.lastRequest.client_id).toBe(CLIENT_ID);
      if (grant === "token-exchange") {
        expect(server.lastRequest.audience).toBe(EXCHANGE_AUDIENCE);
        expect(issuer.audiences.at(-1)).toBe(AUDIENCE);
      }
      expect(server.lastRequest.scope).toBe("deploy");

      const identity = identityTokens();
      expect(identity).toHaveLength(1);
      for (const result of results) {
        expectNotShown(result, identity[0] as string);
        expectNotShown(result, issuer.requestToken);
      }
      // Under GitHub Actions, the identity token and the access token were masked before use.
      if (grant === "token-exchange") {
        expect(first.stderr).toContain(`::add-mask::${identity[0]}`);
        expect(first.stderr).toContain(`::add-mask::${token}`);
      }
      if (grant === "jwt-bearer") {
        // The identity token is oauthx's secret: a child of `exec` does not inherit it.
        const child = await ci.oauthx([
          "exec",
          provider,
          "--",
          "sh",
          "-c",
          "printenv OAUTHX_FED_BEARER_ID_TOKEN || printf unset",
        ]);
        expect(child.stdout).toBe("unset");
      }
      // Nothing under OAUTHX_HOME; the job's cache holds no token in the clear.
      expect(readdirSync(ci.home)).toEqual(["providers.yaml"]);

      const status = await ci.oauthx(["status", provider, "--json"]);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toEqual([
        expect.objectContaining({ provider, source: "federation", grant, cached: true, state: "valid" }),
      ]);
      expect(status.stdout).not.toContain(token);
    },
  );

  it("kube-credential and git-credential answer with the federated token", async () => {
    const ci = job(root, "credential-helpers", server, gitHubEnv(issuer));
    const kube = await ci.oauthx(["kube-credential", "fed-exchange"]);
    expect(kube.code, kube.stderr).toBe(0);
    const token = JSON.parse(kube.stdout).status.token as string;
    expect(await accepted(server, token)).toBe(200);
    const git = await ci.oauthx(["git-credential", "fed-exchange", "get"], {
      input: "protocol=https\nhost=127.0.0.1:1\n\n",
    });
    expect(git.code, git.stderr).toBe(0);
    expect(git.stdout).toContain(`password=${token}\n`);
  });

  it("a refused audience is FEDERATION_REFUSED (exit 6) showing iss, sub and aud, never the token", async () => {
    const ci = job(root, "refused", server, gitHubEnv(issuer));
    const before = issuer.issued.length;
    const result = await ci.oauthx(["token", "fed-wrong"]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain("[FEDERATION_REFUSED]");
    expect(result.stderr).toContain("invalid_grant: audience not accepted by the trust policy");
    expect(result.stderr).toContain(`iss=${issuer.issuer} sub=${CI_SUBJECT} aud=https://not-trusted.example`);
    const identity = issuer.issued.slice(before);
    expect(identity).toHaveLength(1);
    expectNotShown(result, identity[0] as string);
    expect(readdirSync(ci.home)).toEqual(["providers.yaml"]);
  });

  it("a seed and a federation source for one provider: the seed wins, as documented", async () => {
    const ci = job(root, "seed-wins", server, gitHubEnv(issuer));
    const status = await ci.oauthx(["status", "fed-exchange", "--json"], {
      env: { OAUTHX_FED_EXCHANGE_REFRESH_TOKEN: "a-seed" },
    });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual([
      expect.objectContaining({ provider: "fed-exchange", source: "OAUTHX_FED_EXCHANGE_REFRESH_TOKEN" }),
    ]);
    expect(status.stdout).not.toContain("a-seed");
  });

  it("a federation-only built-in has no login, and says where its login comes from", async () => {
    const ci = job(root, "no-login", server, {});
    const result = await ci.oauthx(["login", "entra"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("entra serves CI jobs only (federation, client-assertion)");
  });

  it("GitHub Actions without `permissions: id-token: write` is named at once", async () => {
    const ci = job(root, "no-permission", server, { GITHUB_ACTIONS: "true" });
    const started = Date.now();
    const result = await ci.oauthx(["token", "fed-exchange"]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("permissions: id-token: write");
    // A provider without a federation block is not concerned: it wants an ordinary login, in a
    // job without the permission or with half of the request API.
    for (const env of [{}, { ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl }]) {
      const plain = await ci.oauthx(["token", "plain"], { env });
      expect(plain.code).toBe(4);
      expect(plain.stderr).toContain("[AUTH_REQUIRED]");
    }
  });

  it("a request API that refuses (401) or fails (503) is ID_TOKEN_UNAVAILABLE with the remedy", async () => {
    const ci = job(root, "request-api", server, gitHubEnv(issuer));
    try {
      issuer.mode = "unauthorized";
      const refused = await ci.oauthx(["token", "fed-exchange"]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain("[ID_TOKEN_UNAVAILABLE]");
      expect(refused.stderr).toContain("HTTP 401");
      expect(refused.stderr).toContain("id-token: write");
      issuer.mode = "unavailable";
      const failed = await ci.oauthx(["token", "fed-exchange"]);
      expect(failed.code).toBe(4);
      expect(failed.stderr).toContain("HTTP 503");
      expectNotShown(failed, issuer.requestToken);
    } finally {
      issuer.mode = "ok";
    }
  });

  it("a request API that hangs is a NETWORK error within seconds", async () => {
    const ci = job(root, "hang", server, gitHubEnv(issuer));
    try {
      issuer.mode = "hang";
      const started = Date.now();
      const result = await ci.oauthx(["token", "fed-exchange"]);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result.code).toBe(7);
      expect(result.stderr).toContain("the GitHub Actions ID token request failed");
    } finally {
      issuer.mode = "ok";
    }
  }, 30_000);

  it("an expired or unreadable identity token file is ID_TOKEN_UNAVAILABLE before anything is sent", async () => {
    const file = join(root, "expired.jwt");
    writeFileSync(file, await issuer.issue({ aud: AUDIENCE, lifetime: -60 }));
    const ci = job(root, "expired-file", server, { OAUTHX_FED_ASSERTION_ID_TOKEN_FILE: file });
    const total = Object.values(server.exchanges).reduce((sum, count) => sum + count, 0);
    const expired = await ci.oauthx(["token", "fed-assertion"]);
    expect(expired.code).toBe(4);
    expect(expired.stderr).toMatch(/identity token in the file .* expired at/);
    const missing = await ci.oauthx(["token", "fed-assertion"], {
      env: { OAUTHX_FED_ASSERTION_ID_TOKEN_FILE: join(root, "absent.jwt") },
    });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("cannot read the identity token file");
    expect(Object.values(server.exchanges).reduce((sum, count) => sum + count, 0)).toBe(total);
  });
});

describe("federated CI job: 4-second access tokens", () => {
  let issuer: CiIdentityIssuer;
  let server: FederationServer;
  let root: string;

  beforeAll(async () => {
    issuer = await startCiIdentityIssuer();
    server = await startFederationServer({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience: AUDIENCE,
      subject: CI_SUBJECT,
      clientId: CLIENT_ID,
      exchangeAudience: EXCHANGE_AUDIENCE,
      accessTokenTtl: 4,
    });
    root = mkdtempSync(join(tmpdir(), "oauthx-federation-short-"));
  });
  afterAll(async () => {
    await server?.close();
    await issuer?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("an expiring access token is exchanged again, with a fresh identity token", async () => {
    const ci = job(root, "expiry", server, gitHubEnv(issuer));
    const first = await ci.oauthx(["token", "fed-exchange"]);
    expect(first.code, first.stderr).toBe(0);
    const cached = await ci.oauthx(["token", "fed-exchange"]);
    expect(cached.stdout).toBe(first.stdout);
    // A 4-second token serves the first half of its life (token-manager.ts requiredSeconds).
    await new Promise((resolve) => setTimeout(resolve, 2_600));
    const second = await ci.oauthx(["token", "fed-exchange"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).not.toBe(first.stdout);
    expect(server.exchanges[GRANT_TYPES["token-exchange"]]).toBe(2);
    expect(issuer.issued).toHaveLength(2);
    expect(new Set(server.jtis).size).toBe(2);
    expect(await accepted(server, second.stdout.trim())).toBe(200);
  });
  it("exec --serve hands a long-running child a renewed token, from a fresh identity token", async () => {
    const ci = job(root, "serve", server, gitHubEnv(issuer));
    const exchanges = server.exchanges[GRANT_TYPES["token-exchange"]] ?? 0;
    const issued = issuer.issued.length;
    const child = [
      'const get = async () => (await (await fetch(process.env.OAUTHX_SERVE_URL + "/fed-exchange", {',
      '  headers: { authorization: "Bearer " + process.env.OAUTHX_SERVE_SECRET } })).json()).access_token;',
      "const first = await get();",
      "await new Promise((resolve) => setTimeout(resolve, 2600));",
      "console.log(JSON.stringify([first, await get()]));",
    ].join("\n");
    const result = await ci.oauthx([
      "exec",
      "fed-exchange",
      "--serve",
      "--",
      BIN.node,
      "--input-type=module",
      "-e",
      child,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const [first, second] = JSON.parse(result.stdout) as [string, string];
    expect(second).not.toBe(first);
    expect(await accepted(server, second)).toBe(200);
    expect((server.exchanges[GRANT_TYPES["token-exchange"]] ?? 0) - exchanges).toBe(2);
    const identity = issuer.issued.slice(issued);
    expect(identity).toHaveLength(2);
    expect(identity[0]).not.toBe(identity[1]);
    for (const token of identity) expectNotShown(result, token);
  });
});
