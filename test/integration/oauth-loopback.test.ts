// The loopback redirect server on its own (RFC 8252 §7.3, §8.3) and in a real login: what ends the
// flow, what does not, and that every exit closes the server.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { prepareAuthorization } from "../../src/oauth/authorize.ts";
import { startLoopbackServer } from "../../src/oauth/loopback.ts";
import { exchangeCode } from "../../src/oauth/token-endpoint.ts";
import { NATIVE_CLIENT_ID, startAuthServer } from "../support/auth-server.ts";
import { browserlessLogin } from "../support/browserless-login.ts";
import { rejection } from "../support/rejection.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
}

async function occupyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

async function ipv6LoopbackAvailable(): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "::1", resolve);
    });
    await new Promise((resolve) => server.close(resolve));
    return true;
  } catch {
    return false;
  }
}

describe("loopback server", () => {
  it("binds 127.0.0.1 on an ephemeral port and answers only GET on the exact path", async () => {
    const loopback = await startLoopbackServer();
    cleanups.push(() => loopback.close());
    expect(loopback.redirect_uri).toBe(`http://127.0.0.1:${loopback.port}/callback`);
    const waiting = loopback.waitForCallback({ state: "the-state", timeoutMs: 10_000 });
    const base = `http://127.0.0.1:${loopback.port}`;

    const favicon = await fetch(`${base}/favicon.ico`);
    expect(favicon.status).toBe(404);
    const post = await fetch(`${base}/callback?code=c&state=the-state`, { method: "POST" });
    expect(post.status).toBe(405);
    const wrongState = await fetch(`${base}/callback?code=c&state=forged`);
    expect(wrongState.status).toBe(400);
    expect(await wrongState.text()).toContain("still waiting");
    const noState = await fetch(`${base}/callback?code=c`);
    expect(noState.status).toBe(400);
    const empty = await fetch(`${base}/callback`);
    expect(empty.status).toBe(400);

    const ok = await fetch(`${base}/callback?code=the-code&state=the-state`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("no-store");
    expect(ok.headers.get("referrer-policy")).toBe("no-referrer");
    expect(ok.headers.get("content-type")).toContain("text/html");
    const page = await ok.text();
    expect(page).toContain("Signed in");
    expect(page).not.toContain("the-code");
    expect(await waiting).toEqual({ code: "the-code" });
    expect(await refused(`${base}/callback`)).toBe(true);
  });

  it("refuses a foreign Host header (DNS rebinding)", async () => {
    const loopback = await startLoopbackServer();
    cleanups.push(() => loopback.close());
    const waiting = loopback.waitForCallback({ state: "s", timeoutMs: 10_000 });
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: loopback.port,
          path: "/callback?code=c&state=s",
          headers: { host: "evil.example" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(400);
    await fetch(`${loopback.redirect_uri}?code=c&state=s`);
    expect(await waiting).toEqual({ code: "c" });
  });

  it("ends with AUTH_DENIED on error=, escaping the provider's description in the page", async () => {
    const loopback = await startLoopbackServer();
    cleanups.push(() => loopback.close());
    const outcome = rejection(loopback.waitForCallback({ state: "s", timeoutMs: 10_000 }));
    const description = encodeURIComponent("<script>alert(1)</script> not today");
    const response = await fetch(
      `${loopback.redirect_uri}?error=access_denied&error_description=${description}&state=s`,
    );
    const page = await response.text();
    expect(page).not.toContain("<script>");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt; not today");
    const error = await outcome;
    expect(error.code).toBe("AUTH_DENIED");
    expect(error.message).toContain("not today");
  });

  it("treats a bare redirect as a denial only with deny_returns_no_params (Jobber)", async () => {
    const loopback = await startLoopbackServer();
    cleanups.push(() => loopback.close());
    const outcome = rejection(
      loopback.waitForCallback({ state: "s", deny_returns_no_params: true, timeoutMs: 10_000 }),
    );
    await fetch(loopback.redirect_uri);
    expect((await outcome).code).toBe("AUTH_DENIED");
  });

  it("times out with CALLBACK_TIMEOUT, mentions an ignored response, and closes", async () => {
    const loopback = await startLoopbackServer();
    const outcome = rejection(loopback.waitForCallback({ state: "s", timeoutMs: 300 }));
    await fetch(`${loopback.redirect_uri}?code=c&state=stale`);
    const error = await outcome;
    expect(error.code).toBe("CALLBACK_TIMEOUT");
    expect(error.message).toContain("state does not match");
    expect(await refused(loopback.redirect_uri)).toBe(true);
  });

  it("ends with INTERRUPTED on abort (Ctrl-C) and closes", async () => {
    const loopback = await startLoopbackServer();
    const controller = new AbortController();
    const outcome = rejection(
      loopback.waitForCallback({ state: "s", signal: controller.signal, timeoutMs: 10_000 }),
    );
    setTimeout(() => controller.abort(), 50);
    expect((await outcome).code).toBe("INTERRUPTED");
    expect(await refused(loopback.redirect_uri)).toBe(true);
  });

  it("rejects a pending wait with INTERRUPTED when closed first", async () => {
    const loopback = await startLoopbackServer();
    const outcome = rejection(loopback.waitForCallback({ state: "s", timeoutMs: 10_000 }));
    await loopback.close();
    expect((await outcome).code).toBe("INTERRUPTED");
    expect(await refused(loopback.redirect_uri)).toBe(true);
  });

  it("tries fixed ports in order and reports PORT_IN_USE naming them when all are taken", async () => {
    const first = await occupyPort();
    const second = await occupyPort();
    const error = await rejection(startLoopbackServer({ ports: [first, second] }));
    expect(error.code).toBe("PORT_IN_USE");
    expect(error.message).toContain(`${first}, ${second}`);

    const free = await occupyPort();
    await new Promise<void>((resolve) => {
      // Free it again: a port that was just in use and is now free.
      cleanups.pop()?.().then(resolve);
    });
    const loopback = await startLoopbackServer({ ports: [first, free], path: "/auth/callback" });
    cleanups.push(() => loopback.close());
    expect(loopback.port).toBe(free);
    expect(loopback.redirect_uri).toBe(`http://127.0.0.1:${free}/auth/callback`);
  });

  it("listens on both 127.0.0.1 and ::1 for a localhost redirect", async () => {
    const loopback = await startLoopbackServer({ host: "localhost" });
    cleanups.push(() => loopback.close());
    expect(loopback.redirect_uri).toBe(`http://localhost:${loopback.port}/callback`);
    const waiting = loopback.waitForCallback({ state: "s", timeoutMs: 10_000 });
    expect((await fetch(`http://127.0.0.1:${loopback.port}/favicon.ico`)).status).toBe(404);
    if (await ipv6LoopbackAvailable()) {
      expect((await fetch(`http://[::1]:${loopback.port}/favicon.ico`)).status).toBe(404);
    }
    await fetch(`http://127.0.0.1:${loopback.port}/callback?code=c&state=s`);
    expect(await waiting).toEqual({ code: "c" });
  });
});

describe("loopback in a real login", () => {
  it("ignores a forged callback with a wrong state, then accepts the real one", async () => {
    const as = await startAuthServer();
    cleanups.push(() => as.close());
    const loopback = await startLoopbackServer();
    const client = { client_id: NATIVE_CLIENT_ID, client_auth: "none" as const };
    const prepared = await prepareAuthorization(as.endpoints, client, {
      redirect_uri: loopback.redirect_uri,
      scopes: ["openid"],
    });
    const callback = loopback.waitForCallback({
      state: prepared.state,
      issuer: as.issuer,
      iss_required: true,
    });
    const forged = await fetch(
      `${loopback.redirect_uri}?code=forged&state=attacker&iss=${encodeURIComponent(as.issuer)}`,
    );
    expect(forged.status).toBe(400);
    await browserlessLogin(prepared.url);
    const { code } = await callback;
    expect(code).not.toBe("forged");
    const tokens = await exchangeCode(as.endpoints, client, {
      code,
      redirect_uri: loopback.redirect_uri,
      code_verifier: prepared.code_verifier!,
    });
    expect(tokens.access_token).not.toBe("");
  });
});
