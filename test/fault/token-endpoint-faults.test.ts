// Token endpoint faults during a refresh, driven through the compiled binary (`dist/oauthx token`)
// as a user meets them: a providers file points one provider per fault at a small local server
// that misbehaves in that one way. For each: a typed error with the right exit status, a bounded
// number of requests (retries only where the server said when to come back), and a store that is
// byte for byte what it was — no half-written tokens, no lock or temp file left behind.
//
// A response slower than the timeout is driven in-process (TokenManager + refreshToken with a
// short timeout): the binary's refresh timeout is 10 s, too long to wait for in a test.

import { once } from "node:events";
import * as fs from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenManager } from "../../src/core/token-manager.ts";
import { isOauthxError, type OauthxError } from "../../src/errors.ts";
import { isTimeoutFailure } from "../../src/oauth/http.ts";
import { refreshToken } from "../../src/oauth/token-endpoint.ts";
import { getEntry, type TokenEntry, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { BIN, run } from "../support/run-node.ts";

const REFRESH_TOKEN = "rt-fault-test-never-printed";

type Fault = (request: IncomingMessage, response: ServerResponse) => void;

/** One behaviour per path; each is named after the fault it plays. */
const faults: Record<string, Fault> = {
  "http-500": (_request, response) => {
    response.writeHead(500, { "content-type": "text/plain" });
    response.end("internal server error");
  },
  "http-503-retry-after": (_request, response) => {
    response.writeHead(503, { "retry-after": "1", "content-type": "application/json" });
    response.end(JSON.stringify({ error: "temporarily_unavailable" }));
  },
  "http-429-retry-after": (_request, response) => {
    response.writeHead(429, { "retry-after": "1", "content-type": "application/json" });
    response.end(JSON.stringify({ error: "slow_down" }));
  },
  "http-429-no-retry-after": (_request, response) => {
    response.writeHead(429, { "content-type": "text/plain" });
    response.end("too many requests");
  },
  "reset-mid-body": (_request, response) => {
    // Headers and half a token response, then the connection is cut.
    const body = JSON.stringify({ access_token: "at-new", token_type: "Bearer", refresh_token: "rt-new" });
    response.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
    response.write(body.slice(0, 20));
    setTimeout(() => response.socket?.destroy(), 20);
  },
  "truncated-json": (_request, response) => {
    const body = '{"access_token":"at-new","token_type":"Bearer","refresh_tok';
    response.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
    response.end(body);
  },
  "html-error-page": (_request, response) => {
    response.writeHead(502, { "content-type": "text/html" });
    response.end("<!doctype html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>");
  },
  "html-200-page": (_request, response) => {
    // A captive portal or SSO interstitial answering 200 with a web page.
    response.writeHead(200, { "content-type": "text/html" });
    response.end("<!doctype html><html><body><form>Sign in to the Wi-Fi</form></body></html>");
  },
  // Servers that refuse a revoked or spent refresh token without an RFC 6749 §5.2 body.
  "empty-400-for-a-dead-refresh-token": (_request, response) => {
    response.writeHead(400);
    response.end();
  },
  "html-401-for-a-dead-refresh-token": (_request, response) => {
    response.writeHead(401, { "content-type": "text/html" });
    response.end("<!doctype html><html><body><h1>401 Unauthorized</h1></body></html>");
  },
  "slow-answer": (_request, response) => {
    setTimeout(() => {
      if (!response.destroyed) {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ access_token: "at-late", token_type: "Bearer", expires_in: 3600 }));
      }
    }, 3_000);
  },
};

interface Expectation {
  fault: string;
  code: string;
  exit: number;
  /** Requests that reached the server: 2 where a Retry-After allowed one retry. */
  requests: number;
}

const expectations: Expectation[] = [
  { fault: "http-500", code: "TOKEN_EXCHANGE_FAILED", exit: 6, requests: 1 },
  { fault: "http-503-retry-after", code: "TOKEN_EXCHANGE_FAILED", exit: 6, requests: 2 },
  { fault: "http-429-retry-after", code: "TOKEN_EXCHANGE_FAILED", exit: 6, requests: 2 },
  { fault: "http-429-no-retry-after", code: "TOKEN_EXCHANGE_FAILED", exit: 6, requests: 1 },
  { fault: "reset-mid-body", code: "NETWORK", exit: 7, requests: 1 },
  { fault: "truncated-json", code: "INVALID_RESPONSE", exit: 6, requests: 1 },
  { fault: "html-error-page", code: "TOKEN_EXCHANGE_FAILED", exit: 6, requests: 1 },
  { fault: "html-200-page", code: "INVALID_RESPONSE", exit: 6, requests: 1 },
  { fault: "empty-400-for-a-dead-refresh-token", code: "REFRESH_REJECTED", exit: 6, requests: 1 },
  { fault: "html-401-for-a-dead-refresh-token", code: "REFRESH_REJECTED", exit: 6, requests: 1 },
  // Nothing listens: never sent, so retried once, and nothing reached any server.
  { fault: "connection-refused", code: "NETWORK", exit: 7, requests: 0 },
];

