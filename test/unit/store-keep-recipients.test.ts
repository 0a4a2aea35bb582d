// A store the user also encrypted to other recipients (a backup key) keeps them across writes:
// the header is kept byte for byte, the payload is new under a fresh nonce. A file opened by
// another identity than the first one configured is still re-encrypted to the first (rotation).

import * as fs from "node:fs";
import * as path from "node:path";
import { armor, Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { describe, expect, it } from "vitest";
import { type StoreDocument, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { formatIdentityFile } from "../../src/store/identity/identity.ts";
import { modeOf, sampleEntry, useTempHome } from "../support/store-temp-home.ts";

const tempHome = useTempHome();
const start: StoreDocument = withEntry({ version: 1, profiles: {} }, "github", "default", sampleEntry("a"));
const addEntry = (name: string) => (doc: StoreDocument) => withEntry(doc, "github", name, sampleEntry(name));

/** A home whose identity.txt holds `keys` (the first is the one oauthx encrypts to). */
async function homeWithIdentities(keys: string[]): Promise<string> {
  const { home } = tempHome();
  fs.mkdirSync(home, { mode: 0o700 });
  const text = formatIdentityFile(keys.join("\n"), await identityToRecipient(keys[0]!), new Date());
  fs.writeFileSync(path.join(home, "identity.txt"), text, { mode: 0o600 });
  return home;
}

async function encryptTo(identities: string[], document: StoreDocument): Promise<Uint8Array> {
  const encrypter = new Encrypter();
  for (const identity of identities) encrypter.addRecipient(await identityToRecipient(identity));
  return encrypter.encrypt(JSON.stringify(document));
}

async function decryptWith(identity: string, file: Uint8Array): Promise<unknown> {
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  return JSON.parse(await decrypter.decrypt(file, "text"));
}

/** The header (through the MAC line) and the 16-byte payload nonce after it. */
function split(file: Uint8Array): { header: Uint8Array; nonce: Uint8Array } {
  const text = new TextDecoder("latin1").decode(file);
  const end = text.indexOf("\n", text.indexOf("\n--- ") + 1) + 1;
  return { header: file.subarray(0, end), nonce: file.subarray(end, end + 16) };
}

describe("rewrites keep every recipient of the file they replace", () => {
  it("keeps the header byte for byte and draws a fresh payload nonce on every write", async () => {
    const [mine, backup] = [await generateX25519Identity(), await generateX25519Identity()];
    const home = await homeWithIdentities([mine]);
    const storePath = path.join(home, "tokens.age");
    const original = await encryptTo([mine, backup], start);
    fs.writeFileSync(storePath, original, { mode: 0o600 });

    const store = openStore({ home, env: {} });
    const nonces = [split(original).nonce];
    for (const name of ["b", "c"]) {
      const written = await store.update(addEntry(name));
      const file = new Uint8Array(fs.readFileSync(storePath));
      expect(split(file).header).toEqual(split(original).header);
      for (const earlier of nonces) expect(split(file).nonce).not.toEqual(earlier);
      nonces.push(split(file).nonce);
      expect(await decryptWith(backup, file)).toEqual(written);
      expect(await decryptWith(mine, file)).toEqual(written);
      expect(modeOf(storePath)).toBe("0600");
    }
  });

  it("keeps the recipients of an armored store (written back in binary)", async () => {
    const [mine, backup] = [await generateX25519Identity(), await generateX25519Identity()];
    const home = await homeWithIdentities([mine]);
    const storePath = path.join(home, "tokens.age");
    fs.writeFileSync(storePath, armor.encode(await encryptTo([mine, backup], start)), { mode: 0o600 });

    const written = await openStore({ home, env: {} }).update(addEntry("b"));
    expect(await decryptWith(backup, new Uint8Array(fs.readFileSync(storePath)))).toEqual(written);
  });

  it("re-encrypts to the first identity a file that only a later one opens (key rotation)", async () => {
    const [rotated, retired, backup] = [
      await generateX25519Identity(),
      await generateX25519Identity(),
      await generateX25519Identity(),
    ];
    const home = await homeWithIdentities([rotated, retired]);
    const storePath = path.join(home, "tokens.age");
    fs.writeFileSync(storePath, await encryptTo([retired, backup], start), { mode: 0o600 });

    const written = await openStore({ home, env: {} }).update(addEntry("b"));
    const file = new Uint8Array(fs.readFileSync(storePath));
    expect(await decryptWith(rotated, file)).toEqual(written);
    await expect(decryptWith(retired, file)).rejects.toThrow(/no identity matched/);
  });
});
