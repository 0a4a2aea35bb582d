// A login's credentials never leave the origins that issued them.
//
// Where a provider's endpoints are can be changed after a login: an environment variable fills a
// templated endpoint (OAUTHX_OIDC_ISSUER), the user's providers file overrides a built-in's
// token_endpoint, a discovery document names new endpoints. Sent on blindly, the stored refresh
// token, the access token and a kept client secret would go wherever that now points. So a login
// records, when it is issued, the origins (RFC 6454) of everything its provider then named: the
// issuer, the token, revocation, device and userinfo endpoints, the API base and the API origins
// the entry lists. Later, a credential goes only to a URL whose origin is one of those; anything
// else is ORIGIN_MISMATCH, naming both, before a byte is sent. A login of an older oauthx, which
// recorded nothing, is bound at its next refresh (the token manager keeps the first record).

import { OauthxError } from "../errors.ts";
import { envId } from "../providers/env-names.ts";
import type { TokenEntry } from "../store/document.ts";
import { apiBase, type ProviderClient } from "./provider-client.ts";

const BOUND_ENDPOINTS = [
  "issuer",
  "token_endpoint",
  "revocation_endpoint",
  "device_authorization_endpoint",
  "userinfo_endpoint",
] as const;

/** The origins a login made with this (resolved) client may send its credentials to, sorted. */
export function credentialOrigins(client: ProviderClient, extra: Record<string, string> = {}): string[] {
  const urls: string[] = [];
  for (const name of BOUND_ENDPOINTS) {
    const value = client.server[name];
    if (typeof value === "string") urls.push(value);
  }
  const api = apiBaseOrUndefined(client, extra);
  if (api !== undefined) urls.push(api);
  urls.push(...(client.definition.api_origins ?? []));
  const origins = new Set<string>();
  for (const url of urls) {
    // `{client_id}` in GitHub's revocation URL is in the path: the origin parses without it.
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    if (parsed) origins.add(parsed.origin);
  }
  return [...origins].sort();
}

function apiBaseOrUndefined(client: ProviderClient, extra: Record<string, string>): string | undefined {
  try {
    return apiBase(client, extra);
  } catch {
    // A placeholder the login cannot fill (yet): no API origin to record.
    return undefined;
  }
}

/**
 * Throws ORIGIN_MISMATCH unless `url` is on an origin `entry` is bound to. `what` names what would
 * have been sent ("the refresh token"). An entry that records no origins passes.
 */
export function assertBoundOrigin(
  provider: string,
  entry: TokenEntry,
  url: URL | string,
  what: string,
): void {
  const origins = entry.origins;
  if (origins === undefined) return;
  const target = new URL(url).origin;
  if (origins.includes(target)) return;
  throw new OauthxError(
    "ORIGIN_MISMATCH",
    `refusing to send ${what} of the ${provider} login to ${target}: it was issued by ${origins.join(", ")}`,
    {
      remedy: `if ${provider} really moved, log in again (oauthx login ${provider}); otherwise remove what points it elsewhere (an OAUTHX_${envId(provider)}_* variable, your providers file)`,
    },
  );
}
