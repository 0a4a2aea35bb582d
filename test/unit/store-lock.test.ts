import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { isOauthxError, type OauthxError } from "../../src/errors.ts";
import { acquireLock, observe, readLockRecord, takeOver } from "../../src/store/lock.ts";
import { deadPid } from "../support/store-spawn.ts";
import { useTempHome } from "../support/store-temp-home.ts";

const tempHome = useTempHome();
const lockPathIn = (dir: string) => path.join(dir, "tokens.age.lock");

/** This process's PID namespace as lock records name it: Linux only (see /proc/self/ns/pid). */
function ownPidNamespace(): number | undefined {
  if (process.platform !== "linux") return undefined;
  return Number(/^pid:\[(\d+)\]$/.exec(fs.readlinkSync("/proc/self/ns/pid"))?.[1]);
}
const otherPidNamespace = (ownPidNamespace() ?? 4026531836) + 1;

function writeLock(file: string, record: object | string, ageMs = 0) {
  fs.writeFileSync(file, typeof record === "string" ? record : JSON.stringify(record));
  const when = new Date(Date.now() - ageMs);
  fs.utimesSync(file, when, when);
}

describe("store lock", () => {
  it("writes pid, hostname, PID namespace, time and a token; release removes it", async () => {
    const file = lockPathIn(tempHome().root);
    const lock = await acquireLock(file, { timeoutMs: 1000 });
    expect(readLockRecord(file)).toMatchObject({ pid: process.pid, hostname: os.hostname() });
    expect(readLockRecord(file)?.pidNamespace).toBe(ownPidNamespace());
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe("600");
    expect(lock.release()).toBe(true);
    expect(fs.existsSync(file)).toBe(false);
    expect(lock.release()).toBe(false);
  });

  it("release removes only a lock that is still ours", async () => {
    const file = lockPathIn(tempHome().root);
    const lock = await acquireLock(file, { timeoutMs: 1000 });
    const foreign = { pid: process.pid, hostname: os.hostname(), createdAt: "x", token: "someone-else" };
    writeLock(file, foreign);
    expect(lock.release()).toBe(false);
    expect(readLockRecord(file)).toEqual(foreign);
  });

  it("takes over a lock left by a dead process on this host", async () => {
    const file = lockPathIn(tempHome().root);
    const pid = await deadPid();
    writeLock(file, { pid, hostname: os.hostname(), createdAt: "2026-01-01T00:00:00Z", token: "dead" });
    const lock = await acquireLock(file, { timeoutMs: 2000 });
    expect(readLockRecord(file)?.pid).toBe(process.pid);
    lock.release();
    expect(fs.readdirSync(path.dirname(file))).toEqual([]);
  });

  it("many waiters racing for one dead lock: exactly one holds it at a time", async () => {
    const file = lockPathIn(tempHome().root);
    writeLock(file, { pid: await deadPid(), hostname: os.hostname(), createdAt: "x", token: "dead" });
    let holders = 0;
    let maxHolders = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const lock = await acquireLock(file, { timeoutMs: 10_000 });
        holders++;
        maxHolders = Math.max(maxHolders, holders);
        await new Promise((resolve) => setTimeout(resolve, 5));
        holders--;
        lock.release();
      }),
    );
    expect(maxHolders).toBe(1);
    expect(fs.readdirSync(path.dirname(file))).toEqual([]);
  });

  it("waits for a live holder and then fails with STORE_LOCKED naming the path and pid", async () => {
    const file = lockPathIn(tempHome().root);
    const held = await acquireLock(file, { timeoutMs: 1000 });
    const started = Date.now();
    const error = (await acquireLock(file, { timeoutMs: 300 }).catch((e) => e)) as OauthxError;
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(isOauthxError(error, "STORE_LOCKED")).toBe(true);
    expect(error.message).toContain(String(process.pid));
    expect(error.remedy).toContain(file);
    expect(error.remedy).toContain(String(process.pid));
    held.release();
  });

  it("gets the lock as soon as a live holder releases it", async () => {
    const file = lockPathIn(tempHome().root);
    const held = await acquireLock(file, { timeoutMs: 1000 });
    let releasedAt = Number.NaN;
    setTimeout(() => {
      held.release();
      releasedAt = performance.now();
    }, 150);
    const lock = await acquireLock(file, { timeoutMs: 10_000 });
    const delayMs = performance.now() - releasedAt;
    lock.release();
    // Waiters poll at most every 250 ms (200 ms with jitter); 1 s allows for a loaded machine and
    // is still a tenth of the timeout, which a waiter that only retried at the end would reach.
    expect(delayMs).toBeGreaterThanOrEqual(0);
    expect(delayMs).toBeLessThan(1_000);
  });

  it("never takes over a lock from another host", async () => {
    const file = lockPathIn(tempHome().root);
    const record = { pid: await deadPid(), hostname: "elsewhere.example", createdAt: "x", token: "t" };
    writeLock(file, record);
    const error = (await acquireLock(file, { timeoutMs: 100 }).catch((e) => e)) as OauthxError;
    expect(isOauthxError(error, "STORE_LOCKED")).toBe(true);
    expect(error.remedy).toContain("elsewhere.example");
    expect(readLockRecord(file)).toEqual(record);
  });

  it("never judges a holder in another PID namespace of this host by its pid (a container)", async () => {
    const file = lockPathIn(tempHome().root);
    const record = {
      pid: await deadPid(),
      hostname: os.hostname(),
      pidNamespace: otherPidNamespace,
      createdAt: "2026-01-01T00:00:00Z",
      token: "container",
    };
    writeLock(file, record, 60_000);
    const error = (await acquireLock(file, { timeoutMs: 200 }).catch((e) => e)) as OauthxError;
    expect(isOauthxError(error, "STORE_LOCKED")).toBe(true);
    expect(error.message).toContain(`process ${record.pid} in another PID namespace (container)`);
    expect(error.remedy).toContain(file);
    expect(readLockRecord(file)).toEqual(record);
  });

  it("takes over a dead holder's lock recorded in our own PID namespace", async () => {
    const file = lockPathIn(tempHome().root);
    writeLock(file, {
      pid: await deadPid(),
      hostname: os.hostname(),
      ...(ownPidNamespace() === undefined ? {} : { pidNamespace: ownPidNamespace() }),
      createdAt: "2026-01-01T00:00:00Z",
      token: "dead",
    });
    const lock = await acquireLock(file, { timeoutMs: 2000 });
    expect(readLockRecord(file)?.pid).toBe(process.pid);
    lock.release();
  });

  it("takes over a lock from another PID namespace once it is older than any lock is held", async () => {
    const file = lockPathIn(tempHome().root);
    const record = {
      pid: process.pid, // alive here, but in another namespace that pid says nothing
      hostname: os.hostname(),
      pidNamespace: otherPidNamespace,
      createdAt: "2026-01-01T00:00:00Z",
      token: "crashed-container",
    };
    writeLock(file, record, 9 * 60_000);
    expect(isOauthxError(await acquireLock(file, { timeoutMs: 100 }).catch((e) => e), "STORE_LOCKED")).toBe(
      true,
    );
    writeLock(file, record, 11 * 60_000);
    const lock = await acquireLock(file, { timeoutMs: 2000 });
    expect(readLockRecord(file)?.token).not.toBe(record.token);
    lock.release();
  });

  it("treats an unreadable lock as a creator mid-write, then as abandoned after a grace period", async () => {
    const file = lockPathIn(tempHome().root);
    writeLock(file, "");
    expect(isOauthxError(await acquireLock(file, { timeoutMs: 100 }).catch((e) => e), "STORE_LOCKED")).toBe(
      true,
    );
    writeLock(file, "garbage", 60_000);
    (await acquireLock(file, { timeoutMs: 1000 })).release();
  });

  it("clears a takeover mutex left by a dead taker", async () => {
    const file = lockPathIn(tempHome().root);
    const pid = await deadPid();
    writeLock(file, { pid, hostname: os.hostname(), createdAt: "x", token: "dead-lock" });
    writeLock(`${file}.takeover`, { pid, hostname: os.hostname(), createdAt: "x", token: "dead-taker" });
    (await acquireLock(file, { timeoutMs: 2000 })).release();
    expect(fs.readdirSync(path.dirname(file))).toEqual([]);
  });
});

