// Which native package serves this machine, and where its binary is: shared by the launcher
// (bin/oauthx.js) and the postinstall step (install.js) of the npm package `oauthx`
// (docs/reference.md "npm packages"). Plain JavaScript for Node 20: it ships as it is.
//
// One package per release target, `@oauthx/<platform>-<arch>[-musl]`, each an optional dependency
// of `oauthx` whose `os`, `cpu` and `libc` fields let npm install only the one that fits.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import process from "node:process";

const require = createRequire(import.meta.url);

/** musl or glibc: Node's report names the glibc it runs on, and has no such field on musl. */
function isMusl() {
  if (process.platform !== "linux") return false;
  // Without the network section the report is quick: it would otherwise list every interface.
  process.report.excludeNetwork = true;
  return !process.report.getReport().header?.glibcVersionRuntime;
}

/** The name of the native package for this machine, whether or not one exists. */
export function platformPackage() {
  return `@oauthx/${process.platform}-${process.arch}${isMusl() ? "-musl" : ""}`;
}

/**
 * This machine's native binary, if its package is installed; otherwise why not, in one line that
 * `oauthx --version` prints on Node.
 * @returns {{ binary: string, name: string } | { note: string }}
 */
export function nativeBinary() {
  const name = platformPackage();
  try {
    const directory = dirname(require.resolve(`${name}/package.json`));
    return { binary: join(directory, "bin", process.platform === "win32" ? "oauthx.exe" : "oauthx"), name };
  } catch {
    const manifest = JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8"));
    const known = Object.hasOwn(manifest.optionalDependencies ?? {}, name);
    return {
      note: known
        ? `running on Node, slower: the native binary's package ${name} is not installed (optional dependencies were omitted); reinstall oauthx without --omit=optional`
        : `running on Node, slower: oauthx has no native binary for ${name.slice("@oauthx/".length)}`,
    };
  }
}
