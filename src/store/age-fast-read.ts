// A fast path for the common store file: binary age, X25519 recipients, opened with the platform's
// WebCrypto (X25519, HKDF, HMAC) and @noble/ciphers' ChaCha20-Poly1305 — the cipher age-encryption
// itself uses. It exists because `oauthx token` and `exec` read the store on every run: importing
// age-encryption builds its post-quantum and P-256 tables and its pure-JS hashes run cold, which
// costs more time and memory than the rest of a run (docs/performance.md).
//
// Contract: it returns the plaintext only when every check of the age format passed (the file key
// unwrapped under its Poly1305 tag, the header MAC, every payload chunk's tag) and age-encryption
// would return the same; in every other case — another stanza type, a malformed header or stanza,
// an identity that is not X25519, a failed check, a runtime without X25519 in WebCrypto — it
// returns undefined and the caller asks age-encryption, which gives the verdict and the error.
// So the fast path can make a read faster, never different. Where age-encryption is lenient (it
// only looks at the stanzas before the one that opens), this reader is stricter, never laxer.
//
// It also writes the payload of a file it opened (encryptPayload): a store rewrite keeps the
// header, which depends only on the file key, so every recipient of the file survives.
//
// Format: age v1 (C2SP age.md "Header", "Payload"): header lines, "-> X25519 <share>" stanzas with
// a 32-byte body, "--- <mac>"; payload = 16-byte nonce + STREAM of 64 KiB ChaCha20-Poly1305 chunks.

import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { decodeBase64NoPad, decodeBech32, encodeBech32 } from "./age-encoding.ts";

