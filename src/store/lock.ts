// The cross-process lock guarding read-modify-write of the store (docs/architecture.md "The store").
// It is a file created with O_EXCL, which every runtime we ship on (Node, Bun, Deno, a compiled
// Bun binary) implements atomically; node:fs has no flock(), so kernel locks are not an option.
//
// The lock file holds {pid, hostname, pidNamespace (Linux), createdAt, token}. The token is random per acquisition, so
// "is this still the lock I saw / the lock I hold?" compares tokens, never pids (pids are reused).
//
// Taking over a lock left by a dead process is the delicate part. The naive way, "see the dead
// pid, unlink the lock, create mine", lets two waiters that both saw the dead lock both win:
//   W1 unlinks the dead lock and creates its own; W2 (acting on what it saw earlier) unlinks
//   W1's live lock and creates its own. Renaming the stale lock away instead of unlinking it has
//   the same flaw (W2 moves W1's live lock). Nothing in POSIX removes a path "only if it still
//   holds these bytes", so takeovers are serialised by a second, short-lived mutex file
//   (`<lock>.takeover`, also O_EXCL): its holder re-reads the lock and removes it only if it is
//   still the very lock (same bytes, same random token) it judged dead. A second taker that got
//   there late re-reads too, finds a different (live) lock or none, and removes nothing. The
//   mutex is held for a handful of synchronous system calls, with no await in between.
//
// That mutex can itself be left behind only if its holder dies inside those few system calls. It
// is then cleared the same way (owner pid dead), by renaming it to a unique name and checking it
// was the one judged dead; if it was not (a live taker replaced it meanwhile), it is linked back.
// The remaining window (two processes clearing a dead mutex at the same microsecond while a third
// takes over) needs a crash inside a microsecond-wide window first; we accept it, knowingly.
//
// A lock from another host (shared home directory) is never taken over: its pid means nothing
// here. Waiters then time out with STORE_LOCKED and a remedy naming the host, pid and path.
//
// The same holds, on one host, across Linux PID namespaces: a container that shares the host's
// hostname and has the home directory bind-mounted sees the host's live holder as dead (its pid
// does not exist in the container: ESRCH), and taking its lock over would let two refreshes spend
// one rotating refresh token. So the record also names the holder's PID namespace (Linux only),
// and a holder in another namespace is never judged by its pid. Unlike another host's lock, it is
// taken over once it is far older than any lock is ever held (see FOREIGN_HOLDER_MAX_AGE_MS): a
// container that crashed holding it restarts in a new namespace and would otherwise wait forever.
// Records without a namespace (older oauthx, other systems) keep the pid rule.

import * as fs from "node:fs";
import * as os from "node:os";
import process from "node:process";
import { OauthxError } from "../errors.ts";
import { randomHex } from "./hex.ts";
import { isProcessAlive } from "./process-liveness.ts";

const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;

/** A creator writes its record right after creating the file; unreadable for this long = abandoned. */
const UNREADABLE_GRACE_MS = 5_000;
/**
 * A lock held from another PID namespace on this host is abandoned once its file is this old. The
 * longest hold is a refresh: one token request of at most three attempts of 30 s each (the HTTP
 * timeout) with two Retry-After waits of at most 10 s between them, about two minutes in all, and
 * normally well under a second. Ten minutes leaves a wide margin for a slow or suspended machine.
 */
const FOREIGN_HOLDER_MAX_AGE_MS = 10 * 60_000;
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 200;

export interface LockRecord {
  pid: number;
  hostname: string;
  /** Linux: the holder's PID namespace (inode of /proc/self/ns/pid); absent elsewhere. */
  pidNamespace?: number;
  /** RFC 3339, for people reading the error. */
  createdAt: string;
  token: string;
}

export interface LockOptions {
  /** Give up (STORE_LOCKED) after waiting this long for a live holder. */
  timeoutMs: number;
  /** What the lock guards, for the error message. Default "the token store". */
  guards?: string;
}
// No injectable clock here on purpose: waiting is measured on the monotonic clock (a fake or
// stepped wall clock must not make a waiter spin forever or give up at once), and staleness of an
// unreadable lock is judged against file mtimes, which only the real wall clock can be compared to.

