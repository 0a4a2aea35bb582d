// The library API: a login made by the binary is used in-process by `TokenManager`, whose fetch
// adds the token, resolves paths against api_base, and refreshes once on 401; a server certificate
// the machine does not trust (a private CA) is TLS_UNTRUSTED on Node, Bun and Deno, as for the CLI.

import { createServer } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OauthxError, TokenManager } from "../../src/sdk.ts";
import { getEntry, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { type AuthServer, startAuthServer, userinfoStatus } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { type ListeningServer, listenOnLoopback } from "../support/loopback-http.ts";
import { makePrivateCa, type PrivateCa } from "../support/private-ca.ts";
import { BIN, ROOT, run } from "../support/run-node.ts";

describe("SDK: TokenManager", () => {
  let server: AuthServer;
  let cli: CliHarness;
  // An API behind a private CA (a company's internal PKI): trusted by nothing on this machine.
  let ca: PrivateCa;
  let privateApi: ListeningServer;
  let privateApiRequests = 0;
  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 600 });
    cli = cliHarness(server);
    const login = await cli.oauthx(["login", "local", "--timeout", "30s"]);
    expect(login.code, login.stderr).toBe(0);
    ca = makePrivateCa();
    privateApi = await listenOnLoopback(
      createServer({ key: ca.key, cert: ca.cert }, (_request, response) => {
        privateApiRequests++;
        response.writeHead(200).end("{}");
      }),
    );
  });
  afterAll(async () => {
    cli?.cleanup();
    await server?.close();
    await privateApi?.close();
    ca?.cleanup();
  });

  const manager = () => new TokenManager({ provider: "local", home: cli.home, env: {} });

  it("getToken returns the stored token, the same one the CLI prints", async () => {
    const token = await manager().getToken();
    expect(token).toBe((await cli.oauthx(["token", "local"])).stdout.trim());
  });

  it("fetch resolves a path against api_base and sends the token", async () => {
    const response = await manager().fetch("/me");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sub: "alice" });
  });

  it("fetch refreshes once and retries when the API answers 401", async () => {
    const store = openStore({ home: cli.home, env: {} });
    await store.update((document) => {
      const entry = getEntry(document, "local", "default")!;
      return withEntry(document, "local", "default", { ...entry, access_token: "no-longer-accepted" });
    });
    const before = server.counters.refreshRequests;
    const response = await manager().fetch(`${server.issuer}/me`);
    expect(response.status).toBe(200);
    expect(server.counters.refreshRequests).toBe(before + 1);
  });

  it("50 concurrent getToken() calls on an expired token make exactly one refresh at the server", async () => {
    const store = openStore({ home: cli.home, env: {} });
    await store.update((document) => {
      const entry = getEntry(document, "local", "default")!;
      return withEntry(document, "local", "default", {
        ...entry,
        expires_at: Math.floor(Date.now() / 1000) - 1,
      });
    });
    const before = { ...server.counters };
    const shared = manager();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => shared.getToken()));
    expect(server.counters.refreshRequests - before.refreshRequests).toBe(1);
    expect(server.counters.grantsRevoked).toBe(before.grantsRevoked);
    expect(new Set(tokens).size).toBe(1);
    expect(await userinfoStatus(server, tokens[0] as string)).toBe(200);
  });

  it("scopes the login was not granted: AUTH_REQUIRED naming the login that asks for them", async () => {
    const granted = await new TokenManager({
      provider: "local",
      home: cli.home,
      env: {},
      scopes: ["openid"],
    }).getToken();
    expect(granted).not.toBe("");
    const error = await new TokenManager({ provider: "local", home: cli.home, env: {}, scopes: ["admin"] })
      .getToken()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: "AUTH_REQUIRED",
      message: "the local login lacks the scope admin",
    });
    expect((error as OauthxError).remedy).toMatch(
      /^log in with it: oauthx login local( --scope \S+)* --scope admin$/,
    );
  });

  it("fetch sends the token to the provider's API only, unless allowHosts names another host", async () => {
    // The same server under another name is another origin.
    const elsewhere = `http://localhost:${new URL(server.issuer).port}`;
    const error = await manager()
      .fetch(`${elsewhere}/me`)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "ORIGIN_MISMATCH" });
    const allowed = new TokenManager({
      provider: "local",
      home: cli.home,
      env: {},
      allowHosts: [new URL(elsewhere).host],
    });
    expect((await allowed.fetch(`${elsewhere}/me`)).status).toBe(200);
  });

  it("fetch to a server whose certificate is not trusted: TLS_UNTRUSTED naming the host, never the token (Node)", async () => {
    const host = new URL(privateApi.url).host;
    const token = await manager().getToken();
    const error = await new TokenManager({ provider: "local", home: cli.home, env: {}, allowHosts: [host] })
      .fetch(`${privateApi.url}/me`)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OauthxError);
    expect(error).toMatchObject({
      code: "TLS_UNTRUSTED",
      message: expect.stringMatching(
        new RegExp(`^the certificate of ${host.replace(/\./g, "\\.")} is not trusted \\(\\w+\\)$`),
      ),
    });
    expect((error as OauthxError).remedy).toContain("NODE_EXTRA_CA_CERTS (or SSL_CERT_FILE)");
    const shown = `${String(error)} ${(error as OauthxError).remedy} ${JSON.stringify(error)}`;
    expect(shown).not.toContain(token);
    expect(privateApiRequests).toBe(0);
  });

  const runtimes = [
    { runtime: "Bun", command: (script: string) => [BIN.bun, ["-e", script]] as const },
    { runtime: "Deno", command: (script: string) => [BIN.deno, ["eval", script]] as const },
  ];
  it.each(runtimes)(
    "the same on $runtime: TLS_UNTRUSTED naming the host, never the token",
    async ({ command }) => {
      const host = new URL(privateApi.url).host;
      const token = await manager().getToken();
      const script = `
      import { TokenManager } from ${JSON.stringify(join(ROOT, "src/sdk.ts"))};
      const manager = new TokenManager({ provider: "local", home: process.env.HOME_DIR, env: {}, allowHosts: [${JSON.stringify(host)}] });
      try { await manager.fetch(process.env.API_URL); console.log("no error"); }
      catch (error) { console.log(JSON.stringify({ name: error.constructor.name, code: error.code, message: error.message, remedy: error.remedy, text: String(error) })); }
    `;
      const [runtime, args] = command(script);
      const result = await run(runtime, [...args], {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME_DIR: cli.home,
          API_URL: `${privateApi.url}/me`,
        },
      });
      expect(result.code, result.stderr).toBe(0);
      const caught = JSON.parse(result.stdout.trim()) as Record<string, string>;
      expect(caught).toMatchObject({ name: "OauthxError", code: "TLS_UNTRUSTED" });
      expect(caught.message).toMatch(
        new RegExp(`^the certificate of ${host.replace(/\./g, "\\.")} is not trusted `),
      );
      expect(caught.remedy).toContain("NODE_EXTRA_CA_CERTS (or SSL_CERT_FILE)");
      expect(result.stdout + result.stderr).not.toContain(token);
      expect(privateApiRequests).toBe(0);
    },
  );

  it("a refresh token the server rejects gives REFRESH_REJECTED with the login remedy, login kept and marked refused", async () => {
    const store = openStore({ home: cli.home, env: {} });
    await store.update((document) => {
      const entry = getEntry(document, "local", "default")!;
      return withEntry(document, "local", "default", {
        ...entry,
        refresh_token: "forged-refresh-token",
        expires_at: Math.floor(Date.now() / 1000) - 1,
      });
    });
    const before = getEntry(await store.read(), "local", "default")!;
    const result = await cli.oauthx(["token", "local"]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain("[REFRESH_REJECTED]");
    expect(result.stderr).toContain("run `oauthx login local`");
    expect(result.stdout).toBe("");
    // The login stays as it was, noted as refused (so `status` says so), never dropped.
    const { refresh_refused_at, ...after } = getEntry(
      await openStore({ home: cli.home, env: {} }).read(),
      "local",
      "default",
    )!;
    expect(after).toEqual(before);
    expect(refresh_refused_at).toBeTypeOf("number");
  });

  it("errors are typed: an unknown profile needs a login", async () => {
    const error = await new TokenManager({ provider: "local", profile: "work", home: cli.home, env: {} })
      .getToken()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OauthxError);
    expect((error as OauthxError).code).toBe("AUTH_REQUIRED");
  });
});
