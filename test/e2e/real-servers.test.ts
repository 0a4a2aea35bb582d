// Authorization servers configured the way real deployments are (issue 13), on the compiled binary
// against oidc-provider: short-lived access tokens (4 s, 60 s, 5 min), refresh token rotation with
// reuse detection, redirect URIs matched exactly, a revocation endpoint closed to public clients,
// an entry that names only an issuer, and a second login to the same profile.

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AuthServer,
  NATIVE_CLIENT_ID,
  startAuthServer,
  userinfoStatus,
} from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { matchRedirectUriExactly, revocationRefusesPublicClients } from "../support/quirk-oidc-provider.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => probe.once("listening", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A refresh made by hand, as a second client holding this refresh token would: its HTTP status. */
async function refreshStatus(server: AuthServer, refreshToken: string): Promise<number> {
  const response = await fetch(server.endpoints.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: NATIVE_CLIENT_ID,
    }),
  });
  await response.body?.cancel();
  return response.status;
}

function withServer(options: Parameters<typeof startAuthServer>[0]) {
  const context = {} as { server: AuthServer; cli: CliHarness };
  beforeAll(async () => {
    context.server = await startAuthServer(options);
  });
  afterEach(() => context.cli?.cleanup());
  afterAll(async () => {
    await context.server?.close();
  });
  const login = async (args: string[] = ["local"]) => {
    const result = await context.cli.oauthx(["login", ...args, "--timeout", "30s"]);
    expect(result.code, result.stderr).toBe(0);
    return result;
  };
  return { context, login };
}