export interface HeldLock {
  readonly path: string;
  /** Removes the lock file if it is still ours; returns whether it was. Idempotent. */
  release(): boolean;
}

/** What a waiter saw in a lock file: the raw bytes (for "unchanged?") and the record if readable. */
export interface Observation {
  raw: string;
  record: LockRecord | undefined;
  mtimeMs: number;
}

export async function acquireLock(lockPath: string, options: LockOptions): Promise<HeldLock> {
  const mine = newRecord(Date.now());
  const content = `${JSON.stringify(mine)}\n`;
  const deadline = performance.now() + options.timeoutMs;
  let pollMs = FIRST_POLL_MS;

  for (;;) {
    if (createExclusive(lockPath, content)) return heldLock(lockPath, mine.token);

    const seen = observe(lockPath);
    if (seen === undefined) continue; // released between our attempt and our look: try again now
    if (isAbandoned(seen) && takeOver(lockPath, seen, content)) continue;

    const remaining = deadline - performance.now();
    if (remaining <= 0) throw lockedError(lockPath, seen, options.timeoutMs, options.guards);
    await sleep(Math.min(remaining, pollMs * (0.75 + Math.random() / 2)));
    pollMs = Math.min(MAX_POLL_MS, pollMs * 1.5);
  }
}

/** Reads a lock file without taking it, for `doctor`-style reporting. Undefined when unlocked. */
export function readLockRecord(lockPath: string): LockRecord | undefined {
  return observe(lockPath)?.record;
}

function newRecord(nowMs: number): LockRecord {
  const namespace = ownPidNamespace();
  return {
    pid: process.pid,
    hostname: os.hostname(),
    ...(namespace === undefined ? {} : { pidNamespace: namespace }),
    createdAt: new Date(nowMs).toISOString(),
    token: randomToken(),
  };
}

let cachedPidNamespace: { value: number | undefined } | undefined;

/** The inode in readlink("/proc/self/ns/pid") = "pid:[4026531836]"; undefined off Linux or without /proc. */
function ownPidNamespace(): number | undefined {
  if (cachedPidNamespace === undefined) {
    let value: number | undefined;
    if (process.platform === "linux") {
      try {
        const match = /^pid:\[(\d+)\]$/.exec(fs.readlinkSync("/proc/self/ns/pid"));
        if (match) value = Number(match[1]);
      } catch {
        // No /proc (or no access): records carry no namespace and the pid rule applies.
      }
    }
    cachedPidNamespace = { value };
  }
  return cachedPidNamespace.value;
}

function randomToken(): string {
  return randomHex(16);
}

/** True when we created the file; false when it already exists. */
function createExclusive(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    fs.writeSync(fd, content);
  } catch (error) {
    fs.closeSync(fd);
    fs.unlinkSync(file); // a lock without a record would only make others wait for the grace period
    throw error;
  }
  fs.closeSync(fd);
  return true;
}

/** Exported for tests of the takeover race; undefined when there is no lock file. */
export function observe(file: string): Observation | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    // Bytes and mtime from one descriptor: both describe the same file even if it is replaced.
    const mtimeMs = fs.fstatSync(fd).mtimeMs;
    const raw = fs.readFileSync(fd, "utf8");
    return { raw, record: parseRecord(raw), mtimeMs };
  } finally {
    fs.closeSync(fd);
  }
}

function parseRecord(raw: string): LockRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { pid, hostname, pidNamespace, createdAt, token } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || typeof hostname !== "string") return undefined;
  if (typeof createdAt !== "string" || typeof token !== "string" || token === "") return undefined;
  return {
    pid: pid as number,
    hostname,
    // Anything but an integer is ignored: such a record is judged by its pid, as before namespaces.
    ...(Number.isSafeInteger(pidNamespace) ? { pidNamespace: pidNamespace as number } : {}),
    createdAt,
    token,
  };
}

