// Reading a token endpoint response: RFC 6749 §5.1 (success) and §5.2 (error), plus the quirks
// providers.yaml can declare (TokenResponseQuirks). Pure: no I/O, unit-tested on bodies.
//
// Decisions, each where RFC and practice disagree:
//   - An `error` member means failure whatever the HTTP status (GitHub answers 200 with `error`).
//   - Bodies are JSON (§5.1) or, as GitHub does without `Accept: application/json`, form-encoded;
//     the content type decides, and an unlabelled body is tried as JSON, then as a form.
//   - `token_type` is REQUIRED (§5.1) but some providers omit it (Jobber); when absent, Bearer is
//     assumed, since every provider oauthx knows uses bearer tokens (RFC 6750). When present it must
//     be "bearer" in any case (§5.1 says case-insensitive). Any other type (DPoP, mac) is refused:
//     §7.1 forbids using a token of a type the client does not understand. Inside `nested_in`
//     (Slack's `authed_user`), `token_type` names the kind of token ("user") rather than an RFC
//     6749 type, so it is not checked there; Slack user tokens are bearer tokens.
//   - `nested_in` applies when the member is present, and then it must hold the token (a Slack code
//     exchange that granted only a bot token has `authed_user` without `access_token`: that is an
//     error, not the bot token). A response without the member but with a top-level `access_token`
//     is read at the top level: Slack's refresh responses are flat (@slack/oauth
//     OAuthV2TokenRefreshResponse). `token_type` is not checked there either (Slack says "user").
//   - `scope` is a string split on the separator (RFC 6749 §3.3), or a JSON array of strings, as
//     Twitch sends it.
//   - `expires_in` must be a positive number of seconds; a numeric string ("3600", form bodies and
//     some JSON servers) is accepted; `null` counts as absent. Without it, the quirks may take the
//     lifetime from the access token's JWT `exp` (Jobber) or assume a default (Salesforce).

import * as v from "valibot";
import { OauthxError } from "../errors.ts";
import type { HttpResult } from "./http.ts";
import { mediaType, parseJsonObject } from "./http.ts";
import { decodeJwtClaimsUnverified } from "./id-token.ts";
import { describeInvalidMember } from "./invalid-member.ts";
import { readOAuthError } from "./oauth-error.ts";
import type { OAuthErrorResponse, ScopeSeparator, TokenResponseQuirks, TokenSet } from "./types.ts";

export type TokenEndpointOutcome =
  | { kind: "tokens"; tokens: TokenSet }
  /** An RFC 6749 §5.2 error, or a quirk's failure flag (Slack `ok: false`). */
  | { kind: "oauth-error"; status: number; error: OAuthErrorResponse }
  /** A non-2xx answer without an OAuth error body (a proxy's 502 page, a redirect). */
  | { kind: "http-error"; status: number };

