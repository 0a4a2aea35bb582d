// Token endpoint behaviour against small fakes: GitHub's quirks (form bodies, errors with HTTP 200,
// DELETE revocation), and the retry rule — a one-time credential is never sent twice once the
// server may have received it; only 429/503 with Retry-After and failures before sending are retried.

import { afterEach, describe, expect, it } from "vitest";
import { pollDeviceToken, startDeviceAuthorization } from "../../src/oauth/device.ts";
import { revokeToken } from "../../src/oauth/revoke.ts";
import { exchangeCode, refreshToken } from "../../src/oauth/token-endpoint.ts";
import type { Client } from "../../src/oauth/types.ts";
import { type ScriptedReply, startFlakyTokenEndpoint } from "../support/quirk-flaky-token-endpoint.ts";
import {
  GITHUB_FAKE_CLIENT_ID,
  GITHUB_FAKE_CLIENT_SECRET,
  GITHUB_FAKE_GOOD_CODE,
  startGitHubTokenEndpoint,
} from "../support/quirk-github-token-endpoint.ts";
import { rejection } from "../support/rejection.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

const CODE = "one-time-code-value";
const VERIFIER = "v".repeat(50);
const publicClient: Client = { client_id: "cli", client_auth: "none" };
const tokens = { access_token: "at", token_type: "Bearer", expires_in: 60, refresh_token: "rt2" };

async function flaky(replies: ScriptedReply[]) {
  const fake = await startFlakyTokenEndpoint(replies);
  cleanups.push(() => fake.close());
  return { fake, server: { token_endpoint: `${fake.url}/token` } };
}
const grant = { code: CODE, redirect_uri: "http://127.0.0.1:5000/callback", code_verifier: VERIFIER };

describe("GitHub-style token endpoint", () => {
  const github: Client = {
    client_id: GITHUB_FAKE_CLIENT_ID,
    client_secret: GITHUB_FAKE_CLIENT_SECRET,
    client_auth: "client_secret_post",
  };

  async function start() {
    const fake = await startGitHubTokenEndpoint();
    cleanups.push(() => fake.close());
    return {
      fake,
      server: {
        token_endpoint: `${fake.url}/login/oauth/access_token`,
        revocation_endpoint: `${fake.url}/applications/{client_id}/token`,
      },
    };
  }

  it("asks for JSON and reads the comma-separated scope", async () => {
    const { fake, server } = await start();
    const result = await exchangeCode(
      server,
      github,
      { ...grant, code: GITHUB_FAKE_GOOD_CODE },
      {
        response: { scope_separator: "," },
        headers: { "user-agent": "oauthx-test" },
      },
    );
    expect(result.access_token).toMatch(/^gho_fake/);
    expect(result.scope).toEqual(["repo", "gist"]);
    expect(fake.requests[0]?.accept).toBe("application/json");
  });

  it("reads the form-encoded answer GitHub gives without Accept: application/json", async () => {
    const { server } = await start();
    const stripAccept: typeof fetch = (input, init) => {
      const request = new Request(input, init);
      const headers = new Headers(request.headers);
      headers.delete("accept");
      return fetch(new Request(request, { headers }));
    };
    const result = await exchangeCode(
      server,
      github,
      { ...grant, code: GITHUB_FAKE_GOOD_CODE },
      {
        response: { scope_separator: "," },
        fetch: stripAccept,
      },
    );
    expect(result.scope).toEqual(["repo", "gist"]);
  });

  it("reports an error given with HTTP 200 as TOKEN_EXCHANGE_FAILED, without the code", async () => {
    const { server } = await start();
    const error = await rejection(exchangeCode(server, github, grant));
    expect(error.code).toBe("TOKEN_EXCHANGE_FAILED");
    expect(error.message).toContain("bad_verification_code");
    expect(error.message).not.toContain(CODE);
    expect(error.message).not.toContain(GITHUB_FAKE_CLIENT_SECRET);
  });

  it("revokes with DELETE /applications/{client_id}/token", async () => {
    const { fake, server } = await start();
    const issued = await exchangeCode(server, github, { ...grant, code: GITHUB_FAKE_GOOD_CODE });
    expect(fake.liveTokens.size).toBe(1);
    expect(
      await revokeToken(
        server,
        github,
        { token: issued.access_token },
        { style: "github_application_token" },
      ),
    ).toBe("revoked");
    expect(fake.liveTokens.size).toBe(0);
    const again = await rejection(
      revokeToken(server, github, { token: issued.access_token }, { style: "github_application_token" }),
    );
    expect(again.code).toBe("TOKEN_EXCHANGE_FAILED");
    expect(again.message).not.toContain(issued.access_token);
  });
});

