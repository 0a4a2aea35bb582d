// A refresh (read, prepareWrite, update) of a store the fast path opened writes without importing
// age-encryption, whose import costs ~20 ms at start-up. The store is built here by the test-side
// encoder, so nothing in this file imports age-encryption before the update; its own file keeps
// the count to this one test.

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { bech32 } from "@scure/base";
import { describe, expect, it, vi } from "vitest";
import { tryDecryptX25519 } from "../../src/store/age-fast-read.ts";
import { type StoreDocument, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { formatIdentityFile } from "../../src/store/identity/identity.ts";
import {
  AGE_VERSION_LINE,
  ageMacLine,
  assemble,
  chunksOf,
  streamPayload,
  x25519Pair,
  x25519Stanza,
} from "../support/age-test-encoder.ts";
import { sampleEntry, useTempHome } from "../support/store-temp-home.ts";

const ageImports = vi.hoisted(() => ({ count: 0 }));
vi.mock("age-encryption", async (importOriginal) => {
  ageImports.count++;
  return importOriginal();
});

const tempHome = useTempHome();

describe("a rewrite of a store the fast path opened", () => {
  it("imports no age library, and keeps the backup recipient", async () => {
    const [mine, backup] = [x25519Pair(randomBytes(32)), x25519Pair(randomBytes(32))];
    const { home } = tempHome();
    fs.mkdirSync(home, { mode: 0o700 });
    const recipient = bech32.encodeFromBytes("age", mine.recipient);
    fs.writeFileSync(
      path.join(home, "identity.txt"),
      formatIdentityFile(mine.identity, recipient, new Date()),
      {
        mode: 0o600,
      },
    );
    const start: StoreDocument = withEntry(
      { version: 1, profiles: {} },
      "github",
      "default",
      sampleEntry("a"),
    );
    const fileKey = randomBytes(16);
    const storeFile = assemble({
      fileKey,
      version: AGE_VERSION_LINE,
      stanzas: [
        x25519Stanza(fileKey, mine.recipient, randomBytes(32)),
        x25519Stanza(fileKey, backup.recipient, randomBytes(32)),
      ],
      macLine: ageMacLine,
      payload: streamPayload(
        fileKey,
        randomBytes(16),
        chunksOf(new TextEncoder().encode(JSON.stringify(start))),
      ),
    });
    fs.writeFileSync(path.join(home, "tokens.age"), storeFile, { mode: 0o600 });

    // What the token manager does for a refresh (src/tokens.ts).
    const store = openStore({ home, env: {} });
    expect(await store.read()).toEqual(start);
    const written = await store.update((document) => {
      store.prepareWrite();
      return withEntry(document, "github", "default", sampleEntry("refreshed"));
    });
    expect(ageImports.count).toBe(0);

    const opened = await tryDecryptX25519(new Uint8Array(fs.readFileSync(store.paths.store)), [
      backup.identity,
    ]);
    expect(JSON.parse(new TextDecoder().decode(opened?.plaintext))).toEqual(written);
  });
});
