// Federated CI jobs on the compiled binary (docs/ci.md "No stored secret"): no stored secret, only
// the job's own OIDC identity token, from a local CI identity issuer (its JWKS and a GitHub-shaped
// ID token request API: ci-identity-issuer.ts), exchanged at a token endpoint that verifies the
// token's signature, issuer, audience, subject and expiry in all three federated grants
// (federation-token-server.ts). Each source is used with one grant: the GitHub Actions request API
// with RFC 8693 token exchange, OAUTHX_<ID>_ID_TOKEN with the RFC 7523 jwt-bearer grant,
// OAUTHX_<ID>_ID_TOKEN_FILE with an RFC 7523 client assertion.

import { appendFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CI_SUBJECT, type CiIdentityIssuer } from "../support/ci-identity-issuer.ts";
import {
  AUDIENCE,
  accepted,
  CLIENT_ID,
  EXCHANGE_AUDIENCE,
  expectNotShown,
  type FederatedServers,
  GRANT_TYPES,
  type Grant,
  gitHubEnv,
  job,
  startFederatedServers,
} from "../support/federated-job.ts";
import type { FederationServer } from "../support/federation-token-server.ts";
import { startIamCredentialsQuirk } from "../support/quirk-google-iam-credentials.ts";
import { BIN, type Ran, run } from "../support/run-node.ts";

describe("federated CI job: 5-minute access tokens", () => {
  let servers: FederatedServers;
  let issuer: CiIdentityIssuer;
  let server: FederationServer;
  let root: string;

  beforeAll(async () => {
    servers = await startFederatedServers({ accessTokenTtl: 300 });
    ({ issuer, server, root } = servers);
  });
  afterAll(async () => {
    await servers?.close();
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

  it.each([
    ["Bun", BIN.bun, [] as string[]],
    ["Deno", BIN.deno, ["run", "-A"]],
    ["Node", BIN.node, [] as string[]],
  ])(
    "the source exchanges on %s too (WebCrypto, fetch, node:fs only)",
    async (name, runtime, flags) => {
      const ci = job(root, `runtime-${name}`, server, gitHubEnv(issuer));
      const main = join(import.meta.dirname, "../../src/main.ts");
      const result = await run(runtime, [...flags, main, "token", "fed-exchange"], { env: ci.env });
      expect(result.code, result.stderr).toBe(0);
      expect(await accepted(server, result.stdout.trim())).toBe(200);
    },
    60_000,
  );

  it("with a service account set, the federated token is traded for the service account's; unset, it is returned", async () => {
    const quirk = await startIamCredentialsQuirk({
      checkUrl: `${server.url}/check`,
      serviceAccount: "deployer@acme.iam.gserviceaccount.com",
    });
    const entry =
      `  fed-sa:\n    name: fed-sa\n    token_endpoint: ${server.tokenEndpoint}\n    scopes: [deploy]\n` +
      "    template_vars:\n      service_account: {description: the service account}\n" +
      `    federation:\n      grant: token-exchange\n      audience: ${AUDIENCE}\n` +
      `      exchange_audience: "${EXCHANGE_AUDIENCE}"\n` +
      `      impersonation_url: ${quirk.url}/v1/projects/-/serviceAccounts/{service_account}:generateAccessToken\n`;
    const withEntry = (name: string) => {
      const ci = job(root, name, server, gitHubEnv(issuer));
      appendFileSync(join(ci.home, "providers.yaml"), entry);
      return ci;
    };
    try {
      const impersonated = await withEntry("impersonation").oauthx(["token", "fed-sa"], {
        env: { OAUTHX_FED_SA_SERVICE_ACCOUNT: "deployer@acme.iam.gserviceaccount.com" },
      });
      expect(impersonated.code, impersonated.stderr).toBe(0);
      expect(quirk.issued).toEqual([impersonated.stdout.trim()]);
      const check = await fetch(`${quirk.url}/check`, {
        headers: { authorization: `Bearer ${quirk.issued[0]}` },
      });
      expect(check.status).toBe(200);
      expect(impersonated.stderr).toContain(`::add-mask::${quirk.issued[0]}`);

      const refused = await withEntry("impersonation-refused").oauthx(["token", "fed-sa"], {
        env: { OAUTHX_FED_SA_SERVICE_ACCOUNT: "other@acme.iam.gserviceaccount.com" },
      });
      expect(refused.code).toBe(6);
      expect(refused.stderr).toContain("[FEDERATION_REFUSED]");
      expect(refused.stderr).toContain("HTTP 403, PERMISSION_DENIED");

      const federatedOnly = await withEntry("no-impersonation").oauthx(["token", "fed-sa"]);
      expect(federatedOnly.code, federatedOnly.stderr).toBe(0);
      expect(await accepted(server, federatedOnly.stdout.trim())).toBe(200);
      expect(quirk.issued).toHaveLength(1);
    } finally {
      await quirk.close();
    }
  });

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
});

describe("federated CI job: 4-second access tokens", () => {
  let servers: FederatedServers;
  let issuer: CiIdentityIssuer;
  let server: FederationServer;
  let root: string;

  beforeAll(async () => {
    servers = await startFederatedServers({ accessTokenTtl: 4 });
    ({ issuer, server, root } = servers);
  });
  afterAll(async () => {
    await servers?.close();
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
