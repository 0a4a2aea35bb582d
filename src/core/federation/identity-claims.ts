// The claims of a CI identity token that oauthx reads, unverified (the provider verifies the
// signature; oauthx holds no key): `exp`, to refuse a token that has expired before sending it,
// and `iss`, `sub`, `aud`, which a provider's trust policy matches on, to show when the provider
// refuses (the claims, never the token).

import { OauthxError } from "../../errors.ts";
import { decodeJwtClaimsUnverified } from "../../oauth/id-token.ts";
import { sanitizeOAuthText } from "../../oauth/oauth-error.ts";

/** Checks that `token` is a JWT that has not expired; `where` names it in messages. */
export function checkIdentityToken(
  token: string,
  where: string,
  nowMs: number,
  remedies: { expired: string },
): void {
  const claims = decodeJwtClaimsUnverified(token);
  if (claims === undefined) {
    throw new OauthxError("ID_TOKEN_UNAVAILABLE", `${where} holds no JWT (a signed OpenID Connect token)`, {
      remedy: "give the identity token itself: three base64url parts separated by dots",
    });
  }
  const exp = claims.exp;
  // A few seconds of margin: the exchange must reach the provider before the token expires.
  if (typeof exp === "number" && exp <= nowMs / 1000 + 5) {
    throw new OauthxError(
      "ID_TOKEN_UNAVAILABLE",
      `the identity token in ${where} expired at ${new Date(exp * 1000).toISOString()}`,
      { remedy: remedies.expired },
    );
  }
}

/** How many members of an array claim (`aud`) a refusal shows. */
const SHOWN_MEMBERS = 4;

/**
 * `iss=… sub=… aud=…` of a token, for a refusal; printable characters only, each capped, and an
 * array by its first few strings: the claims are unverified input, and an `aud` of thousands of
 * members, or arrays nested thousands deep, must not make the message huge or the stack overflow.
 */
export function describeTrustClaims(token: string): string {
  const claims = decodeJwtClaimsUnverified(token) ?? {};
  const one = (value: unknown): string =>
    typeof value === "string" ? sanitizeOAuthText(value, 160) : "(none)";
  const show = (value: unknown): string => {
    if (!Array.isArray(value)) return one(value);
    const shown = value.slice(0, SHOWN_MEMBERS).map(one).join(",");
    return value.length > SHOWN_MEMBERS ? `${shown},… (${value.length} in all)` : shown;
  };
  return `iss=${show(claims.iss)} sub=${show(claims.sub)} aud=${show(claims.aud)}`;
}
