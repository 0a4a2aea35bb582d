// Reading an ID token's claims FOR DISPLAY ONLY (an account label such as the e-mail address).
// Only the checks that need no key are made (checkIdTokenBinding); the signature is not verified,
// so no decision — authorisation, identity, trust — may rest on these claims. oauthx only shows them.

import { OauthxError } from "../errors.ts";
import { decodeBase64Url } from "./base64url.ts";

/** The payload of a compact JWS (RFC 7515 §7.1) as an object; undefined for anything else. */
export function decodeJwtClaimsUnverified(jwt: unknown): Record<string, unknown> | undefined {
  if (typeof jwt !== "string" || jwt.length > 64 * 1024) return undefined;
  const parts = jwt.split(".");
  // Three parts: a JWS. Five would be an encrypted JWE, which cannot be read without a key.
  if (parts.length !== 3) return undefined;
  const bytes = decodeBase64Url(parts[1] as string);
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** An ID token's claims, unverified: for display only. */
export function decodeIdTokenClaimsUnverified(idToken: unknown): Record<string, unknown> | undefined {
  return decodeJwtClaimsUnverified(idToken);
}

/** A label for people: email, preferred_username, name, login or sub, whichever comes first. */
export function accountLabelFromClaims(claims: Record<string, unknown> | undefined): string | undefined {
  if (claims === undefined) return undefined;
  for (const name of ["email", "preferred_username", "name", "login", "sub"]) {
    const value = claims[name];
    if (typeof value === "string" && value.trim() !== "") {
      // Display only: strip control characters so a hostile claim cannot drive the terminal.
      return value.replace(/\p{Cc}/gu, "").slice(0, 200);
    }
  }
  return undefined;
}

/**
 * The checks of OIDC Core §3.1.3.7 that need no key, for an ID token received from the token
 * endpoint in this login: step 3, `aud` names our client_id; step 11, `nonce` is the one this
 * login sent. They catch an ID token meant for another client or another login before its claims
 * label the stored account. Not made here: step 2 (`iss`), because multi-tenant issuers (Entra's
 * `common`) put the user's tenant there, not the discovery issuer; steps 6-7 (the signature), for
 * which TLS to the token endpoint stands in (step 6 allows it). A claim that is absent is let
 * through: PKCE (RFC 7636) already binds the code to this login, and the claims are display only.
 */
export function checkIdTokenBinding(
  claims: Record<string, unknown>,
  expected: { clientId: string; nonce?: string | undefined },
): void {
  const { aud, nonce } = claims;
  if (aud !== undefined) {
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.includes(expected.clientId)) {
      throw new OauthxError(
        "INVALID_RESPONSE",
        "the ID token in the token response was issued to another client (aud)",
        {
          remedy: "check the client_id configured for this provider, then log in again",
        },
      );
    }
  }
  if (expected.nonce !== undefined && nonce !== undefined && nonce !== expected.nonce) {
    throw new OauthxError(
      "INVALID_RESPONSE",
      "the ID token in the token response belongs to another login (nonce)",
      {
        remedy: "log in again; if it happens again, the provider answered with a token from another session",
      },
    );
  }
}
