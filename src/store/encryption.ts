// age in and out of the store. The age library is imported lazily, on first use: it costs much
// at start-up, and a command that finds no store file (or never touches the store) needs none of it.
// Nor does the common write, the rewrite of a file the fast path opened (see encryptStore).
//
// Errors are translated to the store's codes here, by what went wrong rather than by what age
// said: "no identity/passphrase opens this file" is DECRYPT_FAILED (the file may be fine); a file
// that is not age, or is truncated or altered, is STORE_CORRUPT. age's own messages never quote
// keys, but ours are written from scratch anyway.

import { OauthxError } from "../errors.ts";

type AgeModule = typeof import("age-encryption");
let ageModule: Promise<AgeModule> | undefined;

function loadAge(): Promise<AgeModule> {
  ageModule ??= import("age-encryption");
  return ageModule;
}

/** Starts loading the age library without waiting for it (Store.prepareWrite); a failure surfaces
 * later, at encryptStore. */
export function preloadAge(): void {
  loadAge().catch(() => {});
}

/** How a store file is encrypted, read from its header: to recipients (X25519), or a passphrase. */
export type StoreEncryption = "recipients" | "passphrase";

export type DecryptionKey =
  | { kind: "passphrase"; passphrase: string; source: string }
  | { kind: "identity"; keys: string[]; source: string };

export type EncryptionKey =
  | { kind: "passphrase"; passphrase: string; scryptWorkFactor: number }
  | {
      kind: "identity";
      key: string;
      source: string;
      /** More age recipients (age1…) a new file is also encrypted to: other machines' keys. */
      recipients?: readonly string[];
    };

const BINARY_MAGIC = "age-encryption.org/v1\n";
const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";

/** A store file as age bytes (armored files are decoded; we only ever write binary). */
export interface AgeFile {
  bytes: Uint8Array;
  encryption: StoreEncryption;
}

/**
 * Recognises an age file and reads its header's stanza types. A scrypt stanza means passphrase
 * mode (age requires it to be the only stanza); anything else is recipient mode.
 */
export async function inspectAgeFile(fileBytes: Uint8Array, storePath: string): Promise<AgeFile> {
  let bytes = fileBytes;
  const start = new TextDecoder("utf-8", { fatal: false }).decode(fileBytes.subarray(0, 64)).trimStart();
  if (start.startsWith(ARMOR_BEGIN)) {
    const age = await loadAge();
    try {
      bytes = age.armor.decode(new TextDecoder().decode(fileBytes));
    } catch {
      throw corrupt(storePath, "is a damaged armored age file");
    }
  }
  if (!startsWith(bytes, BINARY_MAGIC)) throw corrupt(storePath, "is not an age file");
  const headerEnd = indexOf(bytes, "\n---");
  if (headerEnd < 0) throw corrupt(storePath, "is truncated (no complete age header)");
  const header = new TextDecoder().decode(bytes.subarray(BINARY_MAGIC.length, headerEnd));
  const stanzaTypes = header
    .split("\n")
    .filter((line) => line.startsWith("-> "))
    .map((line) => line.slice(3).split(" ")[0]);
  if (stanzaTypes.length === 0) throw corrupt(storePath, "has an age header without recipients");
  return { bytes, encryption: stanzaTypes.includes("scrypt") ? "passphrase" : "recipients" };
}

/** The header of a store file and its file key: what a rewrite keeps (see encryptStore). */
export interface KeptHeader {
  /** The header bytes, up to the payload. */
  bytes: Uint8Array;
  fileKey: Uint8Array;
  /** The identity that unwrapped the file key. */
  identity: string;
}

export interface DecryptedStore {
  text: string;
  /** Known when the fast path opened the file; age-encryption does not give the file key. */
  header: KeptHeader | undefined;
}

export async function decryptStore(
  file: AgeFile,
  key: DecryptionKey,
  storePath: string,
): Promise<DecryptedStore> {
  if (key.kind === "identity") {
    // The common case without loading age-encryption (see age-fast-read.ts); any doubt falls through.
    const { tryDecryptX25519 } = await import("./age-fast-read.ts");
    const opened = await tryDecryptX25519(file.bytes, key.keys);
    if (opened) {
      const identity = key.keys[opened.openedBy] as string;
      const header = { bytes: opened.header, fileKey: opened.fileKey, identity };
      return { text: utf8(opened.plaintext, storePath), header };
    }
  }
  const age = await loadAge();
  const decrypter = new age.Decrypter();
  if (key.kind === "passphrase") {
    decrypter.addPassphrase(key.passphrase);
  } else {
    for (const identity of key.keys) {
      try {
        decrypter.addIdentity(identity);
      } catch {
        throw invalidIdentity(key.source);
      }
    }
  }
  let plaintext: Uint8Array;
  try {
    plaintext = await decrypter.decrypt(file.bytes);
  } catch (error) {
    if (error instanceof Error && /no identity matched/i.test(error.message))
      throw cannotOpen(key, storePath);
    throw corrupt(storePath, "is damaged (truncated or altered)");
  }
  return { text: utf8(plaintext, storePath), header: undefined };
}

