// The token store: one age file holding the versioned JSON document (docs/architecture.md "The store").
// It knows nothing of OAuth. read() is lock-free, because every write is an atomic rename: a
// reader sees the old file or the new one. update() is the only writer: lock, read again (another
// process may have written since), apply the change, encrypt, write atomically, unlock.

import { OauthxError } from "../../errors.ts";
import { removeAbandonedTempFiles, writeFileAtomic } from "../atomic-file.ts";
import {
  emptyDocument,
  findDocumentProblem,
  freezeDeep,
  parseDocument,
  type StoreDocument,
  serializeDocument,
} from "../document.ts";
import {
  type AgeFile,
  type DecryptionKey,
  decryptStore,
  type EncryptionKey,
  encryptStore,
  inspectAgeFile,
  type KeptHeader,
  preloadAge,
  type StoreEncryption,
} from "../encryption.ts";
import { type HomeFiles, homeFiles } from "../home-files.ts";
import {
  createIdentityFile,
  explicitIdentityConfigured,
  IDENTITY_ENV,
  IDENTITY_FILE_ENV,
} from "../identity/identity.ts";
import { locateIdentity } from "../identity/locate.ts";
import { acquireLock } from "../lock.ts";
import { lockTimeout } from "../lock-timeout.ts";
import { checkDirectoryIfPresent, ensurePrivateDirectory } from "../permissions.ts";
import { readPrivateFile } from "../private-file.ts";

export const PASSPHRASE_ENV = "OAUTHX_PASSPHRASE";
/** age's default. Lower values are for tests: they weaken the passphrase against brute force. */
export const DEFAULT_SCRYPT_WORK_FACTOR = 18;

export interface OpenStoreOptions {
  /** The oauthx home directory (see platform/paths.ts). Created 0700 on first write. */
  home: string;
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Milliseconds since the epoch: the identity file's "created" time and the age at which
   * abandoned temp files are cleaned. (Lock waits use the monotonic clock, never this.)
   */
  now?: () => number;
  /**
   * Asks a person for the passphrase of a passphrase-protected store when OAUTHX_PASSPHRASE is
   * unset (the CLI wires a no-echo terminal prompt). Called at most once per opened store.
   */
  promptPassphrase?: () => Promise<string>;
  /** Overrides OAUTHX_LOCK_TIMEOUT_MS (default 30 s: longer than a refresh may take, see core/refresher.ts). */
  lockTimeoutMs?: number;
  /** scrypt work factor (log2 N) for newly encrypted passphrase stores. Default 18, as age. */
  scryptWorkFactor?: number;
  /** Test seam: runs after the new store is written to its temp file, before the rename. */
  beforeCommit?: (tempPath: string) => void | Promise<void>;
}

export type StoreUpdate = (document: StoreDocument) => StoreDocument | Promise<StoreDocument>;

export interface Store {
  readonly paths: HomeFiles;
  /** The current document (frozen); an empty one when there is no store file yet. Writes nothing. */
  read(): Promise<StoreDocument>;
  /**
   * Read-modify-write under the cross-process lock. `change` receives the latest document
   * (frozen) and returns the next one; returning the very same object means "no change" and
   * writes nothing. Returns the document now stored. Do not call update() from inside `change`:
   * the lock is not re-entrant, so that waits for itself and ends in STORE_LOCKED.
   */
  update(change: StoreUpdate): Promise<StoreDocument>;
  /**
   * A write is coming (a refresh is about to be sent): start loading what encrypting needs, so it
   * overlaps the network round trip instead of standing between the server's answer and the rename
   * — the window in which a rotated refresh token exists only in memory (README "Reliability").
   */
  prepareWrite(): void;
}

/** What is on disk right now, and the key that opened it (reused to write it back). */
interface Snapshot {
  document: StoreDocument;
  /** undefined: no store file yet. */
  encryption: StoreEncryption | undefined;
  key: DecryptionKey | undefined;
  /** The file's header and file key, when known: a write keeps them, and so every recipient. */
  header: KeptHeader | undefined;
}

/** The last file we decrypted or wrote: re-reading identical bytes needs no second scrypt run. */
interface Decrypted {
  bytes: Uint8Array;
  json: string;
  encryption: StoreEncryption;
  key: DecryptionKey;
  header: KeptHeader | undefined;
}

