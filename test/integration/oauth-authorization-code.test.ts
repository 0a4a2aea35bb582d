// The authorization code flow with PKCE against a real oidc-provider, through a real loopback
// server, with the login and consent pages completed by HTTP.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prepareAuthorization } from "../../src/oauth/authorize.ts";
import { discover } from "../../src/oauth/discovery.ts";
import { accountLabelFromClaims, decodeIdTokenClaimsUnverified } from "../../src/oauth/id-token.ts";
import { startLoopbackServer } from "../../src/oauth/loopback.ts";
import { exchangeCode } from "../../src/oauth/token-endpoint.ts";
import type { Client } from "../../src/oauth/types.ts";
import { fetchUserInfo } from "../../src/oauth/userinfo.ts";
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
  as = await startAuthServer();
});
afterEach(async () => {
  await as.close();
});

const nativeClient: Client = { client_id: NATIVE_CLIENT_ID, client_auth: "none" };
const confidentialClient: Client = {
  client_id: CONFIDENTIAL_CLIENT_ID,
  client_secret: CONFIDENTIAL_CLIENT_SECRET,
  client_auth: "client_secret_basic",
};

/** One full login: loopback server, authorization URL, browserless login, code exchange. */
async function login(client: Client, scopes = ["openid", "email", "offline_access"]) {
  const metadata = await discover(as.issuer);
  const loopback = await startLoopbackServer();
  const prepared = await prepareAuthorization(metadata, client, {
    redirect_uri: loopback.redirect_uri,
    scopes,
  });
  const callback = loopback.waitForCallback({
    state: prepared.state,
    issuer: metadata.issuer,
    iss_required: metadata.authorization_response_iss_parameter_supported ?? false,
    timeoutMs: 10_000,
  });
  const browser = await browserlessLogin(prepared.url, { login: "ada" });
  expect(browser.status).toBe(200);
  expect(browser.body).toContain("Signed in");
  const { code, iss } = await callback;
  expect(iss).toBe(as.issuer);
  const tokens = await exchangeCode(metadata, client, {
    code,
    redirect_uri: loopback.redirect_uri,
    code_verifier: prepared.code_verifier!,
  });
  return { metadata, tokens, browser };
}

describe("authorization code + PKCE against oidc-provider", () => {
  it("logs in a public client (token_endpoint_auth_method none)", async () => {
    const { metadata, tokens, browser } = await login(nativeClient);
    expect(tokens.token_type).toBe("Bearer");
    expect(tokens.access_token).not.toBe("");
    expect(tokens.refresh_token).toBeDefined();
    expect(tokens.expires_in).toBeGreaterThan(0);
    expect(tokens.expires_in).toBeLessThanOrEqual(60);
    expect(tokens.scope).toEqual(expect.arrayContaining(["openid", "email"]));
    // The code never shows up on the page the browser got.
    expect(browser.body).not.toContain(browser.redirect?.searchParams.get("code") ?? "unreachable");
    // Account label from the ID token (display only) and from userinfo. oidc-provider conforms to
    // OIDC Core §5.4: with an access token issued, scope-requested claims (email) go to userinfo
    // only, so the ID token yields just `sub`.
    expect(accountLabelFromClaims(decodeIdTokenClaimsUnverified(tokens.id_token))).toBe("ada");
    const claims = await fetchUserInfo(metadata, tokens.access_token);
    expect(claims.email).toBe("ada@example.test");
    expect(as.counters.tokenRequests).toBe(1);
  });

  it("logs in a confidential client with client_secret_basic (form-encoded id and secret)", async () => {
    const { tokens } = await login(confidentialClient);
    expect(tokens.access_token).not.toBe("");
  });

  it("reports a wrong client secret as TOKEN_EXCHANGE_FAILED without the secret", async () => {
    const wrong: Client = { ...confidentialClient, client_secret: "wrong-secret-value" };
    const error = await rejection(login(wrong));
    expect(error.code).toBe("TOKEN_EXCHANGE_FAILED");
    expect(error.message).toContain("invalid_client");
    expect(error.message).not.toContain("wrong-secret-value");
  });

  it("refuses a code exchanged twice (single use, RFC 6749 §4.1.2)", async () => {
    const metadata = await discover(as.issuer);
    const loopback = await startLoopbackServer();
    const prepared = await prepareAuthorization(metadata, nativeClient, {
      redirect_uri: loopback.redirect_uri,
      scopes: ["openid"],
    });
    const callback = loopback.waitForCallback({
      state: prepared.state,
      issuer: as.issuer,
      timeoutMs: 10_000,
    });
    await browserlessLogin(prepared.url);
    const { code } = await callback;
    const grant = { code, redirect_uri: loopback.redirect_uri, code_verifier: prepared.code_verifier! };
    await exchangeCode(metadata, nativeClient, grant);
    const error = await rejection(exchangeCode(metadata, nativeClient, grant));
    expect(error.code).toBe("TOKEN_EXCHANGE_FAILED");
    expect(error.message).toContain("invalid_grant");
    expect(error.message).not.toContain(code);
  });

  it("ends with AUTH_DENIED when the user denies consent", async () => {
    const metadata = await discover(as.issuer);
    const loopback = await startLoopbackServer();
    const prepared = await prepareAuthorization(metadata, nativeClient, {
      redirect_uri: loopback.redirect_uri,
      scopes: ["openid"],
    });
    const callback = loopback.waitForCallback({
      state: prepared.state,
      issuer: as.issuer,
      iss_required: true,
      timeoutMs: 10_000,
    });
    const outcome = rejection(callback);
    const browser = await browserlessLogin(prepared.url, { decision: "deny" });
    expect(browser.redirect?.searchParams.get("error")).toBe("access_denied");
    expect(browser.body).toContain("denied");
    const error = await outcome;
    expect(error.code).toBe("AUTH_DENIED");
    expect(error.message).toContain("End-User aborted interaction");
  });
});
