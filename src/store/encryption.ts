// age in and out of the store. The age library is imported lazily, on first use: it costs ~23 ms
// at start-up, and a command that finds no store file (or never touches the store) needs none of it.
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
  | { kind: "identity"; key: string; source: string };

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

export async function decryptStore(file: AgeFile, key: DecryptionKey, storePath: string): Promise<string> {
  if (key.kind === "identity") {
    // The common case without loading age-encryption (see age-fast-read.ts); any doubt falls through.
    const { tryDecryptX25519 } = await import("./age-fast-read.ts");
    const plaintext = await tryDecryptX25519(file.bytes, key.keys);
    if (plaintext) return utf8(plaintext, storePath);
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
  return utf8(plaintext, storePath);
}

function utf8(plaintext: Uint8Array, storePath: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
  } catch {
    throw corrupt(storePath, "decrypts to something that is not text");
  }
}

export async function encryptStore(plaintext: string, key: EncryptionKey): Promise<Uint8Array> {
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
  }
  return encrypter.encrypt(plaintext);
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
      remedy: "use the identity the store was written with (OAUTHX_AGE_IDENTITY or OAUTHX_AGE_IDENTITY_FILE)",
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
