// A memo of the last parse of the user's providers file: `$OAUTHX_HOME/.providers-parsed.json`
// holds the file's exact text and the plain data `yaml` made of it. When the text read now is the
// same, the data is taken from here and the YAML parser is never loaded, a large part of every
// warm `token` and `exec` for people with a providers file (docs/performance.md). The data is validated
// by the schema on every use as before; only parsing is skipped.
//
// Why this is safe: the key is the whole text, compared exactly, so any edit misses; the memo holds
// nothing that providers.yaml does not (no secrets: client secrets never go in that file); and it
// is used only when it is a private regular file of ours, as the store is, so it cannot be planted
// by another user (on Windows, which reports no such modes, it is therefore never used). Writing
// it is best effort: a read-only home only costs the parse.

import * as fs from "node:fs";
import { join } from "node:path";
import process from "node:process";

const CACHE_FILE = ".providers-parsed.json";
const FORMAT = 1;

interface Memo {
  format: typeof FORMAT;
  text: string;
  data: unknown;
}

/** The data parsed from exactly `text` before, or undefined. Never throws. */
export function readParsedProviders(home: string, text: string): { data: unknown } | undefined {
  try {
    const file = join(home, CACHE_FILE);
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    try {
      const stats = fs.fstatSync(fd);
      const ours = typeof process.getuid !== "function" || stats.uid === process.getuid();
      if (!stats.isFile() || (stats.mode & 0o077) !== 0 || !ours) return undefined;
      const memo = JSON.parse(fs.readFileSync(fd, "utf8")) as Partial<Memo>;
      return memo.format === FORMAT && memo.text === text ? { data: memo.data } : undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Remembers the parse of `text`; failures are ignored (the next run parses again). */
export async function rememberParsedProviders(home: string, text: string, data: unknown): Promise<void> {
  try {
    const { removeAbandonedTempFiles, writeFileAtomic } = await import("../store/atomic-file.ts");
    const file = join(home, CACHE_FILE);
    // A writer killed mid-write leaves its temp file; clear those as the store does its own.
    removeAbandonedTempFiles(file, { nowMs: Date.now() });
    const memo: Memo = { format: FORMAT, text, data };
    await writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(memo)), { mode: 0o600 });
  } catch {
    // A read-only or full home: correct, just slower.
  }
}
