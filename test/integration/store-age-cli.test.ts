// The store is a standard age file (docs/architecture.md "The store"): the reference age CLI reads what
// oauthx writes, and oauthx reads what the age CLI writes, with identities and with passphrases.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type StoreDocument, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/index.ts";
import { requireFile } from "../support/require-tool.ts";
import { age, ageKeygen, ageWithTty, requireAgeCli } from "../support/store-age-cli.ts";
import { sampleEntry, useTempHome } from "../support/store-temp-home.ts";

const tempHome = useTempHome();
const SSH_KEYGEN = "/usr/bin/ssh-keygen";

const validDocument: StoreDocument = withEntry(
  { version: 1, profiles: {} },
  "github",
  "default",
  sampleEntry("from-age-cli"),
);

function freshHome(): string {
  fs.mkdirSync(tempHome().home, { mode: 0o700 });
  return tempHome().home;
}

describe("interop with the age CLI", () => {
  beforeAll(requireAgeCli);

  it("age -d -i identity.txt tokens.age prints the document oauthx wrote, new and rewritten", async () => {
    const store = openStore({ home: tempHome().home, env: {} });
    const written = await store.update((doc) => withEntry(doc, "github", "default", sampleEntry("a")));
    expect(JSON.parse(age(["-d", "-i", store.paths.identity, store.paths.store]))).toEqual(written);
    const rewritten = await openStore({ home: tempHome().home, env: {} }).update((doc) =>
      withEntry(doc, "github", "big", { ...sampleEntry("b"), access_token: "x".repeat(150_000) }),
    );
    expect(JSON.parse(age(["-d", "-i", store.paths.identity, store.paths.store]))).toEqual(rewritten);
  });

  it("reads a store made by age -r <recipient> with an age-keygen identity.txt, and writes it back", async () => {
    const home = freshHome();
    const recipient = ageKeygen(path.join(home, "identity.txt"));
    const storePath = path.join(home, "tokens.age");
    age(["-r", recipient, "-o", storePath], JSON.stringify(validDocument));

    // age creates its output with the umask's mode (0644 here): refused until the user fixes it.
    const store = openStore({ home, env: {} });
    await expect(store.read()).rejects.toMatchObject({
      code: "STORE_PERMISSIONS",
      remedy: `chmod 600 ${storePath}`,
    });
    fs.chmodSync(storePath, 0o600);
    expect(await store.read()).toEqual(validDocument);
    await store.update((doc) => withEntry(doc, "github", "second", sampleEntry("second")));
    const printed = JSON.parse(age(["-d", "-i", store.paths.identity, store.paths.store]));
    expect(Object.keys(printed.profiles.github)).toEqual(["default", "second"]);
  });

  it("keeps a backup recipient: a store age encrypted to oauthx and a backup key opens with both after updates", async () => {
    const home = freshHome();
    const recipient = ageKeygen(path.join(home, "identity.txt"));
    const backupIdentity = path.join(tempHome().root, "backup.txt");
    const backup = ageKeygen(backupIdentity);
    const storePath = path.join(home, "tokens.age");
    age(["-r", recipient, "-r", backup, "-o", storePath], JSON.stringify(validDocument));
    fs.chmodSync(storePath, 0o600);

    const store = openStore({ home, env: {} });
    const first = await store.update((doc) => withEntry(doc, "github", "second", sampleEntry("second")));
    for (const identity of [backupIdentity, store.paths.identity]) {
      expect(JSON.parse(age(["-d", "-i", identity, storePath]))).toEqual(first);
    }
    // Again, over the file oauthx wrote, from this process and from a fresh one.
    await store.update((doc) => withEntry(doc, "github", "third", sampleEntry("third")));
    const last = await openStore({ home, env: {} }).update((doc) =>
      withEntry(doc, "gitlab", "default", sampleEntry("fourth")),
    );
    for (const identity of [backupIdentity, store.paths.identity]) {
      expect(JSON.parse(age(["-d", "-i", identity, storePath]))).toEqual(last);
    }
    expect(fs.statSync(storePath).mode & 0o777).toBe(0o600);
  });

  it("keeps a recipient of another type (an ssh-ed25519 key)", async () => {
    requireFile(SSH_KEYGEN);
    const home = freshHome();
    const recipient = ageKeygen(path.join(home, "identity.txt"));
    const sshKey = path.join(tempHome().root, "id_ed25519");
    execFileSync(SSH_KEYGEN, ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", sshKey]);
    const storePath = path.join(home, "tokens.age");
    age(["-r", recipient, "-R", `${sshKey}.pub`, "-o", storePath], JSON.stringify(validDocument));
    fs.chmodSync(storePath, 0o600);

    const written = await openStore({ home, env: {} }).update((doc) =>
      withEntry(doc, "github", "second", sampleEntry("second")),
    );
    expect(JSON.parse(age(["-d", "-i", sshKey, storePath]))).toEqual(written);
  });

  it("reads an armored store (age -a) through OAUTHX_AGE_IDENTITY_FILE", async () => {
    const home = freshHome();
    const identityFile = path.join(tempHome().root, "elsewhere.txt");
    const recipient = ageKeygen(identityFile);
    age(["-a", "-r", recipient, "-o", path.join(home, "tokens.age")], JSON.stringify(validDocument));
    expect(fs.readFileSync(path.join(home, "tokens.age"), "utf8")).toMatch(
      /^-----BEGIN AGE ENCRYPTED FILE-----/,
    );
    fs.chmodSync(path.join(home, "tokens.age"), 0o600);
    const store = openStore({ home, env: { OAUTHX_AGE_IDENTITY_FILE: identityFile } });
    expect(await store.read()).toEqual(validDocument);
  });

  describe("passphrases (age needs a terminal: driven through script(1))", () => {
    const passphrase = "tortoise-lantern-quartz-meadow";

    it("age -d decrypts a passphrase store oauthx wrote", async () => {
      const store = openStore({
        home: tempHome().home,
        env: { OAUTHX_PASSPHRASE: passphrase },
        scryptWorkFactor: 10,
      });
      const written = await store.update((doc) => withEntry(doc, "github", "default", sampleEntry("p")));
      const out = path.join(tempHome().root, "out.json");
      await ageWithTty(["-d", "-o", out, store.paths.store], passphrase);
      expect(JSON.parse(fs.readFileSync(out, "utf8"))).toEqual(written);
    });

    it("oauthx reads a store age -p wrote (default work factor)", async () => {
      const home = freshHome();
      const plain = path.join(tempHome().root, "plain.json");
      fs.writeFileSync(plain, JSON.stringify(validDocument));
      await ageWithTty(["-p", "-o", path.join(home, "tokens.age"), plain], passphrase);
      fs.chmodSync(path.join(home, "tokens.age"), 0o600); // age creates files with the umask's mode
      const store = openStore({ home, env: { OAUTHX_PASSPHRASE: passphrase } });
      expect(await store.read()).toEqual(validDocument);
    });
  });
});
