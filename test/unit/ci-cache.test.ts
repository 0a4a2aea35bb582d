// The CI cache and its parts, in-process: sealing under keys derived from the seed, the cache
// store's read/update with its failure modes, the seed's checks, and where the cache lives.

import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ciCacheEnabled } from "../../src/core/ci-mode.ts";
import { readSeed } from "../../src/core/ci-seed.ts";
import { isOauthxError } from "../../src/errors.ts";
import { ciCacheParent } from "../../src/platform/paths.ts";
import { openCiCache } from "../../src/store/ci-cache/ci-cache.ts";
import { deriveSealingKeys, seal, unseal } from "../../src/store/ci-cache/sealed-file.ts";
import { getEntry, type TokenEntry, withEntry } from "../../src/store/document.ts";

const SEED = "rt-seed-0123456789abcdef";
const bytes = (text: string) => new TextEncoder().encode(text);

describe("sealed files", () => {
  it("derive the same keys from the same secret and context, other keys otherwise", async () => {
    const a = await deriveSealingKeys(SEED, "ci-cache\u0000github\u0000default");
    const again = await deriveSealingKeys(SEED, "ci-cache\u0000github\u0000default");
    const otherSeed = await deriveSealingKeys(`${SEED}x`, "ci-cache\u0000github\u0000default");
    const otherProvider = await deriveSealingKeys(SEED, "ci-cache\u0000gitlab\u0000default");
    expect(again).toEqual(a);
    expect(a.fileId).toMatch(/^[0-9a-f]{32}$/);
    for (const other of [otherSeed, otherProvider]) {
      expect(other.fileId).not.toBe(a.fileId);
      expect(Buffer.from(other.key).equals(Buffer.from(a.key))).toBe(false);
    }
  });

  it("open only under the same keys, unaltered, and never hold the plaintext", async () => {
    const keys = await deriveSealingKeys(SEED, "ctx");
    const sealed = seal(keys, bytes("access-token-in-the-clear"));
    expect(Buffer.from(sealed).toString("latin1")).not.toContain("access-token-in-the-clear");
    expect(new TextDecoder().decode(unseal(keys, sealed))).toBe("access-token-in-the-clear");
    // A fresh nonce every time.
    expect(Buffer.from(seal(keys, bytes("x"))).equals(Buffer.from(seal(keys, bytes("x"))))).toBe(false);
    expect(unseal(await deriveSealingKeys("another-seed", "ctx"), sealed)).toBeUndefined();
    // Same key, another file id (the file copied under another name): the associated data differs.
    expect(unseal({ ...keys, fileId: "0".repeat(32) }, sealed)).toBeUndefined();
    for (const at of [0, 20, sealed.length - 1]) {
      const altered = sealed.slice();
      altered[at] = (altered[at] as number) ^ 1;
      expect(unseal(keys, altered)).toBeUndefined();
    }
    expect(unseal(keys, sealed.subarray(0, sealed.length - 5))).toBeUndefined();
    expect(unseal(keys, new Uint8Array())).toBeUndefined();
  });
});

