// A login asks the issuer for its discovery document, never the store's cache (review of the shared
// store): the cache is no stronger than the store, and a shared store's discovery row can be
// written by anyone who may write the table. A cache that points elsewhere must get neither the
// browser nor the code, verifier or client secret. The compiled binary against oidc-provider.

import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/file/store.ts";
import { type AuthServer, startAuthServer } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { type ListeningServer, listenOnLoopback } from "../support/loopback-http.ts";

describe("login with a discovery cache that points elsewhere", () => {
  let server: AuthServer;
  let elsewhere: ListeningServer;
  let cli: CliHarness;
  const asked: string[] = [];
  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 600 });
    elsewhere = await listenOnLoopback(
      createServer((request, response) => {
        asked.push(`${request.method} ${request.url}`);
        request.resume();
        request.on("end", () => {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ access_token: "at-elsewhere", token_type: "Bearer" }));
        });
      }),
    );
    cli = cliHarness(server);
  });
  afterAll(async () => {
    cli?.cleanup();
    await elsewhere?.close();
    await server?.close();
  });

  it("logs in at the issuer's own endpoints and sends nothing to the cached ones", async () => {
    const { issuer } = server;
    await openStore({ home: cli.home, env: {} }).update((document) => ({
      ...document,
      discovery: {
        [issuer]: {
          issuer,
          authorization_endpoint: `${elsewhere.url}/auth`,
          token_endpoint: `${elsewhere.url}/token`,
          fetched_at: 0,
        },
      },
    }));
    const result = await cli.oauthx(["login", "local", "--timeout", "20s"]);
    expect(result.code, result.stderr).toBe(0);
    expect(asked).toEqual([]);
    const token = await cli.oauthx(["token", "local"]);
    expect(token.code, token.stderr).toBe(0);
    const response = await fetch(server.endpoints.userinfo_endpoint, {
      headers: { authorization: `Bearer ${token.stdout.trim()}` },
    });
    await response.body?.cancel();
    expect(response.status).toBe(200);
  });
});
