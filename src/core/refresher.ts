// The refresh half of the token manager for one provider (RFC 6749 §6 through src/oauth): resolve
// the endpoints (discovery, before the lock: Refresher.prepare), check that the token endpoint is
// one the login is bound to (origin-binding.ts), send the refresh token, and turn the answer into
// what the token manager stores.

import { OauthxError } from "../errors.ts";
import type { ProviderEntry } from "../providers/registry.ts";
import type { DiscoveryCacheEntry, TokenEntry } from "../store/document.ts";
import { withSeedExplained } from "./ci-mode.ts";
import { assertSeedOrigin } from "./ci-seed.ts";
import type { Context } from "./context.ts";
import { needsDiscovery, resolveEndpoints } from "./endpoints.ts";
import { assertBoundOrigin, credentialOrigins } from "./origin-binding.ts";
import { clientFor } from "./provider-client.ts";
import type { Session } from "./session.ts";
import { exportedRemedy, loginRemedy, type Refresher } from "./token-manager.ts";

/**
 * A refresh holds the store lock for its request (so no other process can spend the same refresh
 * token), so it must end well within the lock timeout other processes wait for.
 */
export const REFRESH_TIMEOUT_MS = 10_000;
/** At most one retry (429/503 with a short Retry-After): worst case ~25 s, under the 30 s lock wait. */
const REFRESH_RETRY = { limit: 1, maxRetryAfterMs: 5_000 };

export function refresherFor(
  ctx: Context,
  session: Session,
  entry: ProviderEntry,
  profile: string,
): Refresher {
  // Discovery metadata fetched by prepare(), reused by the refresh under the lock.
  const fetched: Record<string, DiscoveryCacheEntry> = {};
  const resolve = async (stored: TokenEntry) => {
    const base = clientFor(ctx, entry, stored);
    // The store is read for its cached discovery only when it can help: the provider
    // needs discovery and prepare() has not already found the metadata. And only for a login
    // that records its origins: the origin binding then checks whatever the cache says. An entry
    // without them (a CI seed before its first refresh, a login older than the binding) would
    // send its refresh token wherever a cached token_endpoint pointed, and the cache is no
    // stronger than the store: a shared store's discovery row can be written by anyone who may
    // write the table (age seals to public keys and authenticates no writer). Such an entry asks
    // the issuer itself, over https (RFC 8414 §3.3: the metadata must name that issuer).
    const issuer = base.server.issuer;
    const lookInStore =
      needsDiscovery(base) &&
      issuer !== undefined &&
      fetched[issuer] === undefined &&
      stored.origins !== undefined;
    const cached = lookInStore ? (await session.store.read()).discovery : undefined;
    const client = await resolveEndpoints(
      base,
      { discovery: { ...cached, ...fetched } },
      { timeoutMs: REFRESH_TIMEOUT_MS, retry: REFRESH_RETRY },
    );
    if (client.metadata) fetched[client.metadata.issuer] = { ...client.metadata, fetched_at: 0 };
    return client;
  };

  const refresh = async (stored: TokenEntry) => {
    const { refreshToken } = await import("../oauth/token-endpoint.ts");
    const client = await resolve(stored);
    if (!client.server.token_endpoint) {
      throw new OauthxError("CONFIG_INVALID", `${entry.id} has no token endpoint`, {
        remedy: `set token_endpoint or issuer for ${entry.id} in your providers file`,
      });
    }
    // The refresh token and a client secret go to the token endpoint: it must be the login's.
    assertBoundOrigin(entry.id, stored, client.server.token_endpoint, "the refresh token");
    // A seed records no origin of its own; OAUTHX_<ID>_TOKEN_ORIGIN pins one (ci-seed.ts).
    if (session.seed) assertSeedOrigin(session.seed, client.server.token_endpoint);
    const send = () =>
      refreshToken(
        client.server,
        client.client,
        { refresh_token: stored.refresh_token ?? "", scope_separator: client.definition.scope_separator },
        {
          ...client.tokenOptions,
          timeoutMs: REFRESH_TIMEOUT_MS,
          retry: REFRESH_RETRY,
          relogin_remedy:
            stored.exported_at === undefined
              ? loginRemedy(entry.id, profile)
              : exportedRemedy(entry.id, profile),
          refreshed_before: stored.refreshed_at !== undefined,
        },
      );
    const tokens = session.seed
      ? await withSeedExplained(session.seed, stored.refresh_token, send)
      : await send();
    const extra = stringValues(tokens.extra);
    const idToken = tokens.id_token
      ? await refreshedIdToken(tokens.id_token, stored, client.client.client_id)
      : undefined;
    return {
      access_token: tokens.access_token,
      token_type: tokens.token_type,
      ...(tokens.expires_in !== undefined ? { expires_in: tokens.expires_in } : {}),
      ...(tokens.refresh_token !== undefined ? { refresh_token: tokens.refresh_token } : {}),
      ...(tokens.scope !== undefined ? { scope: tokens.scope } : {}),
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
      ...(idToken ? { id_token: idToken } : {}),
      origins: credentialOrigins(client, { ...stored.extra, ...extra }),
    };
  };
  return Object.assign(refresh, {
    prepare: async (stored: TokenEntry) => {
      await resolve(stored);
    },
  });
}

/** Token response members kept beside the tokens (providers.yaml token_response.keep), as strings. */
export function stringValues(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [
      key,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

/** A refreshed ID token worth keeping: one of the same login (OIDC Core §12.2), else none. */
async function refreshedIdToken(
  idToken: string,
  stored: TokenEntry,
  clientId: string,
): Promise<string | undefined> {
  const { decodeIdTokenClaimsUnverified, refreshedIdTokenMatches } = await import("../oauth/id-token.ts");
  return refreshedIdTokenMatches(decodeIdTokenClaimsUnverified(idToken), stored.id_token_claims, clientId)
    ? idToken
    : undefined;
}
