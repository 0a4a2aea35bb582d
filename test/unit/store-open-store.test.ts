import * as fs from "node:fs";
import * as path from "node:path";
import { Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { describe, expect, it } from "vitest";
import { type ErrorCode, isOauthxError, type OauthxError } from "../../src/errors.ts";
import { emptyDocument, type StoreDocument, withEntry } from "../../src/store/document.ts";
import { type OpenStoreOptions, openStore } from "../../src/store/file/store.ts";
import { rejection } from "../support/rejection.ts";
import { deadPid } from "../support/store-spawn.ts";
import { fingerprint, modeOf, sampleEntry, useTempHome } from "../support/store-temp-home.ts";

const tempHome = useTempHome();
const FAST_SCRYPT = 10;
const PASSPHRASE = "correct horse battery staple";

function open(env: OpenStoreOptions["env"] = {}, extra: Partial<OpenStoreOptions> = {}) {
  return openStore({
    home: tempHome().home,
    env,
    scryptWorkFactor: FAST_SCRYPT,
    lockTimeoutMs: 2000,
    ...extra,
  });
}

const addEntry = (name: string) => (doc: StoreDocument) => withEntry(doc, "github", name, sampleEntry(name));

async function encryptTo(
  recipientOrPassphrase: { recipient: string } | { passphrase: string },
  text: string,
) {
  const encrypter = new Encrypter();
  if ("recipient" in recipientOrPassphrase) encrypter.addRecipient(recipientOrPassphrase.recipient);
  else {
    encrypter.setScryptWorkFactor(FAST_SCRYPT);
    encrypter.setPassphrase(recipientOrPassphrase.passphrase);
  }
  return encrypter.encrypt(text);
}

/** Every secret a test used: none may appear in any error. */
const secretsSeen: string[] = [PASSPHRASE, "access-", "refresh-"];
function expectNoSecrets(error: OauthxError) {
  const text = `${error.message}\n${error.remedy ?? ""}`;
  for (const secret of secretsSeen) expect(text).not.toContain(secret);
}

function writeRaw(file: string, data: string | Uint8Array): Record<string, string> {
  fs.writeFileSync(file, data, { mode: 0o600 });
  return {};
}

function listHome(): string[] {
  return fs.readdirSync(tempHome().home).sort();
}

describe("openStore: first use", () => {
  it("reads an empty document without creating anything", async () => {
    expect(await open().read()).toEqual(emptyDocument());
    expect(fs.existsSync(tempHome().home)).toBe(false);
    expect(await open({ OAUTHX_AGE_IDENTITY: await generateX25519Identity() }).read()).toEqual(
      emptyDocument(),
    );
    expect(fs.existsSync(tempHome().home)).toBe(false);
  });

  it("creates home 0700, identity.txt and tokens.age 0600 on the first write, leaves no lock or temp", async () => {
    const store = open();
    const written = await store.update(addEntry("a"));
    expect(written.profiles.github?.a).toEqual(sampleEntry("a"));
    expect(modeOf(tempHome().home)).toBe("0700");
    expect(modeOf(store.paths.identity)).toBe("0600");
    expect(modeOf(store.paths.store)).toBe("0600");
    expect(listHome()).toEqual(["identity.txt", "tokens.age"]);
    expect(await open().read()).toEqual(written);
  });

  it("keeps entries across updates and returns frozen documents", async () => {
    await open().update(addEntry("a"));
    const doc = await open().update(addEntry("b"));
    expect(Object.keys(doc.profiles.github!)).toEqual(["a", "b"]);
    expect(Object.isFrozen(doc.profiles.github!.a)).toBe(true);
  });
});

describe("openStore: update semantics", () => {
  it("writes nothing when the callback returns the document it was given", async () => {
    const store = open();
    await store.update(addEntry("a"));
    const before = fingerprint(store.paths.store);
    await store.update((doc) => doc);
    expect(fingerprint(store.paths.store)).toEqual(before);
  });

  it("makes an in-place edit throw rather than be silently dropped", async () => {
    const store = open();
    await store.update(addEntry("a"));
    const before = fingerprint(store.paths.store);
    await expect(
      store.update((doc) => {
        doc.profiles.github!.a!.access_token = "changed";
        return doc;
      }),
    ).rejects.toThrow(TypeError);
    expect(fingerprint(store.paths.store)).toEqual(before);
    expect(listHome()).toEqual(["identity.txt", "tokens.age"]);
  });

  it("refuses to write an invalid document (INTERNAL) and creates no identity for it", async () => {
    const store = open();
    const error = await rejection(
      store.update((doc) => ({ ...doc, profiles: { gh: { x: { ...sampleEntry("x"), expires_at: -1 } } } })),
    );
    expect(isOauthxError(error, "INTERNAL")).toBe(true);
    expect(error.message).toContain("profiles.gh.x.expires_at");
    expect(listHome()).toEqual([]);
  });

  it("passes a callback's error through and releases the lock", async () => {
    const store = open();
    await expect(store.update(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(listHome()).toEqual([]);
    await store.update(addEntry("a"));
  });

  it("ignores leftover temp files on read and removes abandoned ones on the next write", async () => {
    const store = open();
    await store.update(addEntry("a"));
    const leftover = path.join(tempHome().home, `.tokens.age.${await deadPid()}.abcdefabcdef.tmp`);
    fs.writeFileSync(leftover, "half a store");
    const old = new Date(Date.now() - 10 * 60_000);
    fs.utimesSync(leftover, old, old);
    expect((await open().read()).profiles.github?.a).toBeDefined();
    await open().update(addEntry("b"));
    expect(fs.existsSync(leftover)).toBe(false);
  });

  it("rejects a malformed OAUTHX_LOCK_TIMEOUT_MS", async () => {
    const store = openStore({ home: tempHome().home, env: { OAUTHX_LOCK_TIMEOUT_MS: "soon" } });
    expect(isOauthxError(await rejection(store.update(addEntry("a"))), "CONFIG_INVALID")).toBe(true);
  });
});

describe("openStore: damaged or foreign stores are refused and left untouched", () => {
  type Damage = {
    name: string;
    code: ErrorCode;
    make: (storePath: string) => Promise<Record<string, string>>;
  };
  const damages: Damage[] = [
    {
      name: "random bytes",
      code: "STORE_CORRUPT",
      make: async (file) => writeRaw(file, crypto.getRandomValues(new Uint8Array(300))),
    },
    {
      name: "plaintext JSON",
      code: "STORE_CORRUPT",
      make: async (file) => writeRaw(file, '{"version":1,"profiles":{}}'),
    },
    {
      name: "an empty file",
      code: "STORE_CORRUPT",
      make: async (file) => writeRaw(file, ""),
    },
    {
      name: "a truncated store",
      code: "STORE_CORRUPT",
      make: async (file) => {
        await open().update(addEntry("a"));
        const bytes = fs.readFileSync(file);
        fs.writeFileSync(file, bytes.subarray(0, bytes.length - 40));
        return {};
      },
    },
    {
      name: "a truncated header",
      code: "STORE_CORRUPT",
      make: async (file) => {
        await open().update(addEntry("a"));
        fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 60));
        return {};
      },
    },
    {
      name: "a store encrypted to a foreign key",
      code: "DECRYPT_FAILED",
      make: async (file) => {
        await open().update(addEntry("a"));
        const foreign = await generateX25519Identity();
        fs.writeFileSync(file, await encryptTo({ recipient: await identityToRecipient(foreign) }, "{}"));
        return {};
      },
    },
    {
      name: "a wrong passphrase",
      code: "DECRYPT_FAILED",
      make: async () => {
        await open({ OAUTHX_PASSPHRASE: PASSPHRASE }).update(addEntry("a"));
        return { OAUTHX_PASSPHRASE: "not the passphrase" };
      },
    },
    {
      name: "a store written by a newer oauthx",
      code: "STORE_VERSION",
      make: async (file) => {
        await open().update(addEntry("a"));
        const identity = fs
          .readFileSync(path.join(path.dirname(file), "identity.txt"), "utf8")
          .trim()
          .split("\n")[2]!;
        const json = JSON.stringify({ version: 2, profiles: { future: true } });
        fs.writeFileSync(file, await encryptTo({ recipient: await identityToRecipient(identity) }, json));
        return {};
      },
    },
    {
      name: "a store that decrypts to invalid JSON",
      code: "STORE_CORRUPT",
      make: async (file) => {
        await open().update(addEntry("a"));
        const identity = fs
          .readFileSync(path.join(path.dirname(file), "identity.txt"), "utf8")
          .trim()
          .split("\n")[2]!;
        fs.writeFileSync(
          file,
          await encryptTo({ recipient: await identityToRecipient(identity) }, '{"version":1,'),
        );
        return {};
      },
    },
  ];

  it.each(damages)("$name → $code, nothing written", async ({ code, make }) => {
    const { home } = tempHome();
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    const storePath = path.join(home, "tokens.age");
    const env = await make(storePath);
    const before = fingerprint(storePath);
    const filesBefore = listHome();

    for (const attempt of [() => open(env).read(), () => open(env).update(addEntry("new"))]) {
      const error = await rejection(attempt());
      expect(isOauthxError(error, code), `${error.message}`).toBe(true);
      expect(error.remedy).toBeTruthy();
      expect(error.message).not.toContain("\n");
      expectNoSecrets(error);
    }
    expect(fingerprint(storePath)).toEqual(before);
    expect(listHome()).toEqual(filesBefore);
  });

  it("a store whose identity file is gone → DECRYPT_FAILED; no new identity replaces it", async () => {
    const store = open();
    await store.update(addEntry("a"));
    fs.rmSync(store.paths.identity);
    const before = fingerprint(store.paths.store);
    const error = await rejection(open().update(addEntry("b")));
    expect(isOauthxError(error, "DECRYPT_FAILED")).toBe(true);
    expect(error.remedy).toContain("OAUTHX_AGE_IDENTITY");
    expect(listHome()).toEqual(["tokens.age"]);
    expect(fingerprint(store.paths.store)).toEqual(before);
  });
});

describe("openStore: permissions", () => {
  it.each([
    ["tokens.age", 0o640],
    ["tokens.age", 0o604],
    ["identity.txt", 0o644],
    ["identity.txt", 0o620],
  ])("refuses %s with mode %o (STORE_PERMISSIONS, chmod 600 remedy)", async (name, mode) => {
    const store = open();
    await store.update(addEntry("a"));
    const file = path.join(tempHome().home, name);
    fs.chmodSync(file, mode);
    const before = fingerprint(store.paths.store);
    for (const attempt of [() => open().read(), () => open().update(addEntry("b"))]) {
      const error = await rejection(attempt());
      expect(isOauthxError(error, "STORE_PERMISSIONS")).toBe(true);
      expect(error.remedy).toBe(`chmod 600 ${file}`);
    }
    expect(fingerprint(store.paths.store)).toEqual(before);
  });

  it("refuses a home directory others can write (chmod 700 remedy), accepts one they can read", async () => {
    const store = open();
    await store.update(addEntry("a"));
    fs.chmodSync(tempHome().home, 0o775);
    const error = await rejection(open().read());
    expect(isOauthxError(error, "STORE_PERMISSIONS")).toBe(true);
    expect(error.remedy).toBe(`chmod 700 ${tempHome().home}`);
    fs.chmodSync(tempHome().home, 0o755);
    expect((await open().read()).profiles.github?.a).toBeDefined();
  });
});

describe("openStore: identity sources", () => {
  it("encrypts to OAUTHX_AGE_IDENTITY (over a file and the default) and creates no identity file", async () => {
    const [inline, named] = [await generateX25519Identity(), await generateX25519Identity()];
    const namedFile = path.join(tempHome().root, "named.txt");
    fs.writeFileSync(namedFile, `${named}\n`, { mode: 0o600 });
    const env = { OAUTHX_AGE_IDENTITY: inline, OAUTHX_AGE_IDENTITY_FILE: namedFile };
    await open(env).update(addEntry("a"));
    expect(listHome()).toEqual(["tokens.age"]);
    expect((await open({ OAUTHX_AGE_IDENTITY: inline }).read()).profiles.github?.a).toBeDefined();
    const wrong = await rejection(open({ OAUTHX_AGE_IDENTITY_FILE: namedFile }).read());
    expect(isOauthxError(wrong, "DECRYPT_FAILED")).toBe(true);
    expect(wrong.message).toContain(namedFile);
    expect(wrong.message).not.toContain(named);
  });
});

describe("openStore: passphrase mode", () => {
  it("round-trips with OAUTHX_PASSPHRASE, writes a scrypt file and no identity", async () => {
    const env = { OAUTHX_PASSPHRASE: PASSPHRASE };
    const store = open(env);
    await store.update(addEntry("a"));
    expect(listHome()).toEqual(["tokens.age"]);
    const header = fs.readFileSync(store.paths.store, "latin1").split("\n").slice(0, 2);
    expect(header[0]).toBe("age-encryption.org/v1");
    expect(header[1]).toMatch(new RegExp(`^-> scrypt \\S+ ${FAST_SCRYPT}$`));
    await open(env).update(addEntry("b"));
    expect(Object.keys((await open(env).read()).profiles.github!)).toEqual(["a", "b"]);
  });

  it("asks promptPassphrase once for a read and an update of a passphrase store", async () => {
    await open({ OAUTHX_PASSPHRASE: PASSPHRASE }).update(addEntry("a"));
    let asked = 0;
    const store = open(
      {},
      {
        promptPassphrase: async () => {
          asked++;
          return PASSPHRASE;
        },
      },
    );
    await store.read();
    await store.update(addEntry("b"));
    expect(asked).toBe(1);
    expect(Object.keys((await open({ OAUTHX_PASSPHRASE: PASSPHRASE }).read()).profiles.github!)).toEqual([
      "a",
      "b",
    ]);
  });

  it("refuses a passphrase store with no passphrase and no prompt", async () => {
    await open({ OAUTHX_PASSPHRASE: PASSPHRASE }).update(addEntry("a"));
    const error = await rejection(open().read());
    expect(isOauthxError(error, "DECRYPT_FAILED")).toBe(true);
    expect(error.remedy).toContain("OAUTHX_PASSPHRASE");
  });

  it("refuses settings that contradict the store: passphrase vs identity", async () => {
    await open().update(addEntry("a"));
    const passphraseOnIdentityStore = await rejection(open({ OAUTHX_PASSPHRASE: PASSPHRASE }).read());
    expect(isOauthxError(passphraseOnIdentityStore, "DECRYPT_FAILED")).toBe(true);
    expect(passphraseOnIdentityStore.remedy).toBe("unset OAUTHX_PASSPHRASE");
    expectNoSecrets(passphraseOnIdentityStore);

    fs.rmSync(tempHome().home, { recursive: true });
    await open({ OAUTHX_PASSPHRASE: PASSPHRASE }).update(addEntry("a"));
    const identity = await generateX25519Identity();
    const identityOnPassphraseStore = await rejection(
      open({ OAUTHX_PASSPHRASE: PASSPHRASE, OAUTHX_AGE_IDENTITY: identity }).read(),
    );
    expect(isOauthxError(identityOnPassphraseStore, "DECRYPT_FAILED")).toBe(true);
    expect(JSON.stringify(identityOnPassphraseStore)).not.toContain(identity);

    fs.rmSync(tempHome().home, { recursive: true });
    const both = await rejection(
      open({ OAUTHX_PASSPHRASE: PASSPHRASE, OAUTHX_AGE_IDENTITY: identity }).update(addEntry("a")),
    );
    expect(isOauthxError(both, "CONFIG_INVALID")).toBe(true);
  });
});