/** Held from another PID namespace of this host (a container, or the host seen from one). */
function inOtherPidNamespace(record: LockRecord): boolean {
  return record.pidNamespace !== undefined && record.pidNamespace !== ownPidNamespace();
}

/**
 * Left by a process that is gone: same host, same PID namespace and dead pid; or unreadable, or
 * held from another PID namespace, for too long (judged by the file's age: its pid means nothing).
 */
function isAbandoned(seen: Observation): boolean {
  const ageMs = Date.now() - seen.mtimeMs;
  if (seen.record === undefined) return ageMs > UNREADABLE_GRACE_MS;
  if (seen.record.hostname !== os.hostname()) return false;
  if (inOtherPidNamespace(seen.record)) return ageMs > FOREIGN_HOLDER_MAX_AGE_MS;
  return !isProcessAlive(seen.record.pid);
}

/**
 * Removes the abandoned lock `seen`, under the takeover mutex (see the top of this file).
 * Returns true when the lock path is now free to be created again. Exported for tests, which
 * replay a late taker acting on an old observation.
 */
export function takeOver(lockPath: string, seen: Observation, content: string): boolean {
  const mutexPath = `${lockPath}.takeover`;
  if (!createExclusive(mutexPath, content)) {
    const holder = observe(mutexPath);
    if (holder !== undefined && isAbandoned(holder)) removeIfStillSame(mutexPath, holder);
    return false;
  }
  try {
    const again = observe(lockPath);
    if (again === undefined) return true;
    if (again.raw !== seen.raw || !isAbandoned(again)) return false;
    fs.unlinkSync(lockPath);
    return true;
  } finally {
    removeIfContent(mutexPath, content);
  }
}

/** Clears an abandoned takeover mutex: move it aside, check it is the one we judged, else restore. */
function removeIfStillSame(file: string, seen: Observation): void {
  const aside = `${file}.${randomToken()}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // someone else cleared it
  }
  try {
    if (fs.readFileSync(aside, "utf8") !== seen.raw) fs.linkSync(aside, file);
  } catch {
    // EEXIST: a new mutex already exists; ours was not needed back.
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

function removeIfContent(file: string, content: string): boolean {
  try {
    if (fs.readFileSync(file, "utf8") !== content) return false;
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

function heldLock(lockPath: string, token: string): HeldLock {
  let released = false;
  return {
    path: lockPath,
    release() {
      if (released) return false;
      released = true;
      const current = observe(lockPath);
      if (current?.record?.token !== token) return false;
      fs.rmSync(lockPath, { force: true });
      return true;
    },
  };
}

function lockedError(
  lockPath: string,
  seen: Observation,
  timeoutMs: number,
  guards = "the token store",
): OauthxError {
  const seconds = `${Math.round(timeoutMs / 100) / 10} s`;
  const holder = seen.record;
  if (holder === undefined) {
    return new OauthxError("STORE_LOCKED", `${guards} is locked (unreadable lock ${lockPath})`, {
      remedy: `if no oauthx is running, remove ${lockPath}`,
    });
  }
  const locked = (where: string, remedy: string) =>
    new OauthxError(
      "STORE_LOCKED",
      `${guards} is locked by process ${holder.pid}${where} since ${holder.createdAt} (waited ${seconds})`,
      { remedy },
    );
  if (holder.hostname !== os.hostname()) {
    return locked(
      ` on host ${holder.hostname}`,
      `if no oauthx runs on ${holder.hostname} as pid ${holder.pid}, remove ${lockPath}`,
    );
  }
  if (inOtherPidNamespace(holder)) {
    const minutes = FOREIGN_HOLDER_MAX_AGE_MS / 60_000;
    return locked(
      " in another PID namespace (container)",
      `if no oauthx runs in that container (or on its host), remove ${lockPath}; it is taken over ${minutes} minutes after it was created`,
    );
  }
  return locked(
    "",
    `wait for process ${holder.pid} to finish (or stop it), then retry; the lock is ${lockPath}`,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
