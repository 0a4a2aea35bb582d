// The token store's public surface. Callers (the token manager, `login`, `logout`, `status`,
// `doctor`) import from here; the modules behind it are free to change.

export {
  type ClientCredentials,
  type DiscoveryCacheEntry,
  DOCUMENT_VERSION,
  emptyDocument,
  getEntry,
  type StoreDocument,
  type TokenEntry,
  withDiscovery,
  withEntry,
  withoutEntry,
} from "./document.ts";
export {
  type OpenStoreOptions,
  openStore,
  PASSPHRASE_ENV,
  type Store,
  type StoreUpdate,
} from "./file/store.ts";
export { IDENTITY_ENV, IDENTITY_FILE_ENV } from "./identity/identity.ts";
export { type LockRecord, readLockRecord } from "./lock.ts";
export { DEFAULT_LOCK_TIMEOUT_MS, LOCK_TIMEOUT_ENV } from "./lock-timeout.ts";
