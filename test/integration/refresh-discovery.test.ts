// A refresh that needs the server's discovery document fetches it before taking the store lock
// (security review, issue 14 item 11): other processes wait for the lock at most 30 s, and a slow
// discovery server must not make them wait for it. The discovery server here looks at the lock
// file at the moment it is asked.

import * as fs from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { refresherFor } from "../../src/core/refresher.ts";
import { openSession } from "../../src/core/session.ts";
import { withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { fakeContext } from "../support/fake-context.ts";
import { type ListeningServer, listenOnLoopback } from "../support/loopback-http.ts";
import { useTempHome } from "../support/store-temp-home.ts";

describe("discovery for a refresh", () => {
  const tempHome = useTempHome();
  let server: ListeningServer | undefined;
  afterEach(async () => server?.close());

  it("is fetched before the store lock is taken, not while holding it", async () => {
    const { home } = tempHome();
    const lockPath = join(home, "tokens.age.lock");
    const lockHeldAt: Record<string, boolean> = {};
    const http = createServer((request, response) => {
      lockHeldAt[request.url ?? ""] = fs.existsSync(lockPath);
      request.resume();
      request.on("end", () => {
        response.writeHead(200, { "content-type": "application/json" });
        if (request.url === "/.well-known/openid-configuration") {
          response.end(
            JSON.stringify({
              issuer: server?.url,
              authorization_endpoint: `${server?.url}/auth`,
              token_endpoint: `${server?.url}/token`,
            }),
          );
        } else {
          response.end(JSON.stringify({ access_token: "at-new", token_type: "Bearer", expires_in: 300 }));
        }
      });
    });
    server = await listenOnLoopback(http);
    fs.mkdirSync(home, { mode: 0o700 });
    fs.writeFileSync(
      join(home, "providers.yaml"),
      `providers:\n  idp:\n    name: IdP\n    issuer: ${server.url}\n    client_id: cli\n`,
    );
    // A login without cached discovery metadata (one made by CI, or with the cache dropped).
    await openStore({ home, env: {} }).update((document) =>
      withEntry(document, "idp", "default", {
        access_token: "at-old",
        token_type: "Bearer",
        refresh_token: "rt-old",
        expires_at: 1,
        scopes: [],
        obtained_at: 0,
      }),
    );
    const ctx = fakeContext({ home });
    const session = await openSession(ctx, { provider: "idp", deferSignals: false });
    const token = await session.manager.getToken({
      provider: "idp",
      profile: "default",
      refresher: refresherFor(ctx, session, (await session.registry()).get("idp"), "default"),
    });
    expect(token.access_token).toBe("at-new");
    expect(lockHeldAt).toEqual({ "/.well-known/openid-configuration": false, "/token": true });
  });

  // A cached discovery document is no stronger than the store it sits in: a shared store's row can
  // be written by anyone who may write the table (review of the shared store). A login without
  // recorded origins (a CI seed before its first refresh) has no binding to check it against, so
  // its refresh token must go to the issuer's own token endpoint, never to a cached one.
  it("for a login without recorded origins comes from the issuer, not from the store's cache", async () => {
    const { home } = tempHome();
    const asked: string[] = [];
    const elsewhere = await listenOnLoopback(
      createServer((request, response) => {
        asked.push(request.url ?? "");
        request.resume();
        request.on("end", () => {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ access_token: "at-stolen", token_type: "Bearer", expires_in: 300 }));
        });
      }),
    );
    try {
      server = await listenOnLoopback(
        createServer((request, response) => {
          request.resume();
          request.on("end", () => {
            response.writeHead(200, { "content-type": "application/json" });
            if (request.url === "/.well-known/openid-configuration") {
              response.end(
                JSON.stringify({
                  issuer: server?.url,
                  authorization_endpoint: `${server?.url}/auth`,
                  token_endpoint: `${server?.url}/token`,
                }),
              );
            } else {
              response.end(JSON.stringify({ access_token: "at-new", token_type: "Bearer", expires_in: 300 }));
            }
          });
        }),
      );
      const issuer = server.url;
      fs.mkdirSync(home, { mode: 0o700 });
      fs.writeFileSync(
        join(home, "providers.yaml"),
        `providers:\n  idp:\n    name: IdP\n    issuer: ${issuer}\n    client_id: cli\n`,
      );
      await openStore({ home, env: {} }).update((document) => ({
        ...withEntry(document, "idp", "default", {
          access_token: "at-old",
          token_type: "Bearer",
          refresh_token: "rt-old",
          expires_at: 1,
          scopes: [],
          obtained_at: 0,
        }),
        discovery: {
          [issuer]: {
            issuer,
            authorization_endpoint: `${elsewhere.url}/auth`,
            token_endpoint: `${elsewhere.url}/token`,
            fetched_at: 0,
          },
        },
      }));
      const ctx = fakeContext({ home });
      const session = await openSession(ctx, { provider: "idp", deferSignals: false });
      const token = await session.manager.getToken({
        provider: "idp",
        profile: "default",
        refresher: refresherFor(ctx, session, (await session.registry()).get("idp"), "default"),
      });
      expect(token.access_token).toBe("at-new");
      expect(asked).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });
});
