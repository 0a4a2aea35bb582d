// The store's fast read path must agree with age: the same plaintext for every file the reference
// opens with an X25519 identity, and "no answer" (undefined, so the reference decides) for anything
// else — damaged, foreign, passphrase-protected. It may never return different bytes.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decrypter, Encrypter, generateIdentity, identityToRecipient } from "age-encryption";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tryDecryptX25519 } from "../../src/store/age-fast-read.ts";

async function encryptTo(plaintext: Uint8Array, recipients: string[]): Promise<Uint8Array> {
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return encrypter.encrypt(plaintext);
}

describe("age fast read", async () => {
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);

  it.each([0, 1, 1000, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 3 * 64 * 1024 + 17])(
    "decrypts a %i-byte file exactly as age wrote it",
    async (size) => {
      const plaintext = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
      const full = new Uint8Array(size);
      for (let at = 0; at < size; at += plaintext.length) full.set(plaintext.subarray(0, size - at), at);
      const file = await encryptTo(full, [recipient]);
      expect(await tryDecryptX25519(file, [identity])).toEqual(full);
    },
  );

  it("finds its stanza among several recipients, and its identity among several", async () => {
    const other = await generateIdentity();
    const file = await encryptTo(new TextEncoder().encode('{"version":1}'), [
      await identityToRecipient(other),
      recipient,
    ]);
    const unrelated = await generateIdentity();
    expect(new TextDecoder().decode(await tryDecryptX25519(file, [unrelated, identity]))).toBe(
      '{"version":1}',
    );
  });

  it("gives no answer for a foreign identity or a passphrase file", async () => {
    const file = await encryptTo(new TextEncoder().encode("x"), [recipient]);
    expect(await tryDecryptX25519(file, [await generateIdentity()])).toBeUndefined();
    const scrypt = new Encrypter();
    scrypt.setScryptWorkFactor(10);
    scrypt.setPassphrase("correct horse");
    expect(await tryDecryptX25519(await scrypt.encrypt("x"), [identity])).toBeUndefined();
    expect(await tryDecryptX25519(new TextEncoder().encode("not age at all"), [identity])).toBeUndefined();
  });

  it("never returns bytes for a damaged file: any flipped byte or truncation gives no answer", async () => {
    const plaintext = new TextEncoder().encode(
      JSON.stringify({ version: 1, profiles: { a: { b: "c".repeat(300) } } }),
    );
    const file = await encryptTo(plaintext, [recipient]);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: file.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (position, mask) => {
          const damaged = Uint8Array.from(file);
          damaged[position] = (damaged[position] as number) ^ mask;
          const result = await tryDecryptX25519(damaged, [identity]);
          // The reference must agree that such a file does not open to other bytes.
          if (result !== undefined) {
            const decrypter = new Decrypter();
            decrypter.addIdentity(identity);
            expect(result).toEqual(await decrypter.decrypt(damaged));
          }
        },
      ),
      { numRuns: 300 },
    );
    for (const length of [0, 10, 60, file.length - 1]) {
      expect(await tryDecryptX25519(file.subarray(0, length), [identity])).toBeUndefined();
    }
  });

  it("reads what the reference age CLI wrote", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oauthx-age-fast-"));
    try {
      writeFileSync(join(dir, "plain.json"), '{"version":1,"profiles":{}}\n');
      execFileSync("age", ["-r", recipient, "-o", join(dir, "store.age"), join(dir, "plain.json")]);
      const file = new Uint8Array(readFileSync(join(dir, "store.age")));
      expect(new TextDecoder().decode(await tryDecryptX25519(file, [identity]))).toBe(
        '{"version":1,"profiles":{}}\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
