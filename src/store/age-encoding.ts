// The two encodings of an age file the fast reader (age-fast-read.ts) needs, decoded as strictly
// as age-encryption decodes them — written here rather than imported, because loading a codec
// library is a measurable part of every `oauthx token` (docs/performance.md).
//   - Base64 without padding, canonical (RFC 4648 §4 and §3.5: the unused bits of the last
//     character are zero), for stanza arguments, bodies and the header MAC (age.md "Header").
//   - Bech32 (BIP 173), for identities: AGE-SECRET-KEY-1…, one case, a valid checksum, the
//     5-bit groups regrouped into bytes with zero padding of at most 4 bits.

/** The bytes of canonical unpadded base64, or undefined for anything else. */
export function decodeBase64NoPad(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return undefined;
  const padded = text.padEnd(text.length + ((4 - (text.length % 4)) % 4), "=");
  let binary: string;
  try {
    binary = atob(padded);
  } catch {
    return undefined;
  }
  // atob ignores non-zero unused bits: a canonical encoding is the one that encodes back to itself.
  if (btoa(binary).replace(/=+$/, "") !== text) return undefined;
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

const BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

/** BIP 173 checksum arithmetic over the human-readable part and the data words. */
function polymod(values: number[]): number {
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (let bit = 0; bit < 5; bit++) if ((top >>> bit) & 1) checksum ^= GENERATOR[bit] as number;
  }
  return checksum;
}

/** A Bech32 string's lower-case prefix and data bytes; undefined unless it is valid BIP 173 Bech32. */
export function decodeBech32(text: string): { prefix: string; bytes: Uint8Array } | undefined {
  // Printable ASCII only (BIP 173), checked before case folding: toLowerCase maps some non-ASCII
  // letters to ASCII ones (U+212A KELVIN SIGN becomes "k").
  if (!/^[\x21-\x7e]+$/.test(text)) return undefined;
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase()) return undefined;
  const separator = lower.lastIndexOf("1");
  if (separator < 1 || lower.length - separator - 1 < 6) return undefined;
  const prefix = lower.slice(0, separator);
  const words: number[] = [];
  for (const char of lower.slice(separator + 1)) {
    const word = BECH32_CHARSET.indexOf(char);
    if (word < 0) return undefined;
    words.push(word);
  }
  const expanded = [
    ...Array.from(prefix, (char) => char.charCodeAt(0) >> 5),
    0,
    ...Array.from(prefix, (char) => char.charCodeAt(0) & 31),
  ];
  if (polymod([...expanded, ...words]) !== 1) return undefined;
  // Regroup 5-bit words into bytes; what is left over must be fewer than 5 bits, all zero.
  const bytes: number[] = [];
  let accumulator = 0;
  let bits = 0;
  for (const word of words.slice(0, -6)) {
    accumulator = ((accumulator << 5) | word) & 0x1fff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((accumulator >> bits) & 0xff);
    }
  }
  if (bits >= 5 || (accumulator & ((1 << bits) - 1)) !== 0) return undefined;
  return { prefix, bytes: Uint8Array.from(bytes) };
}

/** A Bech32 string (BIP 173) of a lower-case prefix and data bytes: decodeBech32's inverse. */
export function encodeBech32(prefix: string, bytes: Uint8Array): string {
  const words: number[] = [];
  let accumulator = 0;
  let bits = 0;
  for (const byte of bytes) {
    accumulator = ((accumulator << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      words.push((accumulator >> bits) & 31);
    }
  }
  if (bits > 0) words.push((accumulator << (5 - bits)) & 31);
  const expanded = [
    ...Array.from(prefix, (char) => char.charCodeAt(0) >> 5),
    0,
    ...Array.from(prefix, (char) => char.charCodeAt(0) & 31),
  ];
  const checksum = polymod([...expanded, ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  for (let i = 0; i < 6; i++) words.push((checksum >>> (5 * (5 - i))) & 31);
  return `${prefix}1${words.map((word) => BECH32_CHARSET[word]).join("")}`;
}
