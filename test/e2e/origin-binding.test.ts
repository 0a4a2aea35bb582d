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

  it("an OAUTHX_<ID>_<VAR> naming another issuer than the login's: its token is not handed out (ORIGIN_MISMATCH, both named)", async () => {
    await login(["oidc", "--set", `issuer=${server.issuer}`, "--client-id", NATIVE_CLIENT_ID]);
    const refreshes = server.counters.refreshRequests;
    // A kubeconfig for another cluster sets its issuer in the exec entry's env (security review,
    // issue 24 item 2): the token of the login made for this issuer would be replayable here.
    for (const args of [
      ["token", "oidc"],
      ["kube-credential", "oidc"],
      ["refresh", "oidc"],
    ]) {
      const refused = await cli.oauthx(args, { env: { OAUTHX_OIDC_ISSUER: elsewhere.url } });
      expect(refused.code, refused.stderr).toBe(3);
      expect(refused.stdout).toBe("");
      expect(refused.stderr).toContain(
        `OAUTHX_OIDC_ISSUER is ${elsewhere.url}, but the oidc login was made for issuer ${server.issuer}; refusing to hand out its token [ORIGIN_MISMATCH]`,
      );
      expect(refused.stderr).toContain("oauthx login oidc --profile NAME --set issuer=VALUE");
    }
    expect(server.counters.refreshRequests).toBe(refreshes);
    // The login's own issuer (a trailing slash is no difference) is no contradiction.
    const same = await cli.oauthx(["token", "oidc"], { env: { OAUTHX_OIDC_ISSUER: `${server.issuer}/` } });
    expect(same.code, same.stderr).toBe(0);
    // Logout revokes at the login's issuer, whatever the environment says.
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

  it("CI: a seed goes where the step's configuration says, unless OAUTHX_<ID>_TOKEN_ORIGIN pins it", async () => {
    await login(["oidc", "--set", `issuer=${server.issuer}`, "--client-id", NATIVE_CLIENT_ID]);
    const exported = await cli.oauthx(["export", "oidc", "--refresh-token"]);
    expect(exported.code, exported.stderr).toBe(0);
    const seed = exported.stdout.trim();
    const origin = new URL(server.issuer).origin;
    const ci = (env: Record<string, string>) =>
      cli.oauthx(["token", "oidc"], {
        env: {
          OAUTHX_OIDC_REFRESH_TOKEN: seed,
          OAUTHX_OIDC_CLIENT_ID: NATIVE_CLIENT_ID,
          OAUTHX_CI_CACHE: "off",
          ...env,
        },
      });
    // A seed records no origin (security review, issue 24 item 7): a step that points the issuer
    // elsewhere would send it there. Pinned, it goes nowhere else.
    const pinned = await ci({ OAUTHX_OIDC_ISSUER: elsewhere.url, OAUTHX_OIDC_TOKEN_ORIGIN: origin });
    expect(pinned.code, pinned.stderr).toBe(3);
    expect(pinned.stderr).toContain(
      `refusing to send the refresh token of OAUTHX_OIDC_REFRESH_TOKEN to ${elsewhere.url}: OAUTHX_OIDC_TOKEN_ORIGIN pins it to ${origin} [ORIGIN_MISMATCH]`,
    );
    expect(elsewhere.requests.filter((request) => request.method !== "GET")).toEqual([]);
    expect(JSON.stringify(elsewhere.requests)).not.toContain(seed);
    // The pinned origin itself works; a pin that is no origin is refused before anything is sent.
    const right = await ci({ OAUTHX_OIDC_ISSUER: server.issuer, OAUTHX_OIDC_TOKEN_ORIGIN: `${origin}/` });
    expect(right.code, right.stderr).toBe(0);
    const bad = await ci({ OAUTHX_OIDC_ISSUER: server.issuer, OAUTHX_OIDC_TOKEN_ORIGIN: `${origin}/token` });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("OAUTHX_OIDC_TOKEN_ORIGIN is not an origin [CONFIG_INVALID]");
    elsewhere.requests.length = 0;
  });
});
