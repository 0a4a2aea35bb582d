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

/** `iss=… sub=… aud=…` of a token, for a refusal; printable characters only, each capped. */
export function describeTrustClaims(token: string): string {
  const claims = decodeJwtClaimsUnverified(token) ?? {};
  const show = (value: unknown): string => {
    if (Array.isArray(value)) return value.map(show).join(",");
    return typeof value === "string" ? sanitizeOAuthText(value, 160) : "(none)";
  };
  return `iss=${show(claims.iss)} sub=${show(claims.sub)} aud=${show(claims.aud)}`;
}
