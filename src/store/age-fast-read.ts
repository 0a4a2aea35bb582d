// A read-only fast path for the common store file: binary age, X25519 recipients, opened with
// the platform's WebCrypto (X25519, HKDF, HMAC) and @noble/ciphers' ChaCha20-Poly1305 — the
// cipher age-encryption itself uses. It exists because `oauthx token` and `exec` read the store
// on every run: importing age-encryption builds its post-quantum and P-256 tables and its pure-JS
// hashes run cold, ~10 ms and ~13 MiB of a run that should cost a few milliseconds.
//
// Contract: it returns the plaintext only when every check of the age format passed (the file key
// unwrapped under its Poly1305 tag, the header MAC, every payload chunk's tag); in every other case
// — another stanza type, a malformed header, a failed check, a runtime without X25519 in WebCrypto
// — it returns undefined and the caller asks age-encryption, which gives the verdict and the error.
// So the fast path can make a read faster, never different.
//
// Format: age v1 (C2SP age.md): header lines, "-> X25519 <share>" stanzas with a 32-byte body,
// "--- <mac>"; payload = 16-byte nonce + STREAM of 64 KiB ChaCha20-Poly1305 chunks.

import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { base64nopad, bech32 } from "@scure/base";

const MAGIC = "age-encryption.org/v1\n";
const CHUNK = 64 * 1024;
const TAG = 16;
/** PKCS #8 wrapping of a raw X25519 private key (RFC 8410 §7): this prefix, then the 32 bytes. */
const PKCS8_X25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Stanza {
  type: string;
  args: string[];
  body: Uint8Array;
}

interface Header {
  stanzas: Stanza[];
  /** The header bytes the MAC covers: everything up to and including "---". */
  macInput: Uint8Array;
  mac: Uint8Array;
  payloadStart: number;
}

export async function tryDecryptX25519(
  file: Uint8Array,
  identities: readonly string[],
): Promise<Uint8Array | undefined> {
  try {
    const header = parseHeader(file);
    if (!header || header.stanzas.some((stanza) => stanza.type === "scrypt")) return undefined;
    const candidates = header.stanzas.filter(
      (stanza) => stanza.type === "X25519" && stanza.args.length === 1,
    );
    for (const identity of identities) {
      const secret = decodeIdentity(identity);
      if (!secret) continue;
      for (const stanza of candidates) {
        const fileKey = await unwrapFileKey(secret, stanza);
        if (!fileKey) continue;
        if (!(await headerMacMatches(fileKey, header))) return undefined;
        return await decryptPayload(fileKey, file.subarray(header.payloadStart));
      }
    }
    return undefined;
  } catch {
    // Anything unexpected (a runtime without X25519 in WebCrypto, odd input): the reference decides.
    return undefined;
  }
}

function parseHeader(file: Uint8Array): Header | undefined {
  if (decoder.decode(file.subarray(0, MAGIC.length)) !== MAGIC) return undefined;
  const stanzas: Stanza[] = [];
  let offset = MAGIC.length;
  const nextLine = (): string | undefined => {
    const end = file.indexOf(0x0a, offset);
    if (end < 0) return undefined;
    const line = decoder.decode(file.subarray(offset, end));
    offset = end + 1;
    return line;
  };
  for (;;) {
    const lineStart = offset;
    const line = nextLine();
    if (line === undefined) return undefined;
    if (line.startsWith("--- ")) {
      const mac = base64nopad.decode(line.slice(4));
      if (mac.length !== 32) return undefined;
      return { stanzas, macInput: file.subarray(0, lineStart + 3), mac, payloadStart: offset };
    }
    if (!line.startsWith("-> ")) return undefined;
    const [type, ...args] = line.slice(3).split(" ");
    if (!type) return undefined;
    // The body: base64 lines of 64 characters, ended by a shorter (possibly empty) line.
    let body = "";
    for (;;) {
      const chunk = nextLine();
      if (chunk === undefined || chunk.length > 64) return undefined;
      body += chunk;
      if (chunk.length < 64) break;
    }
    stanzas.push({ type, args, body: base64nopad.decode(body) });
  }
}

