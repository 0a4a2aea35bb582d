// The store across processes and runtimes: files created private under Node, Bun, Deno and a
// `bun build --compile` binary; many concurrent writers lose nothing; a writer killed mid-write
// leaves the old store intact; a dead holder's lock is taken over and a live one makes others
// wait, then fail with STORE_LOCKED.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isOauthxError, type OauthxError } from "../../src/errors.ts";
import { withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/index.ts";
import { readLockRecord } from "../../src/store/lock.ts";
import {
  compileStoreChild,
  killChildrenAfterEach,
  RUNTIMES,
  spawnStoreChild,
} from "../support/store-spawn.ts";
import { fingerprint, modeOf, sampleEntry, useTempHome } from "../support/store-temp-home.ts";

const tempHome = useTempHome();
killChildrenAfterEach();

let binaryDirectory = "";
beforeAll(() => {
  binaryDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "oauthx-store-child-"));
  compileStoreChild(binaryDirectory);
}, 60_000);
afterAll(() => fs.rmSync(binaryDirectory, { recursive: true, force: true }));

const envFor = (extra: Record<string, string> = {}) => ({ OAUTHX_HOME: tempHome().home, ...extra });
const storeIn = (extra: Partial<Parameters<typeof openStore>[0]> = {}) =>
  openStore({ home: tempHome().home, env: {}, lockTimeoutMs: 5000, ...extra });

describe.each(RUNTIMES)("under %s", (runtime) => {
  it("creates home 0700 and identity.txt, tokens.age 0600, even with umask 000", async () => {
    const child = spawnStoreChild(runtime, ["add", "github", runtime], envFor(), { umask: 0o000 });
    const result = await child.exited;
    expect(result.stdout, result.stderr).toBe("ok\n");
    const { home } = tempHome();
    expect(modeOf(home)).toBe("0700");
    expect(modeOf(path.join(home, "identity.txt"))).toBe("0600");
    expect(modeOf(path.join(home, "tokens.age"))).toBe("0600");
    expect((await storeIn().read()).profiles.github?.[runtime]?.access_token).toBe(
      `access-github-${runtime}`,
    );
  });

  it("killed between temp write and rename: the old store stays intact, the temp was 0600", async () => {
    await storeIn().update((doc) => withEntry(doc, "github", "before", sampleEntry("before")));
    const storePath = path.join(tempHome().home, "tokens.age");
    const before = fingerprint(storePath);

    const child = spawnStoreChild(runtime, ["pause-before-commit", "github", "lost"], envFor(), {
      umask: 0o000,
    });
    const tempPath = (await child.line("paused ")).slice("paused ".length);
    expect(modeOf(tempPath)).toBe("0600");
    expect(fs.statSync(tempPath).size).toBeGreaterThan(0);
    child.process.kill("SIGKILL");
    expect((await child.exited).signal).toBe("SIGKILL");

    expect(fingerprint(storePath)).toEqual(before);
    const doc = await storeIn().read();
    expect(Object.keys(doc.profiles.github!)).toEqual(["before"]);
    expect(readLockRecord(path.join(tempHome().home, "tokens.age.lock"))?.pid).toBe(child.process.pid);

    // The next writer takes over the dead writer's lock; its temp file is cleaned once it is old.
    const later = Date.now() + 2 * 60_000;
    await storeIn({ now: () => later }).update((d) => withEntry(d, "github", "after", sampleEntry("after")));
    expect(fs.existsSync(tempPath)).toBe(false);
    expect(fs.readdirSync(tempHome().home).sort()).toEqual(["identity.txt", "tokens.age"]);
  });
});

describe("concurrent writers", () => {
  it("12 processes (Node, Bun, Deno, compiled Bun) each adding an entry through update() end with all 12", async () => {
    await storeIn().update((doc) => doc); // nothing written: still no store, no identity
    const children = Array.from({ length: 12 }, (_, i) =>
      spawnStoreChild(
        RUNTIMES[i % RUNTIMES.length]!,
        ["add", "p", `e${i}`],
        envFor({ OAUTHX_LOCK_TIMEOUT_MS: "60000" }),
      ),
    );
    const results = await Promise.all(children.map((child) => child.exited));
    for (const result of results) expect(result.stdout, result.stderr).toBe("ok\n");
    const doc = await storeIn().read();
    expect(Object.keys(doc.profiles.p!).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `e${i}`).sort());
    expect(fs.readdirSync(tempHome().home).sort()).toEqual(["identity.txt", "tokens.age"]);
  }, 120_000);

  it("12 processes waiting on a holder that is SIGKILLed race to take over its lock, and lose nothing", async () => {
    await storeIn().update((doc) => withEntry(doc, "p", "seed", sampleEntry("seed")));
    const holder = spawnStoreChild("node", ["hold-lock"], envFor());
    await holder.line("locked");
    const children = Array.from({ length: 12 }, (_, i) =>
      spawnStoreChild(
        RUNTIMES[i % RUNTIMES.length]!,
        ["add", "p", `e${i}`],
        envFor({ OAUTHX_LOCK_TIMEOUT_MS: "60000" }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 2500)); // let every waiter start polling
    holder.process.kill("SIGKILL");
    const results = await Promise.all(children.map((child) => child.exited));
    for (const result of results) expect(result.stdout, result.stderr).toBe("ok\n");
    const expected = ["seed", ...Array.from({ length: 12 }, (_, i) => `e${i}`)].sort();
    expect(Object.keys((await storeIn().read()).profiles.p!).sort()).toEqual(expected);
    expect(fs.readdirSync(tempHome().home).sort()).toEqual(["identity.txt", "tokens.age"]);
  }, 120_000);
});

describe("lock held by another process", () => {
  it("a live holder makes others wait and fail with STORE_LOCKED; once it dies, its lock is taken over", async () => {
    const holder = spawnStoreChild("node", ["hold-lock"], envFor());
    await holder.line("locked");
    const holderPid = String(holder.process.pid);

    const started = Date.now();
    const error = (await storeIn({ lockTimeoutMs: 400 })
      .update((doc) => withEntry(doc, "g", "x", sampleEntry("x")))
      .catch((e) => e)) as OauthxError;
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(isOauthxError(error, "STORE_LOCKED")).toBe(true);
    expect(error.message).toContain(holderPid);
    expect(error.remedy).toContain(path.join(tempHome().home, "tokens.age.lock"));

    // Same from a Bun process, with the timeout from OAUTHX_LOCK_TIMEOUT_MS.
    const bunWaiter = await spawnStoreChild(
      "bun",
      ["add", "g", "y"],
      envFor({ OAUTHX_LOCK_TIMEOUT_MS: "300" }),
    ).exited;
    expect(bunWaiter.code).toBe(8);
    expect(JSON.parse(bunWaiter.stdout).error.code).toBe("STORE_LOCKED");
    expect(fs.existsSync(path.join(tempHome().home, "tokens.age"))).toBe(false);

    // A Deno waiter blocks while the holder lives, and proceeds once it is killed.
    const denoWaiter = spawnStoreChild(
      "deno",
      ["add", "g", "z"],
      envFor({ OAUTHX_LOCK_TIMEOUT_MS: "20000" }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(denoWaiter.process.exitCode).toBeNull();
    holder.process.kill("SIGKILL");
    await holder.exited;
    const result = await denoWaiter.exited;
    expect(result.stdout, result.stderr).toBe("ok\n");
    expect(Object.keys((await storeIn().read()).profiles.g!)).toEqual(["z"]);
  });
});
