// The CI source of credentials: a refresh token from the environment (OAUTHX_<ID>_REFRESH_TOKEN).
// `seededDocument` is where every CI process starts: one entry holding the seed and no access
// token yet (an empty one with expiry 0 makes the first use refresh). The per-job cache
// (ci-cache.ts) starts from it; with the cache off (OAUTHX_CI_CACHE=off) `seededStore` keeps it in
// memory only, and each process starts from the seed again.
//
// Both offer the same read/update interface as the encrypted store, so the token manager works
// unchanged, and nothing is ever written under OAUTHX_HOME.

import { emptyDocument, freezeDeep, type StoreDocument, withEntry } from "../document.ts";

export interface SeededStoreOptions {
  provider: string;
  profile: string;
  refreshToken: string;
}

export interface MemoryStore {
  read(): Promise<StoreDocument>;
  update(change: (document: StoreDocument) => StoreDocument | Promise<StoreDocument>): Promise<StoreDocument>;
}

export function seededDocument(options: SeededStoreOptions): StoreDocument {
  return freezeDeep(
    withEntry(emptyDocument(), options.provider, options.profile, {
      access_token: "",
      token_type: "Bearer",
      refresh_token: options.refreshToken,
      expires_at: 0,
      scopes: [],
      obtained_at: 0,
    }),
  );
}

/**
 * The seeded document in memory. Updates are serialised within the process (one promise chain),
 * which is all the locking an in-memory document needs.
 */
export function seededStore(options: SeededStoreOptions): MemoryStore {
  let document = seededDocument(options);
  let queue: Promise<unknown> = Promise.resolve();
  return {
    read: async () => document,
    update(change) {
      const next = queue.then(async () => {
        document = freezeDeep(await change(document));
        return document;
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
