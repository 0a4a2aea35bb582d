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
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ciCacheEnabled } from "../../src/core/ci-mode.ts";
import { readSeed } from "../../src/core/ci-seed.ts";
import { isOauthxError } from "../../src/errors.ts";
import { ciCacheDirectory } from "../../src/platform/paths.ts";
import { openCiCache } from "../../src/store/ci-cache.ts";
import { getEntry, type TokenEntry, withEntry } from "../../src/store/document.ts";
import { deriveSealingKeys, seal, unseal } from "../../src/store/sealed-file.ts";

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

  const cache = (seed = SEED, directory = join(root, "cache")) =>
    openCiCache({
      directory,
      provider: "github",
      profile: "default",
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
    expect(readdirSync(join(root, "cache")).filter((name) => name.endsWith(".cache"))).toEqual([]);
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
      expect((read as { remedy: string }).remedy).toContain("OAUTHX_GITHUB_REFRESH_TOKEN");
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
    chmodSync(join(root, "cache"), 0o777);
    const loose = await store.update((document) => document).catch((error: unknown) => error);
    expect(loose).toMatchObject({ code: "STORE_PERMISSIONS" });
    expect((loose as { remedy: string }).remedy).toBe(`chmod 700 ${join(root, "cache")}`);
    // A symlink planted where the cache directory goes is not followed.
    mkdirSync(join(root, "elsewhere"), { mode: 0o700 });
    symlinkSync(join(root, "elsewhere"), join(root, "planted"));
    const planted = await cache(SEED, join(root, "planted"))
      .update((document) => withEntry(document, "github", "default", refreshed("rt-3")))
      .catch((error: unknown) => error);
    expect(planted).toMatchObject({ code: "STORE_PERMISSIONS" });
    expect(readdirSync(join(root, "elsewhere"))).toEqual([]);
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
  const at = (env: Record<string, string>, uid: number | undefined = 1001) =>
    ciCacheDirectory({ env, tmpdir: "/tmp", uid });
  const onWindows = (env: Record<string, string>) =>
    ciCacheDirectory({ env, tmpdir: "/tmp", uid: undefined });

  it("OAUTHX_CI_CACHE_DIR, else GitHub Actions' RUNNER_TEMP, else the temp dir; a directory per user", () => {
    expect(at({})).toBe("/tmp/oauthx-ci-cache-1001");
    expect(at({ RUNNER_TEMP: "/home/runner/work/_temp" })).toBe("/tmp/oauthx-ci-cache-1001");
    expect(at({ GITHUB_ACTIONS: "true", RUNNER_TEMP: "/home/runner/work/_temp" })).toBe(
      "/home/runner/work/_temp/oauthx-ci-cache-1001",
    );
    expect(at({ GITHUB_ACTIONS: "true", RUNNER_TEMP: "/r", OAUTHX_CI_CACHE_DIR: "/mine" })).toBe(
      "/mine/oauthx-ci-cache-1001",
    );
    expect(onWindows({ OAUTHX_CI_CACHE_DIR: "" })).toBe("/tmp/oauthx-ci-cache");
  });
});
