// Refuses secret files others can reach, the way ssh refuses a private key with loose modes:
// a token store or identity that group or others can read is already leaked, and one they can
// write can be swapped for theirs. The owner counts as much as the mode: whoever owns a file or
// directory can chmod it and read or replace what is in it, so each must be ours (or root's, who
// can do all that anyway). Windows has no POSIX modes (ACLs instead), so no checks there.

import * as fs from "node:fs";
import process from "node:process";
import { OauthxError } from "../errors.ts";

function checksApply(): boolean {
  return process.platform !== "win32";
}

/**
 * A file or directory that holds or guards secrets must belong to us or root: its owner can chmod
 * it at will, so a 0600 store that belongs to another user is theirs to read and replace.
 */
function assertOwnedByUs(file: string, stats: fs.Stats): void {
  const uid = process.getuid?.();
  if (uid === undefined || stats.uid === uid || stats.uid === 0) return;
  throw new OauthxError(
    "STORE_PERMISSIONS",
    `${file} belongs to another user (uid ${stats.uid}); refusing to use it`,
    { remedy: `chown ${uid} ${file}, or remove it` },
  );
}

/** The store and identity files: ours, and no bit at all for group or others (ssh's rule, 0o077). */
export function assertPrivateFile(file: string, stats: fs.Stats): void {
  if (!checksApply()) return;
  assertOwnedByUs(file, stats);
  if ((stats.mode & 0o077) === 0) return;
  throw new OauthxError(
    "STORE_PERMISSIONS",
    `${file} is accessible by other users (mode ${formatMode(stats.mode)}); refusing to use it`,
    { remedy: `chmod 600 ${file}` },
  );
}

/**
 * A file that decides where tokens are sent (the user's providers file can override a built-in's
 * token_endpoint) may be read by others, but written only by its owner, who must be us or root:
 * whoever can change it can collect our tokens (ssh's rule for ~/.ssh/config).
 */
export function assertOwnerOnlyWritable(file: string, stats: fs.Stats): void {
  if (!checksApply()) return;
  assertOwnedByUs(file, stats);
  if ((stats.mode & 0o022) !== 0) {
    throw new OauthxError(
      "STORE_PERMISSIONS",
      `${file} is writable by other users (mode ${formatMode(stats.mode)}); refusing to use it`,
      { remedy: `chmod go-w ${file}` },
    );
  }
}

/**
 * The home directory may be readable by others (the files in it are 0600), but not writable by
 * them: whoever can write the directory can replace tokens.age and identity.txt with files of
 * their own (rename needs only directory write access), and then receive every token we save.
 * A sticky bit does not help: it stops deletion, not creation of a file we have not made yet.
 */
export function assertPrivateDirectory(directory: string, stats: fs.Stats): void {
  if (!checksApply()) return;
  assertOwnedByUs(directory, stats);
  if ((stats.mode & 0o022) === 0) return;
  throw new OauthxError(
    "STORE_PERMISSIONS",
    `${directory} is writable by other users (mode ${formatMode(stats.mode)}); refusing to use it`,
    { remedy: `chmod 700 ${directory}` },
  );
}

/** Creates the home directory 0700 if missing (parents too), then checks it. */
export function ensurePrivateDirectory(directory: string): void {
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  assertPrivateDirectory(directory, fs.statSync(directory));
}

/** Checks an existing directory; a missing one is fine (nothing to protect yet). */
export function checkDirectoryIfPresent(directory: string): void {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(directory);
  } catch {
    return;
  }
  assertPrivateDirectory(directory, stats);
}

/**
 * A directory only we may enter, in a place others can write to (the system temp dir, for the CI
 * cache): created 0700 if missing; an existing one must be a real directory (not a symlink someone
 * planted), ours, and closed to group and others.
 */
export function ensureOwnDirectory(directory: string): void {
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (!checksApply()) return;
  const stats = fs.lstatSync(directory);
  const uid = process.getuid?.();
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid)) {
    throw new OauthxError(
      "STORE_PERMISSIONS",
      `${directory} is not a directory of yours; refusing to use it`,
      {
        remedy: `remove ${directory} (someone else made it), or choose another place`,
      },
    );
  }
  if ((stats.mode & 0o077) !== 0) {
    throw new OauthxError(
      "STORE_PERMISSIONS",
      `${directory} is accessible by other users (mode ${formatMode(stats.mode)}); refusing to use it`,
      { remedy: `chmod 700 ${directory}` },
    );
  }
}

/**
 * The place a private directory is made in (the CI cache's parent, the job's temp dir): ours or
 * root's, and if others can write it, sticky (/tmp). In a parent others can write without the
 * sticky bit they can rename our directory away, and a cache that vanishes makes the next call
 * start again from a seed the cache had already spent. Created 0700 when missing.
 */
export function assertSafeParent(directory: string): void {
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (!checksApply()) return;
  const stats = fs.statSync(directory);
  assertOwnedByUs(directory, stats);
  if ((stats.mode & 0o022) !== 0 && (stats.mode & 0o1000) === 0) {
    throw new OauthxError(
      "STORE_PERMISSIONS",
      `${directory} is writable by other users and not sticky (mode ${formatMode(stats.mode)}); refusing to keep the CI cache there`,
      { remedy: `set OAUTHX_CI_CACHE_DIR to a directory only you can write, or chmod +t ${directory}` },
    );
  }
}

function formatMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}
