// The marker decides where the identity is: on Node (the library, where no keychain can be reached)
// a marker is a clear KEYCHAIN_UNAVAILABLE, never a fall-back to a file and never a fresh identity
// that would orphan the store. The keychain itself is tested end to end in test/e2e/keychain.test.ts.

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { writeMarker } from "../../src/store/identity/marker.ts";
import { rejection } from "../support/rejection.ts";
import { fingerprint, useTempHome } from "../support/store-temp-home.ts";

const ENTRY = { access_token: "t", token_type: "bearer", scopes: [], obtained_at: 1_800_000_000 };

const marker = {
  version: 1 as const,
  home: "keychain" as const,
  item: { service: "oauthx", account: "age-identity-0123456789abcdef" },
  recipient: "age1example",
};

describe("the identity marker, where no keychain can be reached", () => {
  const temp = useTempHome();

  it("a store whose key is in the keychain: KEYCHAIN_UNAVAILABLE naming the item and the remedies", async () => {
    const { home } = temp();
    const store = openStore({ home, env: {} });
    await store.update((document) => withEntry(document, "github", "default", ENTRY));
    const identity = path.join(home, "identity.txt");
    fs.rmSync(identity);
    await writeMarker(path.join(home, "identity-location.json"), marker);
    const before = fingerprint(path.join(home, "tokens.age"));

    const error = await rejection(openStore({ home, env: {} }).read());
    expect(error.code).toBe("KEYCHAIN_UNAVAILABLE");
    expect(error.message).toContain("oauthx/age-identity-0123456789abcdef");
    expect(error.message).toContain("which this runtime cannot reach: only the Bun-built oauthx can");
    expect(error.remedy).toContain("OAUTHX_AGE_IDENTITY");
    expect(error.remedy).toContain("oauthx identity move file");
    // A write fails the same way: no identity.txt appears, the store is untouched.
    const write = await rejection(openStore({ home, env: {} }).update((document) => ({ ...document })));
    expect(write.code).toBe("KEYCHAIN_UNAVAILABLE");
    expect(fs.existsSync(identity)).toBe(false);
    expect(fingerprint(path.join(home, "tokens.age"))).toEqual(before);
  });

  it("a first write with a marker and no store yet creates no identity file", async () => {
    const { home } = temp();
    fs.mkdirSync(home, { mode: 0o700 });
    await writeMarker(path.join(home, "identity-location.json"), marker);
    const error = await rejection(
      openStore({ home, env: {} }).update((document) => withEntry(document, "github", "default", ENTRY)),
    );
    expect(error.code).toBe("KEYCHAIN_UNAVAILABLE");
    expect(fs.readdirSync(home).sort()).toEqual(["identity-location.json"]);
  });

  it("a marker that names no item is STORE_CORRUPT, not a reason to use identity.txt", async () => {
    const { home } = temp();
    fs.mkdirSync(home, { mode: 0o700 });
    fs.writeFileSync(path.join(home, "identity-location.json"), "{}", { mode: 0o600 });
    const error = await rejection(
      openStore({ home, env: {} }).update((document) => withEntry(document, "github", "default", ENTRY)),
    );
    expect(error.code).toBe("STORE_CORRUPT");
    expect(fs.existsSync(path.join(home, "identity.txt"))).toBe(false);
  });

  it("OAUTHX_AGE_IDENTITY still wins over the marker (CI)", async () => {
    const { home } = temp();
    const age = await import("age-encryption");
    const key = await age.generateX25519Identity();
    const env = { OAUTHX_AGE_IDENTITY: key };
    await openStore({ home, env }).update((document) => withEntry(document, "github", "default", ENTRY));
    await writeMarker(path.join(home, "identity-location.json"), marker);
    const document = await openStore({ home, env }).read();
    expect(document.profiles.github?.default?.access_token).toBe("t");
  });
});
