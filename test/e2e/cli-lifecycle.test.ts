// The compiled binary against a real authorization server (oidc-provider with refresh-token
// rotation and reuse detection): login through a loopback redirect, token, status, exec, refresh
// after expiry, refresh races between processes, logout with revocation.

import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateIdentity } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEntry, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { type AuthServer, startAuthServer, userinfoStatus } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("dist/oauthx: login → token → exec → refresh → logout", () => {
  let server: AuthServer;
  let cli: CliHarness;
  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 600 });
    cli = cliHarness(server);
  });
  afterAll(async () => {
    cli?.cleanup();
    await server?.close();
  });

  it("login opens $BROWSER, takes the loopback redirect and stores the tokens", async () => {
    const result = await cli.oauthx(["login", "local", "--timeout", "30s"]);
    expect(result.stderr).toContain("Logged in to Local Test Server as alice@example.test.");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`${server.issuer}/auth?`);
    // No secret reaches the terminal: no code, verifier or token.
    expect(result.stderr).not.toMatch(/code_verifier|access_token|refresh_token|[?&]code=/);
  });

  it("token prints a working access token and nothing else", async () => {
    const result = await cli.oauthx(["token", "local"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const token = result.stdout.trim();
    expect(result.stdout).toBe(`${token}\n`);
    expect(await userinfoStatus(server, token)).toBe(200);
  });

  it("status --json reports the account, scopes and a refresh token, without tokens", async () => {
    const result = await cli.oauthx(["status", "--json"]);
    expect(result.code).toBe(0);
    const [row] = JSON.parse(result.stdout);
    expect(row).toMatchObject({
      provider: "local",
      profile: "default",
      account: "alice@example.test",
      refresh_token: true,
      state: "valid",
    });
    // The granted scopes as the server reported them (oidc-provider does not echo offline_access).
    expect(row.scopes).toEqual(expect.arrayContaining(["openid", "email"]));
    expect(result.stdout).not.toContain((await cli.oauthx(["token", "local"])).stdout.trim());
  });

  it("exec gives the child the token under every env name and none of oauthx's secrets", async () => {
    const script =
      'printf "%s|%s|%s|%s" "$LOCAL_TOKEN" "$LOCAL_ACCESS_TOKEN" "$(printenv OAUTHX_AGE_IDENTITY || echo unset)" "$OAUTHX_EXEC"';
    // A foreign identity cannot open the store: a clear error, and the child never runs.
    const foreign = await cli.oauthx(["exec", "local", "--", "sh", "-c", "echo ran"], {
      env: { OAUTHX_AGE_IDENTITY: await generateIdentity() },
    });
    expect(foreign.code).toBe(8);
    expect(foreign.stdout).toBe("");
    expect(foreign.stderr).toContain("DECRYPT_FAILED");
    const ok = await cli.oauthx(["exec", "local", "--", "sh", "-c", script], {
      env: { OAUTHX_LOCAL_CLIENT_SECRET: "not-for-children", OAUTHX_OTHER_REFRESH_TOKEN: "nor-this" },
    });
    expect(ok.code).toBe(0);
    const [a, b, identity, marker] = ok.stdout.split("|");
    expect(a).toBe(b);
    expect(await userinfoStatus(server, a as string)).toBe(200);
    expect(identity).toBe("unset");
    expect(marker).toBe("local");
    const envDump = await cli.oauthx(["exec", "local", "--", "env"], {
      env: {
        OAUTHX_LOCAL_CLIENT_SECRET: "not-for-children",
        OAUTHX_OTHER_REFRESH_TOKEN: "nor-this",
        OAUTHX_PASSPHRASE: "",
      },
    });
    expect(envDump.stdout).not.toContain("not-for-children");
    expect(envDump.stdout).not.toContain("nor-this");
    expect(envDump.stdout).not.toMatch(/^OAUTHX_PASSPHRASE=/m);
  });

  it("exec propagates exit statuses: 0, 7, 127 (not found), 126 (not executable), 128+N (signal)", async () => {
    expect((await cli.oauthx(["exec", "local", "--", "sh", "-c", "exit 7"])).code).toBe(7);
    const missing = await cli.oauthx(["exec", "local", "--", "no-such-command-oauthx"]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain("command not found: no-such-command-oauthx");
    const notExecutable = join(cli.home, "not-executable.sh");
    writeFileSync(notExecutable, "#!/bin/sh\necho hi\n", { mode: 0o644 });
    const denied = await cli.oauthx(["exec", "local", "--", notExecutable]);
    expect(denied.code).toBe(126);
    expect(denied.stderr).toContain("not executable");
    expect((await cli.oauthx(["exec", "local", "--", "sh", "-c", "kill -TERM $$"])).code).toBe(143);
    expect((await cli.oauthx(["exec", "local", "--", "sh", "-c", "kill -INT $$"])).code).toBe(130);
  });

  it("after expiry, 24 processes asking at once cause exactly one refresh and the grant survives", async () => {
    // Expire the stored token (through the store API, as time would): every process then has to
    // refresh, or find under the lock the token another one just refreshed.
    const store = openStore({ home: cli.home, env: {} });
    await store.update((document) => {
      const entry = getEntry(document, "local", "default")!;
      return withEntry(document, "local", "default", {
        ...entry,
        expires_at: Math.floor(Date.now() / 1000) - 1,
      });
    });
    const before = { ...server.counters };
    const results = await Promise.all(Array.from({ length: 24 }, () => cli.oauthx(["token", "local"])));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(server.counters.refreshRequests - before.refreshRequests).toBe(1);
    expect(server.counters.grantsRevoked).toBe(before.grantsRevoked);
    const tokens = new Set(results.map((result) => result.stdout.trim()));
    expect(tokens.size).toBe(1);
    expect(await userinfoStatus(server, [...tokens][0] as string)).toBe(200);
  });

  it("refresh forces a new token now", async () => {
    const before = server.counters.refreshRequests;
    const old = (await cli.oauthx(["token", "local", "--min-ttl", "0s"])).stdout.trim();
    const result = await cli.oauthx(["refresh", "local"]);
    expect(result.code, result.stderr).toBe(0);
    // A rotation in the store is routine: no CI-mode warning about a spent seed.
    expect(result.stderr).not.toContain("rotated its refresh token");
    expect(server.counters.refreshRequests).toBe(before + 1);
    const fresh = (await cli.oauthx(["token", "local", "--min-ttl", "0s"])).stdout.trim();
    expect(fresh).not.toBe(old);
    await sleep(0);
  });

  it("api sends the token to the provider's API, refreshes once on 401, and fails on non-2xx", async () => {
    const me = await cli.oauthx(["api", "local", "/me"]);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ sub: "alice", email: "alice@example.test" });

    // A token the server no longer accepts (still "valid" by its expiry): 401, refresh, retry.
    const store = openStore({ home: cli.home, env: {} });
    await store.update((document) => {
      const entry = getEntry(document, "local", "default")!;
      return withEntry(document, "local", "default", { ...entry, access_token: "revoked-or-garbage" });
    });
    const before = server.counters.refreshRequests;
    const retried = await cli.oauthx(["api", "local", `${server.issuer}/me`]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(server.counters.refreshRequests).toBe(before + 1);

    const missing = await cli.oauthx(["api", "local", "/no/such/path"]);
    expect(missing.code).toBe(9);
    expect(missing.stderr).toContain("answered HTTP 404");
    expect(missing.stderr).toContain("[API_ERROR]");

    const plain = await cli.oauthx(["api", "local", "http://example.com/steal"]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain("refusing to send a token over plain http");
  });

  it("doctor reports the store, the login and the clock; a loose identity file fails with its chmod", async () => {
    const healthy = await cli.oauthx(["doctor", "--json"]);
    expect(healthy.code, healthy.stdout).toBe(0);
    const findings = JSON.parse(healthy.stdout) as { check: string; status: string; detail: string }[];
    const byCheck = Object.fromEntries(findings.map((finding) => [finding.check, finding]));
    expect(byCheck.store).toMatchObject({ status: "ok" });
    expect(byCheck["login local/default"]).toMatchObject({ status: "ok" });
    expect(byCheck["clock vs local"]?.detail).toMatch(/^within \d+ s of 127\.0\.0\.1:\d+$/);
    expect(byCheck.browser).toMatchObject({ status: "ok" });

    // A login that works now but whose next refresh cannot: the provider wants a secret nobody gave.
    const providersFile = join(cli.home, "providers.yaml");
    const original = readFileSync(providersFile, "utf8");
    writeFileSync(providersFile, `${original.trimEnd()}\n    client_secret_required: true\n`);
    try {
      const secretless = await cli.oauthx(["doctor", "--offline", "--json"]);
      const login = (JSON.parse(secretless.stdout) as typeof findings).find(
        (f) => f.check === "login local/default",
      );
      expect(login).toMatchObject({
        status: "warn",
        remedy: expect.stringContaining("OAUTHX_LOCAL_CLIENT_SECRET"),
      });
      expect(login?.detail).toContain("a refresh would fail: local needs a client secret");
    } finally {
      writeFileSync(providersFile, original);
    }

    const identity = join(cli.home, "identity.txt");
    chmodSync(identity, 0o644);
    try {
      const loose = await cli.oauthx(["doctor"]);
      expect(loose.code).toBe(9);
      expect(loose.stderr).toContain(`chmod 600 ${identity}`);
    } finally {
      chmodSync(identity, 0o600);
    }
  });

  it("logout revokes at the server and deletes locally; token then needs a login", async () => {
    const token = (await cli.oauthx(["token", "local", "--min-ttl", "0s"])).stdout.trim();
    const before = server.counters.revocations;
    const result = await cli.oauthx(["logout", "local"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("revoked at Local Test Server and deleted");
    expect(server.counters.revocations).toBeGreaterThan(before);
    expect(await userinfoStatus(server, token)).toBe(401);
    const after = await cli.oauthx(["token", "local"]);
    expect(after.code).toBe(4);
    expect(after.stderr).toContain("run `oauthx login local`");
  });
});
