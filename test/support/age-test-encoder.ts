// A small age v1 encoder for tests (C2SP age.md), built on node:crypto so that it shares no code
// with the reader under test nor with age-encryption. Tests build files with a file key they know,
// change the header as text, and re-compute the header MAC: a change then reaches the parser
// instead of failing the MAC first. Every key comes from bytes the caller gives, so a fast-check
// counterexample replays exactly.

import {
  createCipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
} from "node:crypto";
import { base64nopad, base64urlnopad, bech32 } from "@scure/base";

export const CHUNK = 64 * 1024;
const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

export interface X25519Pair {
  /** AGE-SECRET-KEY-1… */
  identity: string;
  /** The raw 32-byte public key. */
  recipient: Uint8Array;
}

/** A header stanza as text: its "-> …" line and its body lines (without line feeds). */
export interface StanzaText {
  argLine: string;
  bodyLines: string[];
}

/** A whole file as parts a test may change before assembling it. */
export interface AgeDraft {
  fileKey: Uint8Array;
  version: string;
  stanzas: StanzaText[];
  /** The MAC line from the base64 MAC; age writes `--- ${mac}`. */
  macLine: (mac: string) => string;
  /** Nonce and STREAM chunks. */
  payload: Uint8Array;
}

function privateKey(secret: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_X25519_PREFIX, secret]),
    format: "der",
    type: "pkcs8",
  });
}

function publicKeyBytes(secret: Uint8Array): Uint8Array {
  const jwk = createPublicKey(privateKey(secret)).export({ format: "jwk" });
  return base64urlnopad.decode(jwk.x as string);
}

export function x25519Pair(secret: Uint8Array): X25519Pair {
  return {
    identity: bech32.encodeFromBytes("age-secret-key-", secret).toUpperCase(),
    recipient: publicKeyBytes(secret),
  };
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, 32));
}

function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  return new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
}

/** Canonical unpadded base64 wrapped at 64 columns, ended by a shorter (possibly empty) line. */
export function bodyLines(body: Uint8Array): string[] {
  const text = base64nopad.encode(body);
  const lines: string[] = [];
  for (let at = 0; at <= text.length; at += 64) lines.push(text.slice(at, at + 64));
  return lines;
}

/** age.md "X25519 recipient stanza", with the ephemeral secret given. */
export function x25519Stanza(fileKey: Uint8Array, recipient: Uint8Array, ephemeral: Uint8Array): StanzaText {
  const share = publicKeyBytes(ephemeral);
  const shared = diffieHellman({
    privateKey: privateKey(ephemeral),
    publicKey: createPublicKey({
      key: { kty: "OKP", crv: "X25519", x: base64urlnopad.encode(recipient) },
      format: "jwk",
    }),
  });
  const salt = new Uint8Array([...share, ...recipient]);
  const wrapKey = hkdf(shared, salt, "age-encryption.org/v1/X25519");
  return {
    argLine: `-> X25519 ${base64nopad.encode(share)}`,
    bodyLines: bodyLines(seal(wrapKey, new Uint8Array(12), fileKey)),
  };
}

export interface Chunk {
  plaintext: Uint8Array;
  final: boolean;
}

/** The chunks age writes: 64 KiB each, the last one final (and empty only for an empty plaintext). */
export function chunksOf(plaintext: Uint8Array): Chunk[] {
  const chunks: Chunk[] = [];
  for (let at = 0; at === 0 || at < plaintext.length; at += CHUNK) {
    chunks.push({ plaintext: plaintext.subarray(at, at + CHUNK), final: at + CHUNK >= plaintext.length });
  }
  return chunks;
}

/** age.md "Payload": the nonce, then each chunk sealed under the payload key and its STREAM nonce. */
export function streamPayload(fileKey: Uint8Array, nonce: Uint8Array, chunks: Chunk[]): Uint8Array {
  const key = hkdf(fileKey, nonce, "payload");
  const sealed = chunks.map((chunk, counter) => {
    const chunkNonce = new Uint8Array(12);
    new DataView(chunkNonce.buffer).setUint32(7, counter);
    chunkNonce[11] = chunk.final ? 1 : 0;
    return seal(key, chunkNonce, chunk.plaintext);
  });
  return new Uint8Array(Buffer.concat([nonce, ...sealed]));
}

/** The file: header text, its MAC under the draft's file key (age.md "Header MAC"), payload. */
export function assemble(draft: AgeDraft): Uint8Array {
  const lines = [draft.version, ...draft.stanzas.flatMap((stanza) => [stanza.argLine, ...stanza.bodyLines])];
  const macInput = Buffer.from(`${lines.map((line) => `${line}\n`).join("")}---`, "utf8");
  const macKey = hkdf(draft.fileKey, new Uint8Array(0), "header");
  const mac = base64nopad.encode(createHmac("sha256", macKey).update(macInput).digest());
  const macLine = Buffer.from(`${draft.macLine(mac)}\n`, "utf8");
  return new Uint8Array(Buffer.concat([macInput.subarray(0, macInput.length - 3), macLine, draft.payload]));
}

export const AGE_VERSION_LINE = "age-encryption.org/v1";
export const ageMacLine = (mac: string) => `--- ${mac}`;
