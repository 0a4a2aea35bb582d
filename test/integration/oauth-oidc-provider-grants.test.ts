// Refresh rotation, revocation, discovery and the device flow against a real oidc-provider.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prepareAuthorization } from "../../src/oauth/authorize.ts";
import { pollDeviceToken, startDeviceAuthorization } from "../../src/oauth/device.ts";
import { discover } from "../../src/oauth/discovery.ts";
import { startLoopbackServer } from "../../src/oauth/loopback.ts";
import { revokeToken } from "../../src/oauth/revoke.ts";
import { exchangeCode, refreshToken } from "../../src/oauth/token-endpoint.ts";
import type { AuthorizationServer, Client, TokenSet } from "../../src/oauth/types.ts";
import {
  type AuthServer,
  CONFIDENTIAL_CLIENT_ID,
  CONFIDENTIAL_CLIENT_SECRET,
  NATIVE_CLIENT_ID,
  startAuthServer,
} from "../support/auth-server.ts";
import { browserlessLogin } from "../support/browserless-login.ts";
import { rejection } from "../support/rejection.ts";

let as: AuthServer;
beforeEach(async () => {
  as = await startAuthServer({ accessTokenTtl: 30 });
});
afterEach(async () => {
  await as.close();
});

const nativeClient: Client = { client_id: NATIVE_CLIENT_ID, client_auth: "none" };
const relogin = "run `oauthx login test`";

async function login(server: AuthorizationServer, client: Client = nativeClient): Promise<TokenSet> {
  const loopback = await startLoopbackServer();
  const prepared = await prepareAuthorization(server, client, {
    redirect_uri: loopback.redirect_uri,
    scopes: ["openid", "email", "offline_access"],
  });
  const callback = loopback.waitForCallback({ state: prepared.state, issuer: as.issuer, timeoutMs: 10_000 });
  await browserlessLogin(prepared.url);
  const { code } = await callback;
  return exchangeCode(server, client, {
    code,
    redirect_uri: loopback.redirect_uri,
    code_verifier: prepared.code_verifier!,
  });
}

