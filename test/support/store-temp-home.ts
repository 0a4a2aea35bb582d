// A fresh OAUTHX_HOME per test, under os.tmpdir(), removed afterwards.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach } from "vitest";

export interface TempHome {
  /** The temp directory (0700, from mkdtemp). */
  root: string;
  /** Where tests point OAUTHX_HOME: inside root and not yet created, to see who creates it. */
  home: string;
}

/** Registers beforeEach/afterEach hooks; call inside a describe (or at top level). */
export function useTempHome(): () => TempHome {
  let current: TempHome | undefined;
  beforeEach(() => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "oauthx-store-test-"));
    current = { root, home: path.join(root, "home") };
  });
  afterEach(() => {
    if (current) fs.rmSync(current.root, { recursive: true, force: true });
    current = undefined;
  });
  return () => {
    if (!current) throw new Error("useTempHome: no temp home outside a test");
    return current;
  };
}

/** Bytes and mtime of a file, to prove a failed operation wrote nothing. */
export function fingerprint(file: string): { bytes: string; mtimeMs: number; mode: number } {
  const stats = fs.statSync(file);
  return { bytes: fs.readFileSync(file).toString("base64"), mtimeMs: stats.mtimeMs, mode: stats.mode };
}

export function modeOf(file: string): string {
  return (fs.statSync(file).mode & 0o777).toString(8).padStart(4, "0");
}

/** A minimal valid entry; `name` makes entries distinguishable. */
export function sampleEntry(name: string) {
  return {
    access_token: `access-${name}`,
    token_type: "Bearer",
    refresh_token: `refresh-${name}`,
    expires_at: 2_000_000_000,
    scopes: ["read", "write"],
    obtained_at: 1_900_000_000,
  };
}