describe("the CI cache store", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "oauthx-ci-cache-unit-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const cache = (seed = SEED, parent = join(root, "cache"), profile = "default") =>
    openCiCache({
      parent,
      provider: "github",
      profile,
      seed,
      seedName: "OAUTHX_GITHUB_REFRESH_TOKEN",
      lockTimeoutMs: 2_000,
    });
  const refreshed = (refreshToken: string): TokenEntry => ({
    access_token: "at-cached",
    token_type: "Bearer",
    refresh_token: refreshToken,
    expires_at: 2_000_000_000,
    scopes: [],
    obtained_at: 1_999_999_700,
  });

  it("starts from the seed, and after an update every reader with the seed sees the new tokens", async () => {
    const first = cache();
    const seeded = getEntry(await first.read(), "github", "default");
    expect(seeded).toMatchObject({ access_token: "", refresh_token: SEED, expires_at: 0 });
    expect(await first.cached()).toBe(false);
    await first.update((document) => withEntry(document, "github", "default", refreshed("rt-2")));
    const other = cache(); // another process of the job
    expect(getEntry(await other.read(), "github", "default")).toMatchObject({
      access_token: "at-cached",
      refresh_token: "rt-2",
    });
    expect(await other.cached()).toBe(true);
    // Another seed starts from itself: it neither sees nor replaces this seed's file.
    const stranger = cache("rt-other-seed");
    expect(getEntry(await stranger.read(), "github", "default")?.refresh_token).toBe("rt-other-seed");
    expect(await stranger.file()).not.toBe(await first.file());
  });

  it("an update that changes nothing writes nothing", async () => {
    const store = cache();
    await store.update((document) => document);
    expect(readdirSync(dirname(await store.file())).filter((name) => name.endsWith(".cache"))).toEqual([]);
  });

  it.each([
    [
      "damaged",
      (data: Buffer) => Buffer.from(data.map((byte, index) => (index === data.length - 3 ? byte ^ 1 : byte))),
    ],
    ["truncated", (data: Buffer) => data.subarray(0, data.length - 40)],
    ["emptied", () => Buffer.alloc(0)],
    ["not sealed at all", () => Buffer.from('{"version":1,"profiles":{}}')],
  ])(
    "a %s cache file is STORE_CORRUPT naming the file; it is never silently replaced",
    async (_name, damage) => {
      const store = cache();
      await store.update((document) => withEntry(document, "github", "default", refreshed("rt-2")));
      const file = await store.file();
      writeFileSync(file, damage(readFileSync(file)), { mode: 0o600 });
      const before = readFileSync(file);
      const read = await store.read().catch((error: unknown) => error);
      expect(isOauthxError(read, "STORE_CORRUPT")).toBe(true);
      expect((read as Error).message).toContain(file);
      // Deleting the file would send the seed again, which the cache's refresh spent: re-seed first.
      const { remedy } = read as { remedy: string };
      expect(remedy).toMatch(/^re-seed the CI secret \(`oauthx seed github` on a workstation\)/);
      expect(remedy).toContain(`delete ${file} only if OAUTHX_GITHUB_REFRESH_TOKEN was never rotated`);
      expect(remedy).not.toContain("to start again from");
      const update = await store.update((document) => document).catch((error: unknown) => error);
      expect(isOauthxError(update, "STORE_CORRUPT")).toBe(true);
      expect(readFileSync(file).equals(before)).toBe(true);
    },
  );

  it("refuses a cache file others can read or write, and a directory that is not its own", async () => {
    const store = cache();
    await store.update((document) => withEntry(document, "github", "default", refreshed("rt-2")));
    const file = await store.file();
    chmodSync(file, 0o644);
    expect(await store.read().catch((error: unknown) => error)).toMatchObject({ code: "STORE_PERMISSIONS" });
    chmodSync(file, 0o600);
    chmodSync(dirname(file), 0o777);
    const loose = await store.update((document) => document).catch((error: unknown) => error);
    expect(loose).toMatchObject({ code: "STORE_PERMISSIONS" });
    expect((loose as { remedy: string }).remedy).toBe(`chmod 700 ${dirname(file)}`);
    // A symlink where the cache directory goes (only a holder of the seed knows its name) is not followed.
    mkdirSync(join(root, "elsewhere"), { mode: 0o700 });
    mkdirSync(join(root, "parent"), { mode: 0o700 });
    const plantedStore = cache(SEED, join(root, "parent"));
    symlinkSync(join(root, "elsewhere"), dirname(await plantedStore.file()));
    const planted = await plantedStore
      .update((document) => withEntry(document, "github", "default", refreshed("rt-3")))
      .catch((error: unknown) => error);
    expect(planted).toMatchObject({ code: "STORE_PERMISSIONS" });
    expect(readdirSync(join(root, "elsewhere"))).toEqual([]);
  });
});

describe("the CI cache is one per seed (security review, issue 24)", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "oauthx-ci-cache-seed-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const open = (profile: string, seed = SEED, parent = join(root, "parent")) =>
    openCiCache({
      parent,
      provider: "github",
      profile,
      seed,
      seedName: "OAUTHX_GITHUB_REFRESH_TOKEN",
      lockTimeoutMs: 2_000,
    });
  const rotated: TokenEntry = {
    access_token: "at-2",
    token_type: "Bearer",
    refresh_token: "rt-2",
    expires_at: 2_000_000_000,
    scopes: [],
    obtained_at: 1_999_999_700,
  };

  it("every profile of one seed reads the one chain of refresh tokens: a seed is one login", async () => {
    const plain = open("default");
    await plain.update((document) => withEntry(document, "github", "default", rotated));
    const work = open("work");
    expect(await work.file()).toBe(await plain.file());
    expect(getEntry(await work.read(), "github", "work")).toMatchObject({ refresh_token: "rt-2" });
    // Written back under the other profile, the default profile still sees it: one entry, not two.
    await work.update((document) =>
      withEntry(document, "github", "work", { ...rotated, access_token: "at-3", refresh_token: "rt-3" }),
    );
    expect(getEntry(await plain.read(), "github", "default")).toMatchObject({ refresh_token: "rt-3" });
  });

  it("its directory is named from the seed: one planted at any other name blocks nothing", async () => {
    const parent = join(root, "parent");
    mkdirSync(parent, { mode: 0o755 });
    // What another user could plant before: the old, predictable name, and a symlink.
    mkdirSync(join(parent, `oauthx-ci-cache-${process.getuid?.() ?? 0}`), { mode: 0o777 });
    symlinkSync(join(root), join(parent, "oauthx-ci-cache"));
    const store = open("default", SEED, parent);
    await store.update((document) => withEntry(document, "github", "default", rotated));
    const directory = dirname(await store.file());
    expect(dirname(directory)).toBe(parent);
    expect(directory).toMatch(/oauthx-ci-[0-9a-f]{32}$/);
    expect(directory).not.toBe(dirname(await open("default", "rt-another-seed", parent).file()));
  });

  it("refuses a parent others can write that is not sticky, before reading or writing anything", async () => {
    const parent = join(root, "shared");
    mkdirSync(parent);
    chmodSync(parent, 0o777);
    const refused = await open("default", SEED, parent)
      .update((document) => withEntry(document, "github", "default", rotated))
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "STORE_PERMISSIONS" });
    expect((refused as Error).message).toBe(
      `${parent} is writable by other users and not sticky (mode 0777); refusing to keep the CI cache there`,
    );
    expect(readdirSync(parent)).toEqual([]);
    // /tmp's mode: others may create, but not move or delete what is ours.
    chmodSync(parent, 0o1777);
    const store = open("default", SEED, parent);
    await store.update((document) => withEntry(document, "github", "default", rotated));
    expect(getEntry(await store.read(), "github", "default")?.refresh_token).toBe("rt-2");
  });
});