function formToObject(text: string): Record<string, unknown> | undefined {
  const params = new URLSearchParams(text.trim());
  const result: Record<string, unknown> = {};
  for (const [name, value] of params) {
    // RFC 6749 §3.1: parameters MUST NOT be included more than once.
    if (Object.hasOwn(result, name)) return undefined;
    result[name] = value;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

/** Decodes a JSON or form-encoded body into an object; undefined when it is neither. */
export function decodeTokenEndpointBody(
  result: Pick<HttpResult, "headers" | "body">,
): Record<string, unknown> | undefined {
  const type = mediaType(result.headers);
  if (type === "application/json" || type.endsWith("+json")) return parseJsonObject(result.body);
  if (type === "application/x-www-form-urlencoded") return formToObject(result.body);
  const trimmed = result.body.trim();
  if (trimmed.startsWith("{")) return parseJsonObject(trimmed);
  return /^[A-Za-z0-9_.~%-]+=/.test(trimmed) ? formToObject(trimmed) : undefined;
}

const nonEmptyString = (what: string) =>
  v.pipe(v.string(`${what} must be a string`), v.nonEmpty(`${what} must not be empty`));

const expiresIn = v.pipe(
  v.union(
    [
      v.number(),
      v.pipe(
        v.string(),
        v.regex(/^\d{1,12}$/),
        v.transform((value) => Number(value)),
      ),
    ],
    "expires_in must be a number of seconds",
  ),
  v.check((value) => Number.isFinite(value) && value > 0, "expires_in must be a positive number of seconds"),
  // Whole seconds, at least 1: a fractional lifetime below one second (0.5, 5e-324) would
  // otherwise floor to 0, a token that is expired on arrival. Refusing it instead would throw away
  // a refresh token the server has already rotated.
  v.transform((value) => Math.max(1, Math.floor(value))),
);

const tokenMembers = v.object({
  access_token: nonEmptyString("access_token"),
  token_type: v.optional(v.string("token_type must be a string")),
  expires_in: v.nullish(expiresIn),
  refresh_token: v.nullish(nonEmptyString("refresh_token")),
  scope: v.nullish(
    v.union([v.string(), v.array(v.string())], "scope must be a string or an array of strings"),
  ),
  id_token: v.nullish(nonEmptyString("id_token")),
});

function malformed(detail: string): OauthxError {
  return new OauthxError("INVALID_RESPONSE", `the token endpoint's response is malformed: ${detail}`, {
    remedy: "check the provider's token endpoint and response settings (token_response in providers.yaml)",
  });
}

export function splitScope(value: string, separator: ScopeSeparator): string[] {
  return value
    .split(separator)
    .map((scope) => scope.trim())
    .filter((scope) => scope !== "");
}

function isFlagTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/**
 * Interprets one token endpoint answer. Returns the tokens or the server's error; throws
 * INVALID_RESPONSE when a 2xx answer cannot be read as a token response.
 */
export function readTokenResponse(
  result: HttpResult,
  quirks: TokenResponseQuirks = {},
  requestScopeSeparator: ScopeSeparator = " ",
  now: () => number = Date.now,
): TokenEndpointOutcome {
  const ok = result.status >= 200 && result.status < 300;
  const body = decodeTokenEndpointBody(result);
  if (body === undefined) {
    if (ok) throw malformed("the body is neither a JSON object nor form-encoded");
    return { kind: "http-error", status: result.status };
  }
  const oauthError = readOAuthError(body);
  if (oauthError) return { kind: "oauth-error", status: result.status, error: oauthError };
  if (quirks.ok_field !== undefined && !isFlagTrue(body[quirks.ok_field])) {
    return { kind: "oauth-error", status: result.status, error: { error: `${quirks.ok_field}_false` } };
  }
  if (!ok) return { kind: "http-error", status: result.status };

  let source = body;
  if (quirks.nested_in !== undefined) {
    const nested = body[quirks.nested_in];
    const flat = nested == null && body.access_token !== undefined;
    if (!flat) {
      if (typeof nested !== "object" || nested === null || Array.isArray(nested)) {
        throw malformed(`the member ${quirks.nested_in} is missing or not an object`);
      }
      source = nested as Record<string, unknown>;
      if (source.access_token === undefined) throw malformed(`${quirks.nested_in}.access_token is missing`);
    }
  }
  const parsed = v.safeParse(tokenMembers, source);
  if (!parsed.success) {
    throw malformed(describeInvalidMember(parsed.issues[0], "a member"));
  }
  const members = parsed.output;
  if (
    quirks.nested_in === undefined &&
    members.token_type !== undefined &&
    members.token_type.toLowerCase() !== "bearer"
  ) {
    throw new OauthxError("INVALID_RESPONSE", `the token endpoint issued an unsupported token type`, {
      remedy: "oauthx supports bearer tokens only (RFC 6750); check the provider's settings (e.g. DPoP)",
    });
  }
  const extra: Record<string, unknown> = {};
  for (const name of quirks.keep ?? []) {
    const value = Object.hasOwn(source, name) ? source[name] : body[name];
    if (value !== undefined) extra[name] = value;
  }
  const tokens: TokenSet = { access_token: members.access_token, token_type: "Bearer", extra };
  const expiresIn = members.expires_in ?? lifetimeFromQuirks(members.access_token, quirks, now);
  if (expiresIn !== undefined) tokens.expires_in = expiresIn;
  if (members.refresh_token != null) tokens.refresh_token = members.refresh_token;
  if (members.scope != null) {
    tokens.scope =
      typeof members.scope === "string"
        ? splitScope(members.scope, quirks.scope_separator ?? requestScopeSeparator)
        : members.scope.map((scope) => scope.trim()).filter((scope) => scope !== "");
  }
  if (members.id_token != null) tokens.id_token = members.id_token;
  return { kind: "tokens", tokens };
}

function lifetimeFromQuirks(
  accessToken: string,
  quirks: TokenResponseQuirks,
  now: () => number,
): number | undefined {
  if (quirks.expires_from === "jwt_exp") {
    const exp = decodeJwtClaimsUnverified(accessToken)?.exp;
    // Already past (clock skew): 1 s, so the caller refreshes at once rather than trusting it.
    if (typeof exp === "number" && Number.isFinite(exp)) return Math.max(1, Math.floor(exp - now() / 1000));
  }
  return quirks.default_expires_in;
}
