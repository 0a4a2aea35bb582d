// Federated CI mode (docs/ci.md "No stored secret"): a provider whose entry has a `federation`
// block gets its tokens by exchanging the job's own OIDC identity token (exchange.ts), with no
// stored secret. Like seeded CI mode (ci-mode.ts) it writes nothing under OAUTHX_HOME, and the calls
// of a job share one per-job cache (store/ci-cache/ci-cache.ts), so one exchange serves them all while the
// access token is fresh.
//
// Which mode, for a provider:
//   - OAUTHX_<ID>_REFRESH_TOKEN set: seeded CI mode. A seed is named for its provider and put there
//     on purpose, while a GitHub ID token request URL is there for every job with id-token: write;
//     so an explicit seed wins (the session never gets here).
//   - OAUTHX_<ID>_ID_TOKEN or _ID_TOKEN_FILE set: federated, decided by the variable alone (the
//     provider entry is checked at the first exchange).
//   - ACTIONS_ID_TOKEN_REQUEST_URL set: federated when the entry has `federation`. A cache file
//     of this job for the provider proves it already, so a cached call loads no provider registry.
//   - GITHUB_ACTIONS=true without it: a federated entry is an error at once (id-token: write).

import { existsSync } from "node:fs";
import type { Registry } from "../../providers/registry.ts";
import { getEntry, type StoreDocument, withEntry } from "../../store/document.ts";
import { openSeededStore } from "../ci-mode.ts";
import type { Context } from "../context.ts";
import type { DocumentStore } from "../token-manager.ts";
import {
  findIdentitySource,
  gitHubWithoutIdToken,
  type IdentitySource,
  missingIdTokenPermission,
} from "./identity-source.ts";

export interface Federation {
  provider: string;
  profile: string;
  source: IdentitySource;
}

/**
 * The token manager refreshes only an entry with a refresh token. A federated entry has none; it
 * holds this marker instead, which is no secret and which the exchange ignores, so that the cache
 * key's secret (the source's) is never written into the document.
 */
export const FEDERATED_MARKER = "oauthx:federated";

export type FederatedStore = DocumentStore & { cached?(): Promise<boolean>; file?(): Promise<string> };

/** The federation of `provider`, or undefined when it is not federated here. */
export async function detectFederation(
  ctx: Context,
  provider: string,
  profile: string,
  registry: () => Promise<Registry>,
): Promise<{ federation: Federation; store: FederatedStore } | undefined> {
  const source = findIdentitySource(ctx, provider);
  if (source === undefined) {
    if (gitHubWithoutIdToken(ctx.env) && (await registry()).get(provider).definition.federation) {
      throw missingIdTokenPermission(provider);
    }
    return undefined;
  }
  const federation = { provider, profile, source };
  let store: FederatedStore | undefined;
  if (source.kind === "github-actions") {
    // The request API is there for every provider of the job: only a federated one uses it. Its
    // cache file proves that without the registry; a probe that fails (no request token) proves
    // nothing, and is reported below only for a federated provider.
    store = await openFederatedStore(ctx, federation).catch(() => undefined);
    const file = await store?.file?.();
    if (file === undefined || !existsSync(file)) store = undefined;
    if (store === undefined && !(await registry()).get(provider).definition.federation) return undefined;
  }
  store ??= await openFederatedStore(ctx, federation);
  return { federation, store };
}

/**
 * The job's cache for a federated provider (memory only with OAUTHX_CI_CACHE=off), through the CI
 * cache's own interface: the source's secret takes the seed's place, prefixed with the source's
 * kind (and printable, as a seed is), so that it derives keys of its own.
 */
async function openFederatedStore(ctx: Context, federation: Federation): Promise<FederatedStore> {
  const inner = (await openSeededStore(ctx, {
    provider: federation.provider,
    profile: federation.profile,
    variable: federation.source.label,
    value: `federation:${federation.source.cacheSecret()}`,
  })) as FederatedStore;
  const { provider, profile } = federation;
  const masked = (document: StoreDocument): StoreDocument => {
    const entry = getEntry(document, provider, profile);
    if (entry === undefined || entry.refresh_token === FEDERATED_MARKER) return document;
    return withEntry(document, provider, profile, { ...entry, refresh_token: FEDERATED_MARKER });
  };
  return {
    read: async () => masked(await inner.read()),
    update: async (change) =>
      masked(
        await inner.update(async (current) => {
          const shown = masked(current);
          const next = await change(shown);
          return next === shown ? current : masked(next);
        }),
      ),
    ...(inner.cached ? { cached: () => inner.cached?.() ?? Promise.resolve(false) } : {}),
    ...(inner.file ? { file: () => inner.file?.() ?? Promise.resolve("") } : {}),
  };
}