describe("the seed", () => {
  const env = (value: string | undefined) => ({ OAUTHX_GITHUB_REFRESH_TOKEN: value });

  it("is unset, or trimmed of the whitespace secrets often carry", () => {
    expect(readSeed({}, "github", "default")).toBeUndefined();
    expect(readSeed(env(`  ${SEED}\r\n`), "github", "work")).toEqual({
      provider: "github",
      profile: "work",
      variable: "OAUTHX_GITHUB_REFRESH_TOKEN",
      value: SEED,
    });
  });

  it("OAUTHX_<ID>_TOKEN_ORIGIN: any spelling of an origin (case, default port, trailing /), nothing more", () => {
    const pinned = (origin: string) =>
      readSeed({ ...env(SEED), OAUTHX_GITHUB_TOKEN_ORIGIN: origin }, "github", "default")?.origin;
    for (const spelling of [
      "https://gitlab.example.com",
      "https://gitlab.example.com/",
      "https://GitLab.Example.com",
      "https://gitlab.example.com:443",
      "HTTPS://gitlab.example.com:443/",
    ]) {
      expect(pinned(spelling), spelling).toBe("https://gitlab.example.com");
    }
    expect(pinned("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080");
    for (const notAnOrigin of [
      "https://gitlab.example.com/token",
      "https://gitlab.example.com/?x=1",
      "https://gitlab.example.com/#x",
      "https://user@gitlab.example.com",
      "gitlab.example.com",
    ]) {
      expect(() => pinned(notAnOrigin), notAnOrigin).toThrow("OAUTHX_GITHUB_TOKEN_ORIGIN is not an origin");
    }
  });

  it("empty (a CI secret that does not exist) is CONFIG_MISSING; two lines or control characters CONFIG_INVALID", () => {
    const failure = (value: string) => {
      try {
        readSeed(env(value), "github", "default");
      } catch (error) {
        return error as { code: string; message: string };
      }
      throw new Error("accepted");
    };
    expect(failure("")).toMatchObject({
      code: "CONFIG_MISSING",
      message: "OAUTHX_GITHUB_REFRESH_TOKEN is set but empty",
    });
    expect(failure(" \n ")).toMatchObject({ code: "CONFIG_MISSING" });
    for (const value of [`${SEED}\n${SEED}`, `${SEED}\u0000`, `rt-\u001b[31m`]) {
      const error = failure(value);
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.message).not.toContain(SEED);
    }
  });

  it("OAUTHX_CI_CACHE is on unless it says off; anything else is an error", () => {
    expect(ciCacheEnabled({})).toBe(true);
    expect(ciCacheEnabled({ OAUTHX_CI_CACHE: "on" })).toBe(true);
    expect(ciCacheEnabled({ OAUTHX_CI_CACHE: "off" })).toBe(false);
    expect(() => ciCacheEnabled({ OAUTHX_CI_CACHE: "no" })).toThrow(/must be "on" or "off"/);
  });
});

describe("where the CI cache lives", () => {
  const at = (env: Record<string, string>) => ciCacheParent({ env, tmpdir: "/tmp" });

  it("OAUTHX_CI_CACHE_DIR, else GitHub Actions' RUNNER_TEMP, else the temp dir (the name inside comes from the seed)", () => {
    expect(at({})).toBe("/tmp");
    expect(at({ RUNNER_TEMP: "/home/runner/work/_temp" })).toBe("/tmp");
    expect(at({ GITHUB_ACTIONS: "true", RUNNER_TEMP: "/home/runner/work/_temp" })).toBe(
      "/home/runner/work/_temp",
    );
    expect(at({ GITHUB_ACTIONS: "true", RUNNER_TEMP: "/r", OAUTHX_CI_CACHE_DIR: "/mine" })).toBe("/mine");
    expect(at({ OAUTHX_CI_CACHE_DIR: "" })).toBe("/tmp");
  });
});
