// A login's tokens never leave the origins that issued them (security review, issue 14 items 1-3),
// on the compiled binary against oidc-provider. "elsewhere" is a server on another loopback port,
// hence another origin, that would take whatever it is sent: every test asserts it got nothing.

import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, NATIVE_CLIENT_ID, startAuthServer } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";

interface Elsewhere {
  url: string;
  /** Every request it received: method, path, and whether it carried a credential. */
  requests: { method: string; path: string; body: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/** A server that answers like an authorization server would, and records everything. */
async function startElsewhere(): Promise<Elsewhere> {
  const requests: Elsewhere["requests"] = [];
  let url = "";
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      requests.push({
        method: request.method ?? "",
        path: request.url ?? "",
        body,
        authorization: request.headers.authorization,
      });
      response.writeHead(200, { "content-type": "application/json" });
      if (request.url?.startsWith("/.well-known/")) {
        response.end(
          JSON.stringify({
            issuer: url,
            authorization_endpoint: `${url}/auth`,
            token_endpoint: `${url}/token`,
            revocation_endpoint: `${url}/revoke`,
          }),
        );
      } else {
        response.end(JSON.stringify({ access_token: "elsewhere", token_type: "Bearer", expires_in: 3600 }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("a login's tokens go only to the origins that issued it", () => {
  let server: AuthServer;
  let elsewhere: Elsewhere;
  let cli: CliHarness;
  let providersFile: string;
  let harnessYaml: string;

  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 300 });
    elsewhere = await startElsewhere();
    cli = cliHarness(server);
    providersFile = join(cli.home, "providers.yaml");
    harnessYaml = readFileSync(providersFile, "utf8");
  });
  afterAll(async () => {
    cli?.cleanup();
    await elsewhere?.close();
    await server?.close();
  });

  const login = async (args: string[]) => {
    const result = await cli.oauthx(["login", ...args, "--timeout", "30s"]);
    expect(result.code, result.stderr).toBe(0);
  };

  it("an OAUTHX_<ID>_<VAR> in the environment does not redirect a stored login (the remembered value wins)", async () => {
    await login(["oidc", "--set", `issuer=${server.issuer}`, "--client-id", NATIVE_CLIENT_ID]);
    const refreshes = server.counters.refreshRequests;
    // A .env file loaded by a task runner sets the variable: the refresh still goes to the issuer
    // the login was made with.
    const refreshed = await cli.oauthx(["refresh", "oidc"], { env: { OAUTHX_OIDC_ISSUER: elsewhere.url } });
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(server.counters.refreshRequests - refreshes).toBe(1);
    const logout = await cli.oauthx(["logout", "oidc"], { env: { OAUTHX_OIDC_ISSUER: elsewhere.url } });
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stderr).toContain("revoked at OpenID Connect (any issuer) and deleted");
    expect(elsewhere.requests).toEqual([]);
  });

  it("a providers file that moves the token or revocation endpoint: ORIGIN_MISMATCH naming both, nothing sent, nothing deleted", async () => {
    writeFileSync(providersFile, harnessYaml);
    await login(["local"]);
    writeFileSync(providersFile, `${harnessYaml}    token_endpoint: ${elsewhere.url}/token\n`);
    const refresh = await cli.oauthx(["refresh", "local"]);
    expect(refresh.code).toBe(3);
    expect(refresh.stderr).toContain(
      `refusing to send the refresh token of the local login to ${elsewhere.url}: it was issued by ${server.issuer}`,
    );
    expect(refresh.stderr).toContain("[ORIGIN_MISMATCH]");

    writeFileSync(providersFile, `${harnessYaml}    revocation_endpoint: ${elsewhere.url}/revoke\n`);
    const logout = await cli.oauthx(["logout", "local"]);
    expect(logout.code).toBe(3);
    expect(logout.stderr).toContain("[ORIGIN_MISMATCH]");
    writeFileSync(providersFile, harnessYaml);
    // The login is still there and still works.
    const token = await cli.oauthx(["token", "local"]);
    expect(token.code, token.stderr).toBe(0);
    expect(elsewhere.requests).toEqual([]);
  });

  it("oauthx api sends the token only to the provider's API, unless --allow-host names the host", async () => {
    writeFileSync(providersFile, harnessYaml);
    await login(["local"]);
    const refused = await cli.oauthx(["api", "local", `${elsewhere.url}/steal`]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`refusing to send the local access token to ${elsewhere.url}`);
    expect(refused.stderr).toContain(`--allow-host ${new URL(elsewhere.url).host}`);
    expect(elsewhere.requests).toEqual([]);

    const allowed = await cli.oauthx([
      "api",
      "local",
      `${elsewhere.url}/mine`,
      "--allow-host",
      new URL(elsewhere.url).host,
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(elsewhere.requests.map((request) => request.path)).toEqual(["/mine"]);
    expect(elsewhere.requests[0]?.authorization).toMatch(/^Bearer /);
    elsewhere.requests.length = 0;

    const own = await cli.oauthx(["api", "local", "/me"]);
    expect(own.code, own.stderr).toBe(0);
  });

  it("a providers file others can write is refused with the fix", async () => {
    writeFileSync(providersFile, harnessYaml);
    chmodSync(providersFile, 0o664);
    // The file is checked whenever it is read: every refresh and login. (A warm `token` call
    // only reads the store and sends nothing anywhere, so it does not open the file.)
    const groupWritable = await cli.oauthx(["refresh", "local"]);
    expect(groupWritable.code).toBe(8);
    expect(groupWritable.stderr).toContain(`${providersFile} is writable by other users (mode 0664)`);
    expect(groupWritable.stderr).toContain(`chmod go-w ${providersFile}`);
    chmodSync(providersFile, 0o644);
    expect((await cli.oauthx(["refresh", "local"])).code).toBe(0);

    expect(elsewhere.requests).toEqual([]);
  });
});
