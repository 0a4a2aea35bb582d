// The CI source of credentials: a refresh token from the environment (OAUTHX_<ID>_REFRESH_TOKEN),
// kept in memory only. It offers the same read/update interface as the encrypted store, so the
// token manager works unchanged, and nothing is ever written under OAUTHX_HOME.
//
// Updates are serialised within the process (one promise chain), which is all the locking an
// in-memory document needs; across processes, each CI step starts from the seeded token.

import { emptyDocument, freezeDeep, type StoreDocument, withEntry } from "./document.ts";

export interface SeededStoreOptions {
  provider: string;
  profile: string;
  refreshToken: string;
}

export interface MemoryStore {
  read(): Promise<StoreDocument>;
  update(change: (document: StoreDocument) => StoreDocument | Promise<StoreDocument>): Promise<StoreDocument>;
}

export function seededStore(options: SeededStoreOptions): MemoryStore {
  // No access token yet: an empty one with expiry 0 makes the first use refresh.
  let document: StoreDocument = freezeDeep(
    withEntry(emptyDocument(), options.provider, options.profile, {
      access_token: "",
      token_type: "Bearer",
      refresh_token: options.refreshToken,
      expires_at: 0,
      scopes: [],
      obtained_at: 0,
    }),
  );
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