describe("store lock takeover race, replayed step by step", () => {
  it("a late taker acting on an old observation of the dead lock never removes the new live lock", async () => {
    const file = lockPathIn(tempHome().root);
    writeLock(file, { pid: await deadPid(), hostname: os.hostname(), createdAt: "x", token: "dead" });
    const seenByLateTaker = observe(file)!;

    const winner = await acquireLock(file, { timeoutMs: 1000 }); // took the dead lock over
    const winnerRecord = readLockRecord(file);
    expect(winnerRecord?.pid).toBe(process.pid);

    const lateContent = JSON.stringify({
      pid: process.pid,
      hostname: os.hostname(),
      createdAt: "x",
      token: "late",
    });
    expect(takeOver(file, seenByLateTaker, lateContent)).toBe(false);
    expect(readLockRecord(file)).toEqual(winnerRecord);
    expect(fs.existsSync(`${file}.takeover`)).toBe(false);
    winner.release();
  });

  it("does nothing while another live process holds the takeover mutex", async () => {
    const file = lockPathIn(tempHome().root);
    writeLock(file, { pid: await deadPid(), hostname: os.hostname(), createdAt: "x", token: "dead" });
    const busy = { pid: process.pid, hostname: os.hostname(), createdAt: "x", token: "busy-taker" };
    writeLock(`${file}.takeover`, busy);
    expect(takeOver(file, observe(file)!, "{}")).toBe(false);
    expect(readLockRecord(file)?.token).toBe("dead");
    expect(readLockRecord(`${file}.takeover`)).toEqual(busy);
  });
});
