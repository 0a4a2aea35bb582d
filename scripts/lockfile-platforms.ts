// `node scripts/lockfile-platforms.ts`: adds to package-lock.json the other platforms' optional
// packages (Biome's and Deno's per-OS binaries) that `npm install` leaves out on these machines.
//
// Why: the registry these machines reach lacks some of those packages (e.g. Biome for macOS), so
// npm records only the ones it could fetch; `npm ci` then refuses the lockfile ("Missing: … from
// lock file"). An entry with `os`/`cpu` lets `npm ci` skip a foreign platform's package without
// fetching it, and lets a machine of that platform fetch it by name and version. Run it after any
// `npm install` that rewrites the lockfile; `.ci/run`'s `npm ci` proves the result.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface LockPackage {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}

const file = join(import.meta.dirname, "../package-lock.json");
const lock = JSON.parse(readFileSync(file, "utf8")) as { packages: Record<string, LockPackage> };

/** os/cpu/libc from a platform package's name (`cli-darwin-arm64`, `linux-x64-musl`, `win32-x64`). */
function platformOf(name: string): { os: string[]; cpu: string[]; libc?: string[] } | undefined {
  const os = ["darwin", "win32", "linux", "android", "freebsd"].find((candidate) => name.includes(candidate));
  const cpu = /arm64|aarch64/.test(name) ? "arm64" : /x64|x86_64/.test(name) ? "x64" : undefined;
  if (!os || !cpu) return undefined;
  const libc = /musl/.test(name) ? ["musl"] : /glibc/.test(name) ? ["glibc"] : undefined;
  return { os: [os], cpu: [cpu], ...(libc ? { libc } : {}) };
}

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    const platform = platformOf(name);
    if (!platform) {
      process.stderr.write(
        `lockfile-platforms: ${name} (optional for ${path || "the root"}) names no platform; left out\n`,
      );
      continue;
    }
    lock.packages[key] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
    added++;
  }
}
// npm keeps the root first, then paths in order.
const [root, ...rest] = Object.entries(lock.packages);
lock.packages = Object.fromEntries([root!, ...rest.sort(([a], [b]) => a.localeCompare(b))]);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
process.stderr.write(`lockfile-platforms: added ${added} platform packages to package-lock.json\n`);