describe("discovery", () => {
  it("reads oidc-provider's metadata", async () => {
    const metadata = await discover(as.issuer);
    expect(metadata).toMatchObject({
      issuer: as.issuer,
      ...as.endpoints,
      authorization_response_iss_parameter_supported: true,
    });
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
  });

  it("refuses a document whose issuer differs from the configured one", async () => {
    // The same server reached under another spelling of its address.
    const other = as.issuer.replace("127.0.0.1", "localhost");
    const error = await rejection(discover(other));
    expect(error.code).toBe("ISSUER_MISMATCH");
  });

  it("falls back to RFC 8414's well-known path", async () => {
    const served: string[] = [];
    const server = createServer((request, response) => {
      served.push(request.url ?? "");
      if (request.url === "/.well-known/oauth-authorization-server/tenant") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ issuer, token_endpoint: `${issuer}/token` }));
      } else {
        response.writeHead(404);
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tenant`;
    try {
      const metadata = await discover(issuer);
      expect(metadata.token_endpoint).toBe(`${issuer}/token`);
      expect(served).toEqual([
        "/tenant/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/tenant",
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("refresh with rotation", () => {
  it("rotates the refresh token; reusing the old one is REFRESH_REJECTED and revokes the grant", async () => {
    const first = await login(as.endpoints);
    const second = await refreshToken(as.endpoints, nativeClient, { refresh_token: first.refresh_token! });
    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(as.counters.refreshRequests).toBe(1);

    const reuse = await rejection(
      refreshToken(
        as.endpoints,
        nativeClient,
        { refresh_token: first.refresh_token! },
        { relogin_remedy: relogin },
      ),
    );
    expect(reuse.code).toBe("REFRESH_REJECTED");
    expect(reuse.remedy).toBe(relogin);
    expect(reuse.message).toContain("invalid_grant");
    expect(reuse.message).not.toContain(first.refresh_token!);
    expect(as.counters.grantsRevoked).toBeGreaterThanOrEqual(1);

    // Reuse detection revoked the whole grant: the newest refresh token is dead too.
    const newest = await rejection(
      refreshToken(as.endpoints, nativeClient, { refresh_token: second.refresh_token! }),
    );
    expect(newest.code).toBe("REFRESH_REJECTED");
  });

  it("refreshes a confidential client with client_secret_basic", async () => {
    const client: Client = {
      client_id: CONFIDENTIAL_CLIENT_ID,
      client_secret: CONFIDENTIAL_CLIENT_SECRET,
      client_auth: "client_secret_basic",
    };
    const first = await login(as.endpoints, client);
    const second = await refreshToken(as.endpoints, client, { refresh_token: first.refresh_token! });
    expect(second.access_token).not.toBe("");
  });
});

describe("revocation (RFC 7009)", () => {
  it("revokes a refresh token; it cannot be used afterwards", async () => {
    const tokens = await login(as.endpoints);
    expect(
      await revokeToken(as.endpoints, nativeClient, {
        token: tokens.refresh_token!,
        token_type_hint: "refresh_token",
      }),
    ).toBe("revoked");
    expect(as.counters.revocations).toBe(1);
    const error = await rejection(
      refreshToken(as.endpoints, nativeClient, { refresh_token: tokens.refresh_token! }),
    );
    expect(error.code).toBe("REFRESH_REJECTED");
  });

  it("revoking the access token also ends its refresh token (oidc-provider)", async () => {
    const tokens = await login(as.endpoints);
    expect(
      await revokeToken(as.endpoints, nativeClient, {
        token: tokens.access_token,
        token_type_hint: "access_token",
      }),
    ).toBe("revoked");
    const error = await rejection(
      refreshToken(as.endpoints, nativeClient, { refresh_token: tokens.refresh_token! }),
    );
    expect(error.code).toBe("REFRESH_REJECTED");
  });

  it("treats an unknown token as revoked (§2.2) and does nothing for providers without revocation", async () => {
    expect(await revokeToken(as.endpoints, nativeClient, { token: "never-issued" })).toBe("revoked");
    expect(await revokeToken({}, nativeClient, { token: "x" }, { style: "none" })).toBe("unsupported");
    expect(as.counters.revocations).toBe(1);
  });
});

describe("device authorization grant (RFC 8628)", () => {
  const server = () => ({ ...as.endpoints });

  it("completes after the user approves on the verification page", async () => {
    const started = await startDeviceAuthorization(server(), nativeClient, {
      scopes: ["openid", "email", "offline_access"],
    });
    expect(started.user_code).not.toBe("");
    expect(started.interval).toBe(5); // oidc-provider sends no interval: RFC 8628's default
    expect(started.verification_uri_complete).toContain(encodeURIComponent(started.user_code).slice(0, 4));
    let approved = false;
    const waits: number[] = [];
    const tokens = await pollDeviceToken(server(), nativeClient, started, {
      sleep: async (ms) => {
        waits.push(ms);
        // First poll happens before approval (authorization_pending), then the user approves.
        if (waits.length === 2 && !approved) {
          const page = await browserlessLogin(started.verification_uri_complete!, { login: "dev" });
          expect(page.body).toContain("Sign-in Success");
          approved = true;
        }
      },
    });
    expect(approved).toBe(true);
    expect(tokens.access_token).not.toBe("");
    expect(tokens.refresh_token).toBeDefined();
    expect(waits).toEqual([5_000, 5_000]);
  });

  it("works with the code typed on the plain verification page", async () => {
    const started = await startDeviceAuthorization(server(), nativeClient, { scopes: ["openid"] });
    await browserlessLogin(started.verification_uri, { userCode: started.user_code });
    const tokens = await pollDeviceToken(server(), nativeClient, started, { sleep: async () => {} });
    expect(tokens.access_token).not.toBe("");
  });

  it("ends with AUTH_DENIED when the user aborts on the confirmation page", async () => {
    const started = await startDeviceAuthorization(server(), nativeClient, { scopes: ["openid"] });
    const page = await browserlessLogin(started.verification_uri_complete!, { decision: "deny" });
    expect(page.body).toContain("interrupted");
    const error = await rejection(
      pollDeviceToken(server(), nativeClient, started, { sleep: async () => {} }),
    );
    expect(error.code).toBe("AUTH_DENIED");
  });

  it("maps the server's expired_token to DEVICE_CODE_EXPIRED", async () => {
    await as.close();
    as = await startAuthServer({ deviceCodeTtl: 1 });
    const started = await startDeviceAuthorization(server(), nativeClient, { scopes: ["openid"] });
    const error = await rejection(
      pollDeviceToken(server(), nativeClient, started, {
        now: () => 0, // our own deadline never passes: the server decides
        sleep: () => new Promise((resolve) => setTimeout(resolve, 1_100)),
      }),
    );
    expect(error.code).toBe("DEVICE_CODE_EXPIRED");
  });
});
