// postinstall of the npm package `oauthx`: when npm installed this platform's native package,
// put its binary where the launcher is (bin/oauthx.js), so that `oauthx` on PATH is the binary
// itself and a call starts no Node (esbuild's install step does the same). On Windows npm runs a
// bin through a shim that starts node, so the launcher stays there. Nothing here may fail the
// install: without a usable binary the launcher stays, and it runs oauthx on Node.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, linkSync, readFileSync, renameSync, rmSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { nativeBinary } from "./native.js";

function install() {
  if (process.platform === "win32") return;
  const found = nativeBinary();
  if (!("binary" in found)) return;
  const { version, oauthxBinaries } = JSON.parse(
    readFileSync(new URL("package.json", import.meta.url), "utf8"),
  );
  // Nothing is run or linked before its digest is the one this oauthx was released with: a
  // platform package from another registry, a mirror or a tampered cache keeps the launcher.
  const expected = oauthxBinaries?.[found.name];
  if (typeof expected !== "string" || sha256(found.binary) !== expected) return;
  // The binary must run here and be this version: a package for another libc installed by a
  // package manager that ignores `libc`, or a mismatched pair, keeps the launcher.
  const check = spawnSync(found.binary, ["--version"], { encoding: "utf8", timeout: 20_000 });
  if (check.status !== 0 || check.stdout.split("\n")[0] !== `oauthx ${version}`) return;
  const launcher = fileURLToPath(new URL("bin/oauthx.js", import.meta.url));
  const temporary = `${launcher}.${process.pid}.tmp`;
  try {
    // A hard link costs no space; across file systems (or where links are refused) a copy.
    try {
      linkSync(found.binary, temporary);
    } catch {
      copyFileSync(found.binary, temporary);
    }
    chmodSync(temporary, 0o755);
    // A rename, never a write into the file: pnpm hard-links package files from its store.
    renameSync(temporary, launcher);
  } catch {
    rmSync(temporary, { force: true });
  }
}

function sha256(file) {
  try {
    return createHash("sha256").update(readFileSync(file)).digest("hex");
  } catch {
    return undefined;
  }
}

install();