function decodeIdentity(identity: string): Uint8Array | undefined {
  if (!identity.startsWith("AGE-SECRET-KEY-1")) return undefined;
  const { prefix, words } = bech32.decode(identity.toLowerCase() as `${string}1${string}`, 1024);
  if (prefix !== "age-secret-key-") return undefined;
  const secret = bech32.fromWords(words);
  return secret.length === 32 ? secret : undefined;
}

async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", ikm as BufferSource, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: salt as BufferSource, info: encoder.encode(info) },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** X25519 stanza (age.md "X25519 recipient stanza"): ECDH, HKDF, then an AEAD-wrapped file key. */
async function unwrapFileKey(secret: Uint8Array, stanza: Stanza): Promise<Uint8Array | undefined> {
  const share = base64nopad.decode(stanza.args[0] as string);
  if (share.length !== 32 || stanza.body.length !== 32) return undefined;
  const pkcs8 = new Uint8Array(PKCS8_X25519_PREFIX.length + 32);
  pkcs8.set(PKCS8_X25519_PREFIX);
  pkcs8.set(secret, PKCS8_X25519_PREFIX.length);
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "X25519" }, true, ["deriveBits"]);
  const publicShare = await crypto.subtle.importKey(
    "raw",
    share as BufferSource,
    { name: "X25519" },
    false,
    [],
  );
  const shared = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "X25519", public: publicShare } as AlgorithmIdentifier,
      privateKey,
      256,
    ),
  );
  // An all-zero shared secret means a low-order share: age rejects it.
  if (shared.every((byte) => byte === 0)) return undefined;
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  if (!jwk.x) return undefined;
  const recipient = base64urlDecode(jwk.x);
  const salt = new Uint8Array(64);
  salt.set(share);
  salt.set(recipient, 32);
  const wrapKey = await hkdf(shared, salt, "age-encryption.org/v1/X25519");
  try {
    const fileKey = chacha20poly1305(wrapKey, new Uint8Array(12)).decrypt(stanza.body);
    return fileKey.length === 16 ? fileKey : undefined;
  } catch {
    return undefined;
  }
}

async function headerMacMatches(fileKey: Uint8Array, header: Header): Promise<boolean> {
  const macKey = await hkdf(fileKey, new Uint8Array(0), "header");
  const key = await crypto.subtle.importKey(
    "raw",
    macKey as BufferSource,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  // subtle.verify compares in constant time.
  return crypto.subtle.verify("HMAC", key, header.mac as BufferSource, header.macInput as BufferSource);
}

/** STREAM (age.md "Payload"): 64 KiB chunks, nonce = 11-byte big-endian counter + last-chunk flag. */
async function decryptPayload(fileKey: Uint8Array, payload: Uint8Array): Promise<Uint8Array | undefined> {
  if (payload.length < 16) return undefined;
  const key = await hkdf(fileKey, payload.subarray(0, 16), "payload");
  const body = payload.subarray(16);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let counter = 0, offset = 0; ; counter++) {
    const end = Math.min(offset + CHUNK + TAG, body.length);
    const last = end === body.length;
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(7, counter);
    nonce[11] = last ? 1 : 0;
    let plain: Uint8Array;
    try {
      plain = chacha20poly1305(key, nonce).decrypt(body.subarray(offset, end));
    } catch {
      return undefined;
    }
    // Only the whole plaintext may be empty, and only a last chunk may be short.
    if (plain.length === 0 && counter > 0) return undefined;
    parts.push(plain);
    total += plain.length;
    offset = end;
    if (last) break;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function base64urlDecode(value: string): Uint8Array {
  return Uint8Array.from(atob(value.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));
}