export function openStore(options: OpenStoreOptions): Store {
  const paths = homeFiles(options.home);
  const env = options.env;
  const now = options.now ?? Date.now;
  let last: Decrypted | undefined;
  let passphrase: Promise<{ value: string; source: string }> | undefined;

  function givenPassphrase(): Promise<{ value: string; source: string }> {
    passphrase ??= (async () => {
      const fromEnv = env[PASSPHRASE_ENV];
      if (fromEnv) return { value: fromEnv, source: PASSPHRASE_ENV };
      if (!options.promptPassphrase) {
        throw new OauthxError(
          "DECRYPT_FAILED",
          `${paths.store} is passphrase-protected and no passphrase was given`,
          {
            remedy: `set ${PASSPHRASE_ENV}, or run oauthx in a terminal to be asked for it`,
          },
        );
      }
      const typed = await options.promptPassphrase();
      if (typed === "") {
        throw new OauthxError("DECRYPT_FAILED", "empty passphrase", {
          remedy: "retry and type the passphrase",
        });
      }
      return { value: typed, source: "the passphrase typed" };
    })();
    // A failed prompt may be retried by the next call rather than failing forever.
    passphrase.catch(() => {
      passphrase = undefined;
    });
    return passphrase;
  }

  /** The key for an existing file, refusing settings that contradict how the file is encrypted. */
  async function decryptionKeyFor(encryption: StoreEncryption): Promise<DecryptionKey> {
    if (encryption === "passphrase") {
      if (explicitIdentityConfigured(env)) {
        throw new OauthxError(
          "DECRYPT_FAILED",
          `${paths.store} is passphrase-protected, but an age identity is configured`,
          {
            remedy: `unset ${IDENTITY_ENV} and ${IDENTITY_FILE_ENV}, and give the passphrase in ${PASSPHRASE_ENV}`,
          },
        );
      }
      const { value, source } = await givenPassphrase();
      return { kind: "passphrase", passphrase: value, source };
    }
    if (env[PASSPHRASE_ENV]) {
      throw new OauthxError(
        "DECRYPT_FAILED",
        `${paths.store} is encrypted to an age identity, but ${PASSPHRASE_ENV} is set`,
        { remedy: `unset ${PASSPHRASE_ENV}` },
      );
    }
    const identity = await locateIdentity(env, paths);
    if (identity === undefined) {
      throw new OauthxError(
        "DECRYPT_FAILED",
        `no identity to decrypt ${paths.store}: ${paths.identity} is missing`,
        {
          remedy: `restore ${paths.identity} from a backup, or set ${IDENTITY_ENV} or ${IDENTITY_FILE_ENV}; if it is lost for good, \`oauthx help store\` says how to start over`,
        },
      );
    }
    return { kind: "identity", keys: identity.keys, source: identity.source };
  }

  async function readSnapshot(): Promise<Snapshot> {
    checkDirectoryIfPresent(paths.home);
    const bytes = readPrivateFile(paths.store);
    if (bytes === undefined) {
      return {
        document: freezeDeep(emptyDocument()),
        encryption: undefined,
        key: undefined,
        header: undefined,
      };
    }

    if (last !== undefined && sameBytes(last.bytes, bytes)) {
      return {
        document: freezeDeep(parseDocument(last.json, paths.store)),
        encryption: last.encryption,
        key: last.key,
        header: last.header,
      };
    }
    const file: AgeFile = await inspectAgeFile(bytes, paths.store);
    const key = await decryptionKeyFor(file.encryption);
    const { text: json, header } = await decryptStore(file, key, paths.store);
    const document = freezeDeep(parseDocument(json, paths.store));
    last = { bytes, json, encryption: file.encryption, key, header };
    return { document, encryption: file.encryption, key, header };
  }

  /** Write back the way the file was; a new store uses the passphrase or the identity. */
  async function encryptionKeyFor(snapshot: Snapshot): Promise<EncryptionKey> {
    const scryptWorkFactor = options.scryptWorkFactor ?? DEFAULT_SCRYPT_WORK_FACTOR;
    const key = snapshot.key;
    if (key?.kind === "passphrase")
      return { kind: "passphrase", passphrase: key.passphrase, scryptWorkFactor };
    if (key?.kind === "identity") return { kind: "identity", key: key.keys[0]!, source: key.source };

    if (env[PASSPHRASE_ENV]) {
      if (explicitIdentityConfigured(env)) {
        throw new OauthxError("CONFIG_INVALID", `both ${PASSPHRASE_ENV} and an age identity are set`, {
          remedy: `unset either ${PASSPHRASE_ENV} or ${IDENTITY_ENV}/${IDENTITY_FILE_ENV}`,
        });
      }
      return { kind: "passphrase", passphrase: env[PASSPHRASE_ENV], scryptWorkFactor };
    }
    const identity =
      (await locateIdentity(env, paths)) ?? (await createIdentityFile(paths.identity, new Date(now())));
    return { kind: "identity", key: identity.keys[0]!, source: identity.source };
  }

  return {
    paths,

    async read() {
      return (await readSnapshot()).document;
    },

    prepareWrite() {
      // Rewriting a file whose header we know needs no age library (encryptStore); anything else may.
      if (last?.header === undefined) preloadAge();
    },

    async update(change) {
      ensurePrivateDirectory(paths.home);
      const timeoutMs = lockTimeout(options.lockTimeoutMs, env);
      const lock = await acquireLock(paths.lock, { timeoutMs });
      try {
        const snapshot = await readSnapshot();
        const next = await change(snapshot.document);
        if (next === snapshot.document) return snapshot.document;

        const problem = findDocumentProblem(next);
        if (problem !== undefined) {
          throw new OauthxError("INTERNAL", `refusing to write an invalid store document (at ${problem})`, {
            remedy: "report this bug; the store was left unchanged",
          });
        }
        const key = await encryptionKeyFor(snapshot);
        const json = serializeDocument(next);
        const { bytes, header } = await encryptStore(json, key, snapshot.header);

        removeAbandonedTempFiles(paths.store, { nowMs: now() });
        await writeFileAtomic(paths.store, bytes, {
          mode: 0o600,
          ...(options.beforeCommit ? { beforeCommit: options.beforeCommit } : {}),
        });
        const encryption: StoreEncryption = key.kind === "passphrase" ? "passphrase" : "recipients";
        last = { bytes, json, encryption, key: decryptionKeyOf(key, snapshot), header };
        return freezeDeep(parseDocument(json, paths.store));
      } finally {
        lock.release();
      }
    },
  };
}

function decryptionKeyOf(key: EncryptionKey, snapshot: Snapshot): DecryptionKey {
  if (snapshot.key !== undefined) return snapshot.key;
  if (key.kind === "passphrase")
    return { kind: "passphrase", passphrase: key.passphrase, source: PASSPHRASE_ENV };
  return { kind: "identity", keys: [key.key], source: key.source };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
