// The fast reader's own decoders (src/store/age-encoding.ts) against @scure/base, the codec
// age-encryption uses: for valid and mutated inputs alike, the same bytes or the same refusal.

import { base64nopad, bech32 } from "@scure/base";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64NoPad, decodeBech32 } from "../../src/store/age-encoding.ts";

function reference<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch {
    return undefined;
  }
}

/** What age-encryption's decoding of an identity yields: the prefix and bytes, or a refusal. */
function scureBech32(text: string) {
  return reference(() => {
    const { prefix, words } = bech32.decode(text as `${string}1${string}`, false);
    return { prefix, bytes: Uint8Array.from(bech32.fromWords(words)) };
  });
}

const mutate = (text: string, at: number, char: string) =>
  text.length === 0 ? char : text.slice(0, at % text.length) + char + text.slice((at % text.length) + 1);

describe("age encodings", () => {
  it("base64 without padding: the same bytes as @scure/base, or the same refusal", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.nat(),
        fc.constantFrom("A", "=", " ", "-", "_", "/", "Z", ""),
        (bytes, at, char) => {
          const text = base64nopad.encode(bytes);
          expect(decodeBase64NoPad(text)).toEqual(bytes);
          const mutated = mutate(text, at, char);
          expect(decodeBase64NoPad(mutated)).toEqual(reference(() => base64nopad.decode(mutated)));
        },
      ),
      { numRuns: 2000 },
    );
    // Non-zero unused bits: "AB" is not canonical ("AA" is), and padding is refused.
    expect(decodeBase64NoPad("AB")).toBeUndefined();
    expect(decodeBase64NoPad("AA==")).toBeUndefined();
    expect(decodeBase64NoPad("A")).toBeUndefined();
  });

  it("Bech32: the same prefix and bytes as @scure/base, or the same refusal", () => {
    const prefixes = fc.constantFrom("age-secret-key-", "age", "a", "age-plugin-x-");
    fc.assert(
      fc.property(
        prefixes,
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        fc.nat(),
        fc.constantFrom("q", "Q", "b", "1", "p", "x"),
        fc.boolean(),
        (prefix, bytes, at, char, upper) => {
          const encoded = bech32.encode(prefix, bech32.toWords(bytes), false);
          const text = upper ? encoded.toUpperCase() : encoded;
          expect(decodeBech32(text)).toEqual({ prefix, bytes });
          const mutated = mutate(text, at, char);
          expect(decodeBech32(mutated)).toEqual(scureBech32(mutated));
        },
      ),
      { numRuns: 2000 },
    );
    expect(decodeBech32("AGE-SECRET-KEY-1qqqq")).toBeUndefined();
  });

  it("Bech32 refuses a non-ASCII letter that lower-cases to an ASCII one, as @scure/base does", () => {
    const encoded = bech32.encode("age-secret-key-", bech32.toWords(new Uint8Array(32).fill(7)), false);
    const at = encoded.indexOf("k", encoded.indexOf("1"));
    expect(at).toBeGreaterThan(0);
    // U+212A KELVIN SIGN: "\u212a".toLowerCase() === "k".
    const kelvin = `${encoded.slice(0, at)}\u212a${encoded.slice(at + 1)}`;
    expect(kelvin.toLowerCase()).toBe(encoded);
    expect(scureBech32(kelvin)).toBeUndefined();
    expect(decodeBech32(kelvin)).toBeUndefined();
  });
});