function utf8(plaintext: Uint8Array, storePath: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
  } catch {
    throw corrupt(storePath, "decrypts to something that is not text");
  }
}

export interface EncryptedStore {
  bytes: Uint8Array;
  /** The header of the new file when it was kept, for the next rewrite. */
  header: KeptHeader | undefined;
}

/**
 * Encrypts the store. Over a file whose header is known and was opened by the identity we write
 * to, the header is kept byte for byte and only the payload is new: the header (stanzas and MAC)
 * depends on the file key alone, so every recipient of the file stays — a backup key, an ssh key,
 * a plugin — although none can be read from it (an X25519 stanza does not name its recipient).
 * The payload gets a fresh random nonce, hence its own payload key (age.md "Payload"). age.md
 * asks for a new file key per file; the versions of a store share one, so a leaked file key
 * opens the later versions too, as a leaked identity would. Anything else (a new store, a
 * passphrase, a file only age-encryption could open, a file opened by another identity than the
 * one written to) is encrypted anew, to that identity alone.
 */
export async function encryptStore(
  plaintext: string,
  key: EncryptionKey,
  replacing: KeptHeader | undefined,
): Promise<EncryptedStore> {
  if (key.kind === "identity" && replacing?.identity === key.key) {
    const { encryptPayload } = await import("./age-fast-read.ts");
    const payload = await encryptPayload(replacing.fileKey, new TextEncoder().encode(plaintext));
    const bytes = new Uint8Array(replacing.bytes.length + payload.length);
    bytes.set(replacing.bytes);
    bytes.set(payload, replacing.bytes.length);
    return { bytes, header: replacing };
  }
  const age = await loadAge();
  const encrypter = new age.Encrypter();
  if (key.kind === "passphrase") {
    encrypter.setScryptWorkFactor(key.scryptWorkFactor);
    encrypter.setPassphrase(key.passphrase);
  } else {
    let recipient: string;
    try {
      recipient = await age.identityToRecipient(key.key);
    } catch {
      throw invalidIdentity(key.source);
    }
    encrypter.addRecipient(recipient);
    for (const more of key.recipients ?? []) {
      try {
        encrypter.addRecipient(more);
      } catch {
        throw new OauthxError("CONFIG_INVALID", "an extra age recipient is not a valid age1… public key", {
          remedy: "list public keys printed by `age-keygen -y` (OAUTHX_STORE_RECIPIENTS)",
        });
      }
    }
  }
  return { bytes: await encrypter.encrypt(plaintext), header: undefined };
}

function cannotOpen(key: DecryptionKey, storePath: string): OauthxError {
  if (key.kind === "passphrase") {
    return new OauthxError("DECRYPT_FAILED", `wrong passphrase for ${storePath}`, {
      remedy: `check the passphrase (${key.source}) and retry`,
    });
  }
  return new OauthxError(
    "DECRYPT_FAILED",
    `${storePath} is not encrypted to the identity from ${key.source}`,
    {
      remedy:
        "use the identity the store was written with (OAUTHX_AGE_IDENTITY or OAUTHX_AGE_IDENTITY_FILE); if it is lost, `oauthx help store` says how to start over",
    },
  );
}

function invalidIdentity(source: string): OauthxError {
  return new OauthxError("CONFIG_INVALID", `the age identity from ${source} is not a valid key`, {
    remedy: `replace it with an identity made by age-keygen (${source})`,
  });
}

function corrupt(storePath: string, what: string): OauthxError {
  return new OauthxError("STORE_CORRUPT", `${storePath} ${what}`, {
    remedy: `restore ${storePath} from a backup, or move it aside and log in again`,
  });
}

function startsWith(bytes: Uint8Array, ascii: string): boolean {
  if (bytes.length < ascii.length) return false;
  for (let i = 0; i < ascii.length; i++) if (bytes[i] !== ascii.charCodeAt(i)) return false;
  return true;
}

function indexOf(bytes: Uint8Array, ascii: string): number {
  outer: for (let i = 0; i + ascii.length <= bytes.length; i++) {
    for (let j = 0; j < ascii.length; j++) if (bytes[i + j] !== ascii.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}