const expiredEntry = (): TokenEntry => ({
  access_token: "at-expired",
  token_type: "Bearer",
  refresh_token: REFRESH_TOKEN,
  expires_at: Math.floor(Date.now() / 1000) - 600,
  scopes: ["read"],
  obtained_at: Math.floor(Date.now() / 1000) - 4200,
});

describe("token endpoint faults during a refresh", () => {
  let server: Server;
  let base: string;
  let refusedPort: number;
  let root: string;
  let home: string;
  const counts = new Map<string, number>();

  beforeAll(async () => {
    server = createServer((request, response) => {
      const name = (request.url ?? "/").slice(1);
      request.resume();
      request.on("end", () => {
        counts.set(name, (counts.get(name) ?? 0) + 1);
        const fault = faults[name];
        if (fault) fault(request, response);
        else response.writeHead(404).end();
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A port that was just free and is closed again: connection refused.
    const probe = createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    refusedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    root = fs.mkdtempSync(join(tmpdir(), "oauthx-fault-endpoint-"));
    home = join(root, "home");
    fs.mkdirSync(home, { mode: 0o700 });
    const lines = ["providers:"];
    for (const { fault } of expectations) {
      const endpoint =
        fault === "connection-refused" ? `http://127.0.0.1:${refusedPort}/token` : `${base}/${fault}`;
      lines.push(
        `  f-${fault}:`,
        `    name: Fault ${fault}`,
        `    authorization_endpoint: ${base}/authorize`,
        `    token_endpoint: ${endpoint}`,
        "    client_id: fault-client",
      );
    }
    fs.writeFileSync(join(home, "providers.yaml"), `${lines.join("\n")}\n`);
    const store = openStore({ home, env: {} });
    await store.update((document) => {
      let next = document;
      for (const { fault } of expectations) next = withEntry(next, `f-${fault}`, "default", expiredEntry());
      return withEntry(next, "f-slow-answer", "default", expiredEntry());
    });
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  const env = () => ({
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: root,
    OAUTHX_HOME: home,
    NO_COLOR: "1",
  });

  it.each(expectations)(
    "$fault: $code (exit $exit), $requests request(s), store unchanged (a refusal only noted)",
    async (expected) => {
      const before = await openStore({ home, env: {} }).read();
      const result = await run(BIN.oauthx, ["token", `f-${expected.fault}`, "--json"], {
        env: env(),
        timeoutMs: 30_000,
      });
      expect(result.stdout).toBe("");
      const error = JSON.parse(result.stderr.trim().split("\n").at(-1)!) as {
        error: { code: string; remedy?: string };
      };
      expect(error.error.code, result.stderr).toBe(expected.code);
      // A dead refresh token is the user's to fix by logging in again, not the server's settings.
      if (expected.code === "REFRESH_REJECTED") expect(error.error.remedy).toContain("oauthx login");
      expect(result.code).toBe(expected.exit);
      expect(counts.get(expected.fault) ?? 0).toBe(expected.requests);
      expect(result.stderr).not.toContain(REFRESH_TOKEN);
      // The logins stay as they were; a refused refresh token is noted in its entry (for status).
      const after = structuredClone(await openStore({ home, env: {} }).read());
      const faulted = after.profiles[`f-${expected.fault}`]?.default;
      if (expected.code === "REFRESH_REJECTED") {
        expect(faulted?.refresh_refused_at).toBeTypeOf("number");
        delete faulted?.refresh_refused_at;
      }
      expect(after).toEqual(before);
      // Nothing left behind: no temp file, no lock; the providers parse memo is expected state.
      expect(fs.readdirSync(home).sort()).toEqual([
        ".providers-parsed.json",
        "identity.txt",
        "providers.yaml",
        "tokens.age",
      ]);
    },
  );

  it("slow-answer past the timeout: NETWORK (a timeout), not retried, store unchanged, lock released", async () => {
    const store = openStore({ home, env: {}, lockTimeoutMs: 2_000 });
    const before = fs.readFileSync(store.paths.store);
    const manager = new TokenManager({ store });
    const started = performance.now();
    const failure = await manager
      .getToken({
        provider: "f-slow-answer",
        profile: "default",
        refresher: async (entry) => {
          const tokens = await refreshToken(
            { token_endpoint: `${base}/slow-answer` },
            { client_id: "fault-client", client_auth: "none" },
            { refresh_token: entry.refresh_token ?? "" },
            { timeoutMs: 300, retry: { limit: 1, maxRetryAfterMs: 1_000 } },
          );
          return { access_token: tokens.access_token, token_type: tokens.token_type };
        },
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isOauthxError(failure, "NETWORK"), String(failure)).toBe(true);
    expect(isTimeoutFailure(failure)).toBe(true);
    expect((failure as OauthxError).message).not.toContain(REFRESH_TOKEN);
    // Bounded by the timeout, not by the server's 3 s.
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(counts.get("slow-answer")).toBe(1);
    expect(fs.readFileSync(store.paths.store).equals(before)).toBe(true);
    expect(fs.existsSync(store.paths.lock)).toBe(false);
    // The entry is still the expired one with its refresh token: nothing was half-applied.
    const entry = getEntry(await store.read(), "f-slow-answer", "default");
    expect(entry?.refresh_token).toBe(REFRESH_TOKEN);
  });
});