const MAGIC = "age-encryption.org/v1\n";
const CHUNK = 64 * 1024;
const TAG = 16;
const PAYLOAD_NONCE = 16;
/** Body lines are wrapped at 64 columns; a shorter line (possibly empty) ends the body. */
const BODY_LINE = 64;
/** PKCS #8 wrapping of a raw X25519 private key (RFC 8410 §7): this prefix, then the 32 bytes. */
const PKCS8_X25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Stanza {
  type: string;
  /** The arguments after the type. */
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

/** A file this reader opened: its plaintext, and what a rewrite needs to keep its header. */
export interface OpenedAgeFile {
  plaintext: Uint8Array;
  /** The 16-byte file key the header wraps (age.md "File key"). */
  fileKey: Uint8Array;
  /** The header bytes, MAC line included: they depend on the file key only. */
  header: Uint8Array;
  /** Which of the identities given unwrapped the file key (its index). */
  openedBy: number;
}

export async function tryDecryptX25519(
  file: Uint8Array,
  identities: readonly string[],
): Promise<OpenedAgeFile | undefined> {
  try {
    // age-encryption tries the identities in order: an identity of another kind could open (or
    // refuse) the file before an X25519 one does, and an invalid one is an error. Only a list of
    // X25519 identities is answered here.
    const secrets = identities.map(decodeIdentity);
    if (secrets.length === 0 || secrets.some((secret) => secret === undefined)) return undefined;
    const header = parseHeader(file);
    if (!header || header.stanzas.some((stanza) => stanza.type === "scrypt")) return undefined;
    const stanzas = header.stanzas.filter((stanza) => stanza.type === "X25519");
    // An identity MUST reject a malformed stanza of its type (age.md "X25519 recipient stanza").
    const shares = stanzas.map(x25519Share);
    if (shares.some((share) => share === undefined)) return undefined;
    for (const [openedBy, secret] of secrets.entries()) {
      for (const [index, stanza] of stanzas.entries()) {
        const fileKey = await unwrapFileKey(secret as Uint8Array, shares[index] as Uint8Array, stanza.body);
        if (!fileKey) continue;
        // Both need only the file key: checked together, the plaintext used only if the MAC holds.
        const [macHolds, plaintext] = await Promise.all([
          headerMacMatches(fileKey, header),
          decryptPayload(fileKey, file.subarray(header.payloadStart)),
        ]);
        if (!macHolds || !plaintext) return undefined;
        return { plaintext, fileKey, header: file.slice(0, header.payloadStart), openedBy };
      }
    }
    return undefined;
  } catch {
    // Anything unexpected (a runtime without X25519 in WebCrypto, odd input): the reference decides.
    return undefined;
  }
}

/**
 * The header per age.md "ABNF definition of file header", or undefined. Every header line is
 * printable ASCII (age-encryption refuses any other byte); arguments are non-empty and separated
 * by single spaces; bodies are canonical unpadded base64 wrapped at 64 columns.
 */
function parseHeader(file: Uint8Array): Header | undefined {
  if (decoder.decode(file.subarray(0, MAGIC.length)) !== MAGIC) return undefined;
  const stanzas: Stanza[] = [];
  let offset = MAGIC.length;
  const nextLine = (): string | undefined => {
    const end = file.indexOf(0x0a, offset);
    if (end < 0) return undefined;
    for (let at = offset; at < end; at++) {
      const byte = file[at] as number;
      if (byte < 0x20 || byte > 0x7e) return undefined;
    }
    const line = decoder.decode(file.subarray(offset, end));
    offset = end + 1;
    return line;
  };
  for (;;) {
    const lineStart = offset;
    const line = nextLine();
    if (line === undefined) return undefined;
    if (line.startsWith("--- ")) {
      const mac = decodeBase64NoPad(line.slice(4));
      if (mac?.length !== 32) return undefined;
      return { stanzas, macInput: file.subarray(0, lineStart + 3), mac, payloadStart: offset };
    }
    if (!line.startsWith("-> ")) return undefined;
    const [type, ...args] = line.slice(3).split(" ");
    if (!type || args.some((arg) => arg === "")) return undefined;
    let body = "";
    for (;;) {
      const bodyLine = nextLine();
      if (bodyLine === undefined || bodyLine.length > BODY_LINE) return undefined;
      body += bodyLine;
      if (bodyLine.length < BODY_LINE) break;
    }
    // Full lines are 48 bytes each, so decoding the joined lines is decoding each one.
    const bytes = decodeBase64NoPad(body);
    if (bytes === undefined) return undefined;
    stanzas.push({ type, args, body: bytes });
  }
}

/** The ephemeral share of a well-formed X25519 stanza: one argument, 32 bytes, a 32-byte body. */
function x25519Share(stanza: Stanza): Uint8Array | undefined {
  if (stanza.args.length !== 1 || stanza.body.length !== 32) return undefined;
  const share = decodeBase64NoPad(stanza.args[0] as string);
  return share?.length === 32 ? share : undefined;
}

/** An X25519 identity as age-encryption accepts it: "AGE-SECRET-KEY-1…", one case, 32 bytes. */
function decodeIdentity(identity: string): Uint8Array | undefined {
  if (!identity.startsWith("AGE-SECRET-KEY-1")) return undefined;
  // Bech32 refuses mixed case (BIP 173), as age-encryption's decoder does.
  const decoded = decodeBech32(identity);
  if (decoded?.prefix !== "age-secret-key-") return undefined;
  return decoded.bytes.length === 32 ? decoded.bytes : undefined;
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
async function unwrapFileKey(
  secret: Uint8Array,
  share: Uint8Array,
  body: Uint8Array,
): Promise<Uint8Array | undefined> {
  const pkcs8 = new Uint8Array(PKCS8_X25519_PREFIX.length + 32);
  pkcs8.set(PKCS8_X25519_PREFIX);
  pkcs8.set(secret, PKCS8_X25519_PREFIX.length);
  // Independent WebCrypto calls run side by side: each is a round trip through the runtime.
  const [privateKey, publicShare] = await Promise.all([
    crypto.subtle.importKey("pkcs8", pkcs8, { name: "X25519" }, true, ["deriveBits"]),
    crypto.subtle.importKey("raw", share as BufferSource, { name: "X25519" }, false, []),
  ]);
  const [bits, jwk] = await Promise.all([
    crypto.subtle.deriveBits({ name: "X25519", public: publicShare } as AlgorithmIdentifier, privateKey, 256),
    crypto.subtle.exportKey("jwk", privateKey),
  ]);
  const shared = new Uint8Array(bits);
  // An all-zero shared secret means a low-order share: the identity MUST abort, not try the next
  // stanza (the caller's catch gives no answer).
  if (shared.every((byte) => byte === 0)) throw new Error("low-order X25519 share");
  if (!jwk.x) throw new Error("WebCrypto exported no X25519 public key");
  const recipient = base64urlDecode(jwk.x);
  const salt = new Uint8Array(64);
  salt.set(share);
  salt.set(recipient, 32);
  const wrapKey = await hkdf(shared, salt, "age-encryption.org/v1/X25519");
  try {
    const fileKey = chacha20poly1305(wrapKey, new Uint8Array(12)).decrypt(body);
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

/** age.md "Payload": payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"). */
function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Promise<Uint8Array> {
  return hkdf(fileKey, nonce, "payload");
}

/** STREAM chunk nonce: an 11-byte big-endian chunk counter, then 0x01 for the final chunk. */
function chunkNonce(counter: number, final: boolean): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setUint32(7, counter);
  nonce[11] = final ? 1 : 0;
  return nonce;
}

/** STREAM (age.md "Payload"): 64 KiB chunks; only the final one may be short, and it may be empty
 * only when the whole plaintext is. */
async function decryptPayload(fileKey: Uint8Array, payload: Uint8Array): Promise<Uint8Array | undefined> {
  if (payload.length < PAYLOAD_NONCE) return undefined;
  const key = await payloadKey(fileKey, payload.subarray(0, PAYLOAD_NONCE));
  const body = payload.subarray(PAYLOAD_NONCE);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let counter = 0, offset = 0; ; counter++) {
    const end = Math.min(offset + CHUNK + TAG, body.length);
    const final = end === body.length;
    let plain: Uint8Array;
    try {
      plain = chacha20poly1305(key, chunkNonce(counter, final)).decrypt(body.subarray(offset, end));
    } catch {
      return undefined;
    }
    if (plain.length === 0 && counter > 0) return undefined;
    parts.push(plain);
    total += plain.length;
    offset = end;
    if (final) break;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * A new payload under `fileKey`: a fresh random 16-byte nonce (so a new payload key, age.md
 * "Payload": a modified payload MUST get a fresh nonce), then the STREAM chunks decryptPayload reads.
 */
export async function encryptPayload(fileKey: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  const nonce = crypto.getRandomValues(new Uint8Array(PAYLOAD_NONCE));
  const key = await payloadKey(fileKey, nonce);
  const chunks = Math.max(1, Math.ceil(plaintext.length / CHUNK));
  const out = new Uint8Array(PAYLOAD_NONCE + plaintext.length + chunks * TAG);
  out.set(nonce);
  for (let counter = 0; counter < chunks; counter++) {
    const chunk = plaintext.subarray(counter * CHUNK, (counter + 1) * CHUNK);
    const sealed = chacha20poly1305(key, chunkNonce(counter, counter === chunks - 1)).encrypt(chunk);
    out.set(sealed, PAYLOAD_NONCE + counter * (CHUNK + TAG));
  }
  return out;
}

/**
 * The age recipient (age1…) of an X25519 identity, by WebCrypto as unwrapFileKey derives it:
 * what age-keygen -y prints, without loading age-encryption. Undefined for anything else.
 */
export async function x25519Recipient(identity: string): Promise<string | undefined> {
  const secret = decodeIdentity(identity);
  if (!secret) return undefined;
  const pkcs8 = new Uint8Array(PKCS8_X25519_PREFIX.length + 32);
  pkcs8.set(PKCS8_X25519_PREFIX);
  pkcs8.set(secret, PKCS8_X25519_PREFIX.length);
  try {
    const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "X25519" }, true, ["deriveBits"]);
    const jwk = await crypto.subtle.exportKey("jwk", key);
    return jwk.x ? encodeBech32("age", base64urlDecode(jwk.x)) : undefined;
  } catch {
    return undefined;
  }
}

function base64urlDecode(value: string): Uint8Array {
  return Uint8Array.from(atob(value.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));
}
