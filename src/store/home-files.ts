// The files inside the oauthx home directory (docs/architecture.md "The store").

import * as path from "node:path";

/** The file names inside the oauthx home directory. */
export interface HomeFiles {
  home: string;
  /** age X25519 identity, written in `age-keygen` format. */
  identity: string;
  /** Present when the identity is in the OS keychain: which item holds it (no secret). */
  identityMarker: string;
  /** The age-encrypted token store. */
  store: string;
  /** The cross-process lock guarding read-modify-write of the store. */
  lock: string;
  /** User-defined providers (read by the providers module, not the store). */
  providers: string;
}

export function homeFiles(home: string): HomeFiles {
  return {
    home,
    identity: path.join(home, "identity.txt"),
    identityMarker: path.join(home, "identity-location.json"),
    store: path.join(home, "tokens.age"),
    lock: path.join(home, "tokens.age.lock"),
    providers: path.join(home, "providers.yaml"),
  };
}
