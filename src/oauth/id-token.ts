// Reading an ID token's claims FOR DISPLAY ONLY (an account label such as the e-mail address).
// Nothing here verifies the signature, issuer, audience, expiry or nonce (OIDC Core §3.1.3.7), so
// no decision — authorisation, identity, trust — may rest on these claims. oauthx only shows them.

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
