// Crash-safe replacement of a secret file (docs/architecture.md "The store": temp file in the
// same directory, fsync, rename). A reader sees either the old file or the new one, never a mix, and
// the new file is 0600 from its first byte: it is created with that mode by open(O_EXCL), never
// written first and chmod-ed later (Deno's writeFileSync chmods after the fact and ignores umask).

import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { randomHex } from "./hex.ts";
import { isProcessAlive } from "./process-liveness.ts";

const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;

export interface AtomicWriteOptions {
  /** Mode the file is created with (before umask). Default 0o600. */
  mode?: number;
  /** Never replace an existing file: fail with an EEXIST error instead (for identity files). */
  noClobber?: boolean;
  /**
   * Called after the temp file is complete and synced, just before it replaces the target. A test
   * seam: crash-safety tests pause here and kill the process. Production code passes nothing.
   */
  beforeCommit?: (tempPath: string) => void | Promise<void>;
}

/** `.tokens.age.<pid>.<random>.tmp`: hidden, tied to the writing process, never read as a store. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomHex(6)}.tmp`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function tempNamePattern(target: string): RegExp {
  return new RegExp(`^\\.${escapeRegExp(path.basename(target))}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
}

export async function writeFileAtomic(
  target: string,
  data: Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temp = tempPathFor(target);
  let committed = false;
  try {
    writeAndSync(temp, data, options.mode ?? 0o600);
    await options.beforeCommit?.(temp);
    if (options.noClobber) publishWithoutReplacing(temp, target);
    else fs.renameSync(temp, target);
    committed = true;
    syncDirectory(path.dirname(target));
  } finally {
    if (!committed) removeQuietly(temp);
  }
}

function writeAndSync(file: string, data: Uint8Array, mode: number): void {
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL, mode);
  try {
    let offset = 0;
    while (offset < data.length) offset += fs.writeSync(fd, data, offset, data.length - offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * link() fails with EEXIST when the target exists, atomically, so two writers can never both
 * "create" the file. File systems without hard links fall back to check-then-rename, which is
 * only safe because callers also hold the store lock.
 */
function publishWithoutReplacing(temp: string, target: string): void {
  try {
    fs.linkSync(temp, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS" && code !== "EXDEV") throw error;
    if (fs.existsSync(target)) {
      throw Object.assign(new Error(`file exists: ${target}`), { code: "EEXIST" });
    }
    fs.renameSync(temp, target);
    return;
  }
  removeQuietly(temp);
}

/**
 * A rename is durable only once the directory entry is on disk. Windows cannot open directories
 * (and NTFS journals the rename); some file systems refuse fsync on a directory (EINVAL): the
 * rename has still happened, so those cases are not errors.
 */
export function syncDirectory(directory: string): void {
  if (process.platform === "win32") return;
  let fd: number | undefined;
  try {
    fd = fs.openSync(directory, "r");
    fs.fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EPERM" && code !== "ENOTSUP") throw error;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Already gone, or never created: nothing to clean.
  }
}

export interface AbandonedTempCleanup {
  /** Milliseconds since the epoch. */
  nowMs: number;
  /** Only files at least this old are considered (default one minute). */
  minAgeMs?: number;
}

/**
 * Removes temp files of `target` left by writers that crashed between open and rename: old
 * enough (a live writer finishes in milliseconds) and owned by a pid that no longer exists.
 * Both conditions, so a slow live writer is never robbed of its temp file. Returns what it removed.
 */
export function removeAbandonedTempFiles(target: string, cleanup: AbandonedTempCleanup): string[] {
  const directory = path.dirname(target);
  const pattern = tempNamePattern(target);
  const minAgeMs = cleanup.minAgeMs ?? 60_000;
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const file = path.join(directory, name);
    try {
      const ageMs = cleanup.nowMs - fs.statSync(file).mtimeMs;
      if (ageMs < minAgeMs || isProcessAlive(Number(match[1]))) continue;
      fs.unlinkSync(file);
      removed.push(file);
    } catch {
      // Removed by someone else meanwhile: fine.
    }
  }
  return removed;
}
