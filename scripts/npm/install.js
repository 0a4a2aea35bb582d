// postinstall of the npm package `oauthx`: when npm installed this platform's native package,
// put its binary where the launcher is (bin/oauthx.js), so that `oauthx` on PATH is the binary
// itself and a call starts no Node (esbuild's install step does the same). On Windows npm runs a
// bin through a shim that starts node, so the launcher stays there. Nothing here may fail the
// install: without a usable binary the launcher stays, and it runs oauthx on Node.

import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, linkSync, readFileSync, renameSync, rmSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { nativeBinary } from "./native.js";

function install() {
  if (process.platform === "win32") return;
  const found = nativeBinary();
  if (!("binary" in found)) return;
  const { version } = JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8"));
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

install();