describe("retries never replay a one-time credential", () => {
  it("retries a 503 with Retry-After, then succeeds", async () => {
    const { fake, server } = await flaky([
      { status: 503, headers: { "retry-after": "1" }, body: "busy" },
      { body: tokens },
    ]);
    const started = Date.now();
    const result = await exchangeCode(server, publicClient, grant);
    expect(result.access_token).toBe("at");
    expect(fake.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(new URLSearchParams(fake.requests[1]?.body).get("code")).toBe(CODE);
  });

  it("caps the Retry-After wait and bounds the number of retries", async () => {
    const { fake, server } = await flaky([
      { status: 429, headers: { "retry-after": "3600" }, body: { error: "slow" } },
    ]);
    const started = Date.now();
    const error = await rejection(
      exchangeCode(server, publicClient, grant, { retry: { limit: 2, maxRetryAfterMs: 100 } }),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.requests).toHaveLength(3);
    expect(error.code).toBe("TOKEN_EXCHANGE_FAILED");
  });

  it("does not retry a 503 without Retry-After, nor a 500", async () => {
    for (const reply of [
      { status: 503, body: "down" },
      { status: 500, body: "<html>oops</html>" },
    ]) {
      const { fake, server } = await flaky([reply, { body: tokens }]);
      const error = await rejection(exchangeCode(server, publicClient, grant));
      expect(error.code).toBe("TOKEN_EXCHANGE_FAILED");
      expect(error.message).toContain(`HTTP ${reply.status}`);
      expect(fake.requests).toHaveLength(1);
    }
  });

  it("does not resend a code after a timeout or a dropped connection", async () => {
    const slow = await flaky([{ delayMs: 1_500, body: tokens }, { body: tokens }]);
    const timedOut = await rejection(exchangeCode(slow.server, publicClient, grant, { timeoutMs: 200 }));
    expect(timedOut.code).toBe("NETWORK");
    expect(timedOut.message).toContain("no answer from 127.0.0.1:");
    const dropped = await flaky([{ destroy: true }, { body: tokens }]);
    const reset = await rejection(refreshToken(dropped.server, publicClient, { refresh_token: "rt-once" }));
    expect(reset.code).toBe("NETWORK");
    expect(reset.message).not.toContain("rt-once");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slow.fake.requests).toHaveLength(1);
    expect(dropped.fake.requests).toHaveLength(1);
  });

  it("retries a failure that happened before sending (connection refused)", async () => {
    const { fake, server } = await flaky([{ body: tokens }]);
    let attempts = 0;
    const refusedOnce: typeof fetch = (input, init) => {
      attempts++;
      if (attempts === 1) {
        const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
        return Promise.reject(new TypeError("fetch failed", { cause }));
      }
      return fetch(input, init);
    };
    const result = await exchangeCode(server, publicClient, grant, { fetch: refusedOnce });
    expect(result.access_token).toBe("at");
    expect(attempts).toBe(2);
    expect(fake.requests).toHaveLength(1);
  });

  it("reports an unreachable server as NETWORK with the host only", async () => {
    const { fake, server } = await flaky([{ body: tokens }]);
    await fake.close();
    const error = await rejection(exchangeCode(server, publicClient, grant, { retry: { limit: 0 } }));
    expect(error.code).toBe("NETWORK");
    expect(error.message).toMatch(/could not reach 127\.0\.0\.1:\d+/);
    expect(error.message).not.toContain("/token");
  });

  it("does not follow a redirect with the code", async () => {
    const target = await flaky([{ body: tokens }]);
    const { server } = await flaky([{ status: 307, headers: { location: `${target.fake.url}/token` } }]);
    const error = await rejection(exchangeCode(server, publicClient, grant));
    expect(error.code).toBe("INVALID_RESPONSE");
    expect(target.fake.requests).toHaveLength(0);
  });

  it("refuses a plain-http endpoint that is not loopback before any request", async () => {
    let called = false;
    const spy: typeof fetch = (input, init) => {
      called = true;
      return fetch(input, init);
    };
    const error = await rejection(
      exchangeCode({ token_endpoint: "http://auth.example.com/token" }, publicClient, grant, { fetch: spy }),
    );
    expect(error.code).toBe("CONFIG_INVALID");
    expect(called).toBe(false);
  });
});

describe("device flow polling (RFC 8628 §3.5)", () => {
  it("waits the default 5 s, keeps polling while pending, adds 5 s on slow_down", async () => {
    const { fake } = await flaky([
      {
        body: {
          device_code: "dc",
          user_code: "ABCD-EFGH",
          verification_uri: "https://example.com/device",
          expires_in: 600,
        },
      },
      { status: 400, body: { error: "authorization_pending" } },
      { status: 400, body: { error: "slow_down" } },
      { status: 400, body: { error: "authorization_pending" } },
      { body: tokens },
    ]);
    const server = {
      token_endpoint: `${fake.url}/token`,
      device_authorization_endpoint: `${fake.url}/device`,
    };
    const started = await startDeviceAuthorization(server, publicClient, { scopes: ["repo"] });
    expect(started.interval).toBe(5);
    const waits: number[] = [];
    const result = await pollDeviceToken(server, publicClient, started, {
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(result.access_token).toBe("at");
    expect(waits).toEqual([5_000, 5_000, 10_000, 10_000]);
    expect(new URLSearchParams(fake.requests[1]?.body).get("grant_type")).toBe(
      "urn:ietf:params:oauth:grant-type:device_code",
    );
  });

  it("stops with DEVICE_CODE_EXPIRED when the code's lifetime has passed", async () => {
    const { fake } = await flaky([{ status: 400, body: { error: "authorization_pending" } }]);
    const server = { token_endpoint: `${fake.url}/token` };
    let clock = 0;
    const error = await rejection(
      pollDeviceToken(
        server,
        publicClient,
        { device_code: "dc", user_code: "u", verification_uri: "https://x", expires_in: 12, interval: 5 },
        {
          now: () => clock,
          sleep: async (ms) => {
            clock += ms;
          },
        },
      ),
    );
    expect(error.code).toBe("DEVICE_CODE_EXPIRED");
    expect(fake.requests).toHaveLength(2);
  });
});
