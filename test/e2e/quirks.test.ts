// The built-in entries of providers with quirks, driven through dist/oauthx against small fakes of
// those quirks (test/support/quirk-*.ts). The user's providers file overrides only the BUILT-IN
// entry's endpoints (and api_base), so every quirk field — scope_param, nested_in, ok_field, keep,
// default_expires_in, expires_from, headers, revocation style, env names — comes from
// providers.yaml as shipped. The browser is a script that follows the redirects: a user who
// consents at once.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GITHUB_FAKE_CLIENT_ID,
  GITHUB_FAKE_CLIENT_SECRET,
  type GitHubTokenEndpoint,
  startGitHubTokenEndpoint,
} from "../support/quirk-github-token-endpoint.ts";
import {
  JOBBER_FAKE_CLIENT_ID,
  JOBBER_FAKE_CLIENT_SECRET,
  JOBBER_FAKE_TTL_SECONDS,
  type JobberFake,
  startJobberFake,
} from "../support/quirk-jobber-oauth.ts";
import {
  SALESFORCE_FAKE_CLIENT_ID,
  type SalesforceFake,
  startSalesforceFake,
} from "../support/quirk-salesforce-oauth.ts";
import {
  SLACK_FAKE_CLIENT_ID,
  SLACK_FAKE_CLIENT_SECRET,
  type SlackFake,
  startSlackFake,
} from "../support/quirk-slack-oauth.ts";
import { BIN, type Ran, run } from "../support/run-node.ts";

/**
 * $BROWSER: fetches the URL and follows every redirect (to the loopback in the end). With
 * FAKE_BROWSER=tamper it swaps the code for another before delivering the redirect.
 */
const BROWSER_SCRIPT = `
const url = process.argv[2];
const tamper = process.env.FAKE_BROWSER === "tamper";
const first = await fetch(url, { redirect: "manual" });
let next = first.headers.get("location");
if (!next) { console.error("no redirect:", first.status, await first.text()); process.exit(1); }
if (tamper) { const u = new URL(next); u.searchParams.set("code", "not-a-code-we-issued"); next = u.toString(); }
const last = await fetch(next);
await last.text();
`;

interface QuirkCli {
  home: string;
  oauthx(args: string[], env?: Record<string, string>): Promise<Ran>;
  cleanup(): void;
}