describe("4-second access tokens", () => {
  const { context, login } = withServer({ accessTokenTtl: 4, rotateRefreshToken: true });

  it("24 concurrent `token --min-ttl 1` after expiry make one refresh, and revoke nothing", async () => {
    context.cli = cliHarness(context.server);
    await login();
    await sleep(4_500);
    const refreshes = context.server.counters.refreshRequests;
    const revoked = context.server.counters.grantsRevoked;
    const results = await Promise.all(
      Array.from({ length: 24 }, () => context.cli.oauthx(["token", "local", "--min-ttl", "1"])),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(context.server.counters.refreshRequests - refreshes).toBe(1);
    expect(context.server.counters.grantsRevoked - revoked).toBe(0);
    expect(new Set(results.map((result) => result.stdout)).size).toBe(1);
  });
});

describe("60-second access tokens", () => {
  const { context, login } = withServer({ accessTokenTtl: 60, rotateRefreshToken: true });

  it("consecutive `token` calls do not refresh while the token has half its life left", async () => {
    context.cli = cliHarness(context.server);
    await login();
    const refreshes = context.server.counters.refreshRequests;
    for (let call = 0; call < 3; call++) expect((await context.cli.oauthx(["token", "local"])).code).toBe(0);
    expect(context.server.counters.refreshRequests - refreshes).toBe(0);
  });

  it("an explicit --min-ttl longer than half the lifetime gets one clear warning, not a refresh per call", async () => {
    context.cli = cliHarness(context.server);
    await login();
    const refreshes = context.server.counters.refreshRequests;
    const first = await context.cli.oauthx(["token", "local", "--min-ttl", "5m"]);
    const second = await context.cli.oauthx(["token", "local", "--min-ttl", "5m"]);
    expect(second.code, second.stderr).toBe(0);
    expect(context.server.counters.refreshRequests - refreshes).toBe(0);
    for (const result of [first, second]) {
      expect(result.stderr.match(/warning/g)).toHaveLength(1);
      expect(result.stderr).toContain("--min-ttl 5m is more than local's tokens can give: they live 1m");
    }
  });
});

describe("5-minute access tokens (Keycloak's default)", () => {
  const { context, login } = withServer({ accessTokenTtl: 300, rotateRefreshToken: true });

  it("3 consecutive `exec` with the default 5-minute min-ttl refresh at most once", async () => {
    context.cli = cliHarness(context.server);
    await login();
    const refreshes = context.server.counters.refreshRequests;
    for (let call = 0; call < 3; call++) {
      const result = await context.cli.oauthx(["exec", "local", "--", "sh", "-c", 'test -n "$LOCAL_TOKEN"']);
      expect(result.code, result.stderr).toBe(0);
      // The default is not the user's request: no warning.
      expect(result.stderr).not.toContain("warning");
    }
    expect(context.server.counters.refreshRequests - refreshes).toBeLessThanOrEqual(1);
  });
});

describe("a server that matches redirect URIs exactly, port included", () => {
  const { context, login } = withServer({ accessTokenTtl: 300 });

  it("shows the URI in use while waiting; --issuer --port pins the port; later logins use it", async () => {
    const port = await freePort();
    const registered = `http://127.0.0.1:${port}/callback`;
    const quirk = matchRedirectUriExactly(context.server, registered);
    context.cli = cliHarness(context.server);

    // Any port: the browser lands on the server's error page and never comes back.
    const mismatch = await context.cli.oauthx(["login", "local", "--timeout", "3s"]);
    expect(mismatch.code).toBe(5);
    expect(mismatch.stderr).toContain("[CALLBACK_TIMEOUT]");
    expect(mismatch.stderr).toMatch(
      /Waiting for the browser to return to http:\/\/127\.0\.0\.1:\d+\/callback\n/,
    );
    expect(mismatch.stderr).toContain("register a fixed port and log in with --port");
    expect(quirk.refused).toBe(1);

    await login([
      "--issuer",
      context.server.issuer,
      "--client-id",
      NATIVE_CLIENT_ID,
      "--name",
      "Exact",
      "--port",
      String(port),
    ]);
    const entry = readFileSync(join(context.cli.home, "providers.yaml"), "utf8").split("  exact:\n")[1];
    expect(entry).toContain(`    redirect:\n      ports:\n        - ${port}\n`);
    const shown = await context.cli.oauthx(["providers", "show", "exact"]);
    expect(shown.stdout).toContain(`redirect: ${registered} (register exactly this)`);
    const again = await login(["exact"]);
    expect(again.stderr).toContain(`Waiting for the browser to return to ${registered}\n`);
    expect(quirk.refused).toBe(1);
  });
});

describe("logout at a revocation endpoint closed to public clients", () => {
  const { context, login } = withServer({ accessTokenTtl: 300, rotateRefreshToken: true });

  it("a revocation endpoint closed to public clients: no request, and the message says the grant is still active", async () => {
    const quirk = revocationRefusesPublicClients(context.server);
    context.cli = cliHarness(context.server);
    await login();
    const refreshToken = (await context.cli.oauthx(["export", "local", "--refresh-token"])).stdout.trim();
    const logout = await context.cli.oauthx(["logout", "local", "--json"]);
    expect(logout.code, logout.stderr).toBe(0);
    expect(JSON.parse(logout.stdout)).toMatchObject({
      revoked: "refused",
      deleted: true,
      grant_active: true,
    });
    expect(logout.stderr).toContain(
      "Logged out of Local Test Server locally. The grant is still active at Local Test Server",
    );
    expect(logout.stderr).toContain("accepts only clients with a secret");
    expect(logout.stderr).toContain("→ revoke it at");
    expect(quirk.attempts).toBe(0);
    // True to its word: the grant is alive at the server.
    expect(await refreshStatus(context.server, refreshToken)).toBe(200);
  });
});

describe("a second login to the same profile", () => {
  const { context, login } = withServer({ accessTokenTtl: 300, rotateRefreshToken: true });

  it("revokes the login it replaces, once the new one is stored", async () => {
    context.cli = cliHarness(context.server);
    await login();
    const old = (await context.cli.oauthx(["export", "local", "--refresh-token"])).stdout.trim();
    await login();
    const current = await context.cli.oauthx(["token", "local"]);
    expect(current.code, current.stderr).toBe(0);
    expect(await userinfoStatus(context.server, current.stdout.trim())).toBe(200);
    expect(await refreshStatus(context.server, old)).toBe(400);
  });
});

describe("an entry that names only an issuer", () => {
  const { context, login } = withServer({ accessTokenTtl: 300 });

  it("asks for openid, and offline_access because discovery lists it", async () => {
    context.cli = cliHarness(context.server, {
      providerYaml: [
        "providers:",
        "  bare:",
        "    name: Bare Issuer",
        `    issuer: ${context.server.issuer}`,
        `    client_id: ${NATIVE_CLIENT_ID}`,
        "",
      ].join("\n"),
    });
    const result = await login(["bare"]);
    const url = new URL(/^ {2}(http\S+)$/m.exec(result.stderr)?.[1] as string);
    expect(url.searchParams.get("scope")).toBe("openid offline_access");
    const status = JSON.parse((await context.cli.oauthx(["status", "--json"])).stdout);
    expect(status[0].scopes).toContain("openid");
  });
});
