// Sealing a small file under a key derived from a secret the reader must already hold: the CI
// cache (ci-cache.ts) is sealed under its seed, the refresh token in OAUTHX_<ID>_REFRESH_TOKEN.
//
//   keys   HKDF-SHA256 (RFC 5869) of the secret, one output per purpose (the `info` label): a file
//          id, so that another secret finds another file and the name reveals nothing, and a key.
//          No password stretching: the secret is a refresh token, high-entropy by RFC 6749 §10.10.
//   file   "oauthx-sealed/1\n" ‖ 24-byte random nonce ‖ XChaCha20-Poly1305 ciphertext and tag, with
//          the magic line and the file id as associated data, so a sealed file copied under another
//          name, or made for another purpose, does not open.
// XChaCha20's 192-bit nonce can be drawn at random for every write without any bookkeeping.

import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { toHex } from "../hex.ts";

const MAGIC = "oauthx-sealed/1\n";
const NONCE_BYTES = 24;
const encoder = new TextEncoder();

export interface SealingKeys {
  /** Hex, 32 characters: a file name that depends on the secret and the context, and reveals neither. */
  fileId: string;
  key: Uint8Array;
}

/** Derives the file id and the key for `secret` in `context` (what the file is for, e.g. provider and profile). */
export async function deriveSealingKeys(secret: string, context: string): Promise<SealingKeys> {
  const ikm = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveBits"]);
  const derive = async (purpose: string, bits: number) =>
    new Uint8Array(
      await crypto.subtle.deriveBits(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: encoder.encode("oauthx sealed file v1"),
          info: encoder.encode(`${purpose}\u0000${context}`),
        },
        ikm,
        bits,
      ),
    );
  const [id, key] = await Promise.all([derive("file id", 128), derive("key", 256)]);
  return { fileId: toHex(id), key };
}

export function seal(keys: SealingKeys, plaintext: Uint8Array): Uint8Array {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const sealed = xchacha20poly1305(keys.key, nonce, associatedData(keys)).encrypt(plaintext);
  const magic = encoder.encode(MAGIC);
  const out = new Uint8Array(magic.length + NONCE_BYTES + sealed.length);
  out.set(magic);
  out.set(nonce, magic.length);
  out.set(sealed, magic.length + NONCE_BYTES);
  return out;
}

/** The plaintext, or undefined when the bytes are not a file sealed under these keys (or were altered). */
export function unseal(keys: SealingKeys, bytes: Uint8Array): Uint8Array | undefined {
  const magic = encoder.encode(MAGIC);
  if (bytes.length < magic.length + NONCE_BYTES + 16) return undefined;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return undefined;
  const nonce = bytes.subarray(magic.length, magic.length + NONCE_BYTES);
  try {
    return xchacha20poly1305(keys.key, nonce, associatedData(keys)).decrypt(
      bytes.subarray(magic.length + NONCE_BYTES),
    );
  } catch {
    return undefined;
  }
}

function associatedData(keys: SealingKeys): Uint8Array {
  return encoder.encode(`${MAGIC}${keys.fileId}`);
}