function quirkCli(providerYaml: string, env: Record<string, string>): QuirkCli {
  const root = mkdtempSync(join(tmpdir(), "oauthx-quirks-"));
  const home = join(root, "home");
  mkdirSync(home, { mode: 0o700 });
  writeFileSync(join(home, "providers.yaml"), providerYaml);
  const script = join(root, "browser.mjs");
  writeFileSync(script, BROWSER_SCRIPT);
  const browser = join(root, "browser");
  writeFileSync(browser, `#!/bin/sh\nexec "${BIN.node}" "${script}" "$1"\n`, { mode: 0o755 });
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: root,
    OAUTHX_HOME: home,
    BROWSER: browser,
    NO_COLOR: "1",
    ...env,
  };
  return {
    home,
    oauthx: (args, more = {}) => run(BIN.oauthx, args, { env: { ...base, ...more } }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A port nobody listens on now, for providers whose redirect pins one (passed as --port). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface StatusRow {
  provider: string;
  account: string | null;
  scopes: string[];
  expires_in: number | null;
  refresh_token: boolean;
  state: string;
}

async function status(cli: QuirkCli, provider: string): Promise<StatusRow> {
  const result = await cli.oauthx(["status", provider, "--json"]);
  expect(result.code, result.stderr).toBe(0);
  const [row] = JSON.parse(result.stdout) as StatusRow[];
  return row as StatusRow;
}

async function token(cli: QuirkCli, provider: string): Promise<string> {
  const result = await cli.oauthx(["token", provider]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

describe("github (built-in entry, endpoints at a GitHub-style fake with expiring user tokens)", () => {
  let fake: GitHubTokenEndpoint;
  let cli: QuirkCli;
  beforeAll(async () => {
    fake = await startGitHubTokenEndpoint({ expiring: true });
    cli = quirkCli(
      [
        "providers:",
        "  github:",
        `    authorization_endpoint: ${fake.url}/login/oauth/authorize`,
        `    token_endpoint: ${fake.url}/login/oauth/access_token`,
        `    userinfo_endpoint: ${fake.url}/user`,
        `    revocation_endpoint: ${fake.url}/applications/{client_id}/token`,
        `    api_base: ${fake.url}`,
        "",
      ].join("\n"),
      {
        OAUTHX_GITHUB_CLIENT_ID: GITHUB_FAKE_CLIENT_ID,
        OAUTHX_GITHUB_CLIENT_SECRET: GITHUB_FAKE_CLIENT_SECRET,
      },
    );
  });
  afterAll(async () => {
    cli?.cleanup();
    await fake?.close();
  });

  it("login: PKCE on a 127.0.0.1 redirect, the secret in the body, JSON asked for, a User-Agent sent", async () => {
    const result = await cli.oauthx(["login", "github", "--timeout", "30s"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Logged in to GitHub as The Octocat.");
    const [authorization] = fake.authorizations;
    expect(authorization?.params.code_challenge_method).toBe("S256");
    expect(authorization?.redirect_uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    // gh's minimum scopes by default, space-separated in the request (GitHub answers with commas).
    expect(authorization?.params.scope).toBe("repo read:org gist");
    const exchange = fake.requests.find((request) => request.path === "/login/oauth/access_token");
    expect(exchange?.accept).toContain("application/json");
    expect(exchange?.user_agent).toBe("oauthx");
    expect(exchange?.form).toMatchObject({
      grant_type: "authorization_code",
      client_id: GITHUB_FAKE_CLIENT_ID,
      client_secret: GITHUB_FAKE_CLIENT_SECRET,
    });
    expect(exchange?.form?.code_verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    // The account label came from GET /user, which GitHub refuses without a User-Agent.
    expect(fake.requests.find((request) => request.path === "/user")?.user_agent).toBe("oauthx");
  });

  it("token, status (comma scopes split, 8 h expiry), exec (GH_TOKEN and GITHUB_TOKEN), api", async () => {
    const access = await token(cli, "github");
    expect(access).toBe("ghu_fake1");
    expect(fake.liveTokens.has(access)).toBe(true);
    const row = await status(cli, "github");
    expect(row).toMatchObject({
      account: "The Octocat",
      scopes: ["repo", "gist"],
      refresh_token: true,
      state: "valid",
    });
    expect(row.expires_in).toBeGreaterThan(28800 - 60);
    expect(row.expires_in).toBeLessThanOrEqual(28800);
    const exec = await cli.oauthx([
      "exec",
      "github",
      "--",
      "sh",
      "-c",
      'printf "%s|%s" "$GH_TOKEN" "$GITHUB_TOKEN"',
    ]);
    expect(exec.code, exec.stderr).toBe(0);
    expect(exec.stdout).toBe(`${access}|${access}`);
    const api = await cli.oauthx(["api", "github", "/user"]);
    expect(api.code, api.stderr).toBe(0);
    expect(JSON.parse(api.stdout)).toMatchObject({ login: "octocat" });
  });

  it("refresh spends the single-use refresh token and stores the new pair", async () => {
    const result = await cli.oauthx(["refresh", "github"]);
    expect(result.code, result.stderr).toBe(0);
    const refresh = fake.requests.filter((request) => request.form?.grant_type === "refresh_token");
    expect(refresh).toHaveLength(1);
    expect(refresh[0]?.form).toMatchObject({
      refresh_token: "ghr_fake1",
      client_secret: GITHUB_FAKE_CLIENT_SECRET,
    });
    expect(refresh[0]?.accept).toContain("application/json");
    expect(fake.liveRefreshTokens.has("ghr_fake1")).toBe(false);
    expect(fake.liveTokens.has("ghu_fake1")).toBe(false);
    expect(await token(cli, "github")).toBe("ghu_fake2");
    expect((await status(cli, "github")).refresh_token).toBe(true);
  });

  it("logout revokes the access token with DELETE and Basic auth, and never sends the refresh token", async () => {
    const result = await cli.oauthx(["logout", "github", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ revoked: "revoked", deleted: true });
    const deletes = fake.requests.filter((request) => request.method === "DELETE");
    expect(deletes).toHaveLength(1);
    expect(fake.liveTokens.has("ghu_fake2")).toBe(false);
    expect(fake.liveRefreshTokens.has("ghr_fake2")).toBe(false);
  });
});

describe("slack (built-in entry, endpoints at a Slack-style fake)", () => {
  let fake: SlackFake;
  let cli: QuirkCli;
  let port: number;
  beforeAll(async () => {
    fake = await startSlackFake();
    port = await freePort();
    cli = quirkCli(
      [
        "providers:",
        "  slack:",
        `    authorization_endpoint: ${fake.url}/oauth/v2/authorize`,
        `    token_endpoint: ${fake.url}/api/oauth.v2.access`,
        `    revocation_endpoint: ${fake.url}/api/auth.revoke`,
        `    api_base: ${fake.url}/api`,
        "",
      ].join("\n"),
      { OAUTHX_SLACK_CLIENT_ID: SLACK_FAKE_CLIENT_ID, OAUTHX_SLACK_CLIENT_SECRET: SLACK_FAKE_CLIENT_SECRET },
    );
  });
  afterAll(async () => {
    cli?.cleanup();
    await fake?.close();
  });

  it("a code the server does not know: HTTP 200 with ok:false is TOKEN_EXCHANGE_FAILED (exit 6)", async () => {
    const result = await cli.oauthx(["login", "slack", "--port", String(port), "--timeout", "30s"], {
      FAKE_BROWSER: "tamper",
    });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain("[TOKEN_EXCHANGE_FAILED]");
    expect(result.stderr).toContain("invalid_code");
    expect((await cli.oauthx(["status", "--json"])).stdout.trim()).toBe("[]");
  });

  it("login: user scopes in user_scope (comma-separated), no scope; the token read from authed_user", async () => {
    const result = await cli.oauthx([
      "login",
      "slack",
      "--port",
      String(port),
      "--scope",
      "users:read",
      "--scope",
      "search:read",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const authorization = fake.authorizations.at(-1);
    expect(authorization?.params.user_scope).toBe("users:read,search:read");
    expect(authorization?.params).not.toHaveProperty("scope");
    expect(authorization?.redirect_uri).toBe(`http://localhost:${port}/callback`);
    const exchange = fake.requests
      .filter((request) => request.form?.grant_type === "authorization_code")
      .at(-1);
    expect(exchange?.form).toMatchObject({
      client_id: SLACK_FAKE_CLIENT_ID,
      client_secret: SLACK_FAKE_CLIENT_SECRET,
    });
    expect(exchange?.form?.code_verifier).toBeTruthy();
  });

  it("token, status (12 h expiry, comma scopes), exec (SLACK_USER_TOKEN), api", async () => {
    const access = await token(cli, "slack");
    expect(access).toBe("xoxe.xoxp-1-fake1");
    const row = await status(cli, "slack");
    expect(row).toMatchObject({ scopes: ["users:read", "search:read"], refresh_token: true, state: "valid" });
    expect(row.expires_in).toBeGreaterThan(43200 - 60);
    const exec = await cli.oauthx(["exec", "slack", "--", "sh", "-c", 'printf "%s" "$SLACK_USER_TOKEN"']);
    expect(exec.stdout).toBe(access);
    const api = await cli.oauthx(["api", "slack", "/auth.test", "--method", "POST"]);
    expect(api.code, api.stderr).toBe(0);
    expect(JSON.parse(api.stdout)).toMatchObject({ ok: true, user: "alice" });
  });

  it("refresh reads the flat refresh answer (no authed_user) and keeps the rotated token", async () => {
    const result = await cli.oauthx(["refresh", "slack"]);
    expect(result.code, result.stderr).toBe(0);
    const refresh = fake.requests.filter((request) => request.form?.grant_type === "refresh_token");
    expect(refresh.map((request) => request.form?.refresh_token)).toEqual(["xoxe-1-fake1"]);
    expect(await token(cli, "slack")).toBe("xoxe.xoxp-1-fake2");
    const row = await status(cli, "slack");
    expect(row).toMatchObject({ refresh_token: true, state: "valid", scopes: ["users:read", "search:read"] });
    // The new refresh token was stored: a second refresh works.
    expect((await cli.oauthx(["refresh", "slack"])).code).toBe(0);
    expect(await token(cli, "slack")).toBe("xoxe.xoxp-1-fake3");
  });

  it("logout revokes with auth.revoke and the access token as Bearer; the refresh token is not sent", async () => {
    const result = await cli.oauthx(["logout", "slack", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ revoked: "revoked", deleted: true });
    const revokes = fake.requests.filter((request) => request.path === "/api/auth.revoke");
    expect(revokes.map((request) => request.authorization)).toEqual(["Bearer xoxe.xoxp-1-fake3"]);
    expect(fake.revoked).toEqual(["xoxe.xoxp-1-fake3"]);
  });
});

describe("salesforce (built-in entry, endpoints at a Salesforce-style fake)", () => {
  let fake: SalesforceFake;
  let cli: QuirkCli;
  let port: number;
  beforeAll(async () => {
    fake = await startSalesforceFake();
    port = await freePort();
    // api_base stays the built-in "{instance_url}": the fake answers with itself as the instance.
    cli = quirkCli(
      [
        "providers:",
        "  salesforce:",
        `    authorization_endpoint: ${fake.url}/services/oauth2/authorize`,
        `    token_endpoint: ${fake.url}/services/oauth2/token`,
        `    revocation_endpoint: ${fake.url}/services/oauth2/revoke`,
        `    userinfo_endpoint: ${fake.url}/services/oauth2/userinfo`,
        "",
      ].join("\n"),
      { OAUTHX_SALESFORCE_CLIENT_ID: SALESFORCE_FAKE_CLIENT_ID },
    );
  });
  afterAll(async () => {
    cli?.cleanup();
    await fake?.close();
  });

  it("login without a secret, PKCE required, on the SF CLI's path", async () => {
    const result = await cli.oauthx(["login", "salesforce", "--port", String(port)]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Logged in to Salesforce as alice@acme.example.");
    const [authorization] = fake.authorizations;
    expect(authorization?.params.scope).toBe("api refresh_token");
    expect(authorization?.redirect_uri).toBe(`http://localhost:${port}/OauthRedirect`);
    const exchange = fake.requests.find((request) => request.form?.grant_type === "authorization_code");
    expect(exchange?.form).not.toHaveProperty("client_secret");
  });

  it("with openid: an ID token for this login is accepted; one carrying another login's nonce fails the login", async () => {
    const scopes = ["--scope", "openid", "--scope", "api", "--scope", "refresh_token"];
    const good = await cli.oauthx([
      "login",
      "salesforce",
      "--profile",
      "oidc",
      "--port",
      String(port),
      ...scopes,
    ]);
    expect(good.code, good.stderr).toBe(0);
    expect(fake.authorizations.at(-1)?.params.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const liveBefore = [...fake.liveRefreshTokens];
    fake.idTokenFromAnotherLogin = true;
    try {
      const mixed = await cli.oauthx([
        "login",
        "salesforce",
        "--profile",
        "mixup",
        "--port",
        String(port),
        ...scopes,
      ]);
      expect(mixed.code).toBe(6);
      expect(mixed.stderr).toContain("belongs to another login (nonce) [INVALID_RESPONSE]");
      expect(mixed.stderr).not.toContain("nonce-of-another-login");
      // What the server issued for the refused login was revoked, not left valid with no holder.
      expect([...fake.liveRefreshTokens]).toEqual(liveBefore);
    } finally {
      fake.idTokenFromAnotherLogin = false;
    }
    const profiles = JSON.parse((await cli.oauthx(["status", "salesforce", "--json"])).stdout) as {
      profile: string;
    }[];
    expect(profiles.map((row) => row.profile).sort()).toEqual(["default", "oidc"]);
    expect((await cli.oauthx(["logout", "salesforce", "--profile", "oidc"])).code).toBe(0);
  });

  it("status assumes the default lifetime (no expires_in); exec sets SF_ACCESS_TOKEN and SFDX_ACCESS_TOKEN", async () => {
    const row = await status(cli, "salesforce");
    expect(row).toMatchObject({ account: "alice@acme.example", refresh_token: true, state: "valid" });
    expect(row.scopes).toEqual(["api", "refresh_token"]);
    // providers.yaml: default_expires_in 900.
    expect(row.expires_in).toBeGreaterThan(900 - 60);
    expect(row.expires_in).toBeLessThanOrEqual(900);
    const access = await token(cli, "salesforce");
    expect(access).toMatch(/^00DFAKE000000001!/);
    const exec = await cli.oauthx([
      "exec",
      "salesforce",
      "--",
      "sh",
      "-c",
      'echo "$SF_ACCESS_TOKEN|$SFDX_ACCESS_TOKEN"',
    ]);
    expect(exec.stdout.trim()).toBe(`${access}|${access}`);
  });

  it("api goes to the kept instance_url", async () => {
    const result = await cli.oauthx(["api", "salesforce", "/services/data/v62.0/"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty("sobjects");
  });

  it("refresh returns only an access token: the refresh token is kept", async () => {
    const before = await token(cli, "salesforce");
    const result = await cli.oauthx(["refresh", "salesforce"]);
    expect(result.code, result.stderr).toBe(0);
    const after = await token(cli, "salesforce");
    expect(after).not.toBe(before);
    expect(fake.liveTokens.has(after)).toBe(true);
    const row = await status(cli, "salesforce");
    expect(row.refresh_token).toBe(true);
    expect(row.expires_in).toBeGreaterThan(900 - 60);
    expect((await cli.oauthx(["refresh", "salesforce"])).code).toBe(0);
  });

  it("logout revokes the refresh token (RFC 7009), then the access token", async () => {
    const result = await cli.oauthx(["logout", "salesforce", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ revoked: "revoked" });
    expect(fake.liveRefreshTokens.size).toBe(0);
  });
});

describe("jobber (built-in entry, endpoints at a Jobber-style fake)", () => {
  let fake: JobberFake;
  let cli: QuirkCli;
  let port: number;
  beforeAll(async () => {
    fake = await startJobberFake();
    port = await freePort();
    cli = quirkCli(
      [
        "providers:",
        "  jobber:",
        `    authorization_endpoint: ${fake.url}/api/oauth/authorize`,
        `    token_endpoint: ${fake.url}/api/oauth/token`,
        `    api_base: ${fake.url}/api`,
        "",
      ].join("\n"),
      {
        OAUTHX_JOBBER_CLIENT_ID: JOBBER_FAKE_CLIENT_ID,
        OAUTHX_JOBBER_CLIENT_SECRET: JOBBER_FAKE_CLIENT_SECRET,
      },
    );
  });
  afterAll(async () => {
    cli?.cleanup();
    await fake?.close();
  });

  it("a denial that comes back with no parameters at all is AUTH_DENIED (exit 5)", async () => {
    fake.deny = true;
    const result = await cli.oauthx(["login", "jobber", "--port", String(port), "--timeout", "30s"]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain("[AUTH_DENIED]");
  });

  it("login without PKCE or scope; the lifetime comes from the access token's exp", async () => {
    const result = await cli.oauthx(["login", "jobber", "--port", String(port)]);
    expect(result.code, result.stderr).toBe(0);
    expect(fake.authorizations[0]?.params).not.toHaveProperty("code_challenge");
    const row = await status(cli, "jobber");
    expect(row.refresh_token).toBe(true);
    // exp, not the default_expires_in of 3600.
    expect(row.expires_in).toBeGreaterThan(JOBBER_FAKE_TTL_SECONDS - 60);
    expect(row.expires_in).toBeLessThanOrEqual(JOBBER_FAKE_TTL_SECONDS);
    const api = await cli.oauthx(["api", "jobber", "/graphql", "-d", '{"query":"{ account { name } }"}']);
    expect(api.code, api.stderr).toBe(0);
    expect(JSON.parse(api.stdout)).toMatchObject({ data: { account: { name: "Acme Lawn Care" } } });
  });

  it("refresh rotates the refresh token", async () => {
    const before = await token(cli, "jobber");
    expect((await cli.oauthx(["refresh", "jobber"])).code).toBe(0);
    expect(await token(cli, "jobber")).not.toBe(before);
    expect(fake.liveRefreshTokens.has("jobber-refresh-1")).toBe(false);
    expect((await cli.oauthx(["refresh", "jobber"])).code).toBe(0);
  });
});
