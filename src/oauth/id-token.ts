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
 * endpoint in this login: step 3, `aud` names our client_id (`aud` is REQUIRED in every ID token,
 * §2); step 11, when this login sent a `nonce`, the claim MUST be present and equal to it. They
 * catch an ID token meant for another client or another login before its claims label the stored
 * account. Not made here: step 2 (`iss`), because multi-tenant issuers (Entra's `common`) put the
 * user's tenant there, not the discovery issuer; steps 6-7 (the signature), for which TLS to the
 * token endpoint stands in (step 6 allows it). `claims` undefined: the token could not be read.
 */
export function checkIdTokenBinding(
  claims: Record<string, unknown> | undefined,
  expected: { clientId: string; nonce?: string | undefined },
): void {
  if (claims === undefined) {
    throw new OauthxError(
      "INVALID_RESPONSE",
      "the ID token in the token response cannot be read (not a JWT)",
      {
        remedy:
          "check the provider's settings (an encrypted ID token cannot be used here), then log in again",
      },
    );
  }
  const { aud, nonce } = claims;
  const audiences = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
  if (!audiences.includes(expected.clientId)) {
    throw new OauthxError(
      "INVALID_RESPONSE",
      aud === undefined
        ? "the ID token in the token response names no audience (aud)"
        : "the ID token in the token response was issued to another client (aud)",
      { remedy: "check the client_id configured for this provider, then log in again" },
    );
  }
  if (expected.nonce !== undefined && nonce !== expected.nonce) {
    throw new OauthxError(
      "INVALID_RESPONSE",
      nonce === undefined
        ? "the ID token in the token response carries no nonce, though this login sent one"
        : "the ID token in the token response belongs to another login (nonce)",
      {
        remedy: "log in again; if it happens again, the provider answered with a token from another session",
      },
    );
  }
}

/**
 * OIDC Core §12.2: an ID token returned by a refresh must have the same `iss`, `sub` and `aud` as
 * the one of the original login (and name our client). False for anything else, including a token
 * that cannot be read: the caller keeps the ID token it had rather than one for someone else.
 */
export function refreshedIdTokenMatches(
  claims: Record<string, unknown> | undefined,
  original: Record<string, unknown> | undefined,
  clientId: string,
): boolean {
  if (claims === undefined) return false;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(clientId)) return false;
  if (original === undefined) return true;
  const same = (name: string) => JSON.stringify(claims[name]) === JSON.stringify(original[name]);
  return same("iss") && same("sub") && same("aud");
}
