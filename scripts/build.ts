// `npm run build`: one executable, dist/oauthx, made by `bun build --compile`.
// --bytecode (with --format=esm) cuts start-up time to about a third (docs/performance.md); --minify
// shrinks what Bun must parse. Extra arguments pass through (e.g. --target=bun-linux-arm64).
//
// `npm run build:npm` (`node scripts/build.ts --npm`): dist/npm/oauthx.js, one ESM file for Node
// (`bun build --target=node`), with every dependency bundled in; it is the npm package's `bin`.
// Beside it dist/npm/sdk.js, the library (`import { TokenManager } from "oauthx"`), bundled alike,
// and its declarations: tsc emits them (tsconfig.types.json), and the files sdk.d.ts reaches are
// copied next to sdk.js with their `./x.ts` specifiers made `./x.js`, as a consumer resolves them.
//
// scripts/dist.ts builds the release binaries with the same flags (`compileArgs`).

import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import process from "node:process";

export const ROOT = join(import.meta.dirname, "..");
// The executable itself, not node_modules/.bin/bun: on Windows that is a shell shim, which spawn()
// cannot run. Bun's postinstall puts the platform's binary at bin/bun.exe on every OS.
export const BUN = join(ROOT, "node_modules/bun/bin/bun.exe");
export const ENTRY = join(ROOT, "src/main.ts");
export const SDK_ENTRY = join(ROOT, "src/sdk.ts");

/** `bun build` arguments for a single executable; `extra` goes last (--target, --compile-executable-path). */
export function compileArgs(
  outfile: string,
  options: { bytecode?: boolean; extra?: string[] } = {},
): string[] {
  return [
    "build",
    "--compile",
    ...(options.bytecode === false ? [] : ["--bytecode"]),
    "--format=esm",
    "--minify",
    // Lazily imported commands and libraries become chunks loaded on first import, not at start-up
    // (docs/performance.md).
    "--splitting",
    "--sourcemap=none",
    ENTRY,
    "--outfile",
    outfile,
    ...(options.extra ?? []),
  ];
}

/** `bun build` arguments for the Node bundle of the npm package. */
export function npmBundleArgs(outfile: string, entry: string = ENTRY): string[] {
  return [
    "build",
    "--target=node",
    "--format=esm",
    ...(entry === ENTRY ? ["--banner=#!/usr/bin/env node"] : []),
    entry,
    "--outfile",
    outfile,
  ];
}

/** tsc's declarations for src/sdk.ts, reduced to what sdk.d.ts imports, into `outDir`. */
function emitSdkTypes(outDir: string): number {
  const emitted = join(ROOT, "dist/types");
  rmSync(emitted, { recursive: true, force: true });
  const tsc = spawnSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.types.json"], {
    stdio: "inherit",
    cwd: ROOT,
  });
  if (tsc.error) throw tsc.error;
  if (tsc.status !== 0) return tsc.status ?? 1;
  const pending = ["sdk.d.ts"];
  const copied = new Set<string>();
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (copied.has(file)) continue;
    copied.add(file);
    const text = readFileSync(join(emitted, file), "utf8").replace(
      /(from\s+")(\.{1,2}\/[^"]+)\.ts"/g,
      (_match, prefix: string, specifier: string) => {
        pending.push(posix.join(posix.dirname(file), `${specifier}.d.ts`));
        return `${prefix}${specifier}.js"`;
      },
    );
    mkdirSync(dirname(join(outDir, file)), { recursive: true });
    writeFileSync(join(outDir, file), text);
  }
  rmSync(emitted, { recursive: true, force: true });
  return 0;
}

function bun(args: string[]): number {
  const result = spawnSync(BUN, args, { stdio: "inherit", cwd: ROOT });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** `npm run build:npm`: dist/npm/oauthx.js, sdk.js and the declarations; returns the exit status. */
export function buildNpmBundle(): number {
  const outfile = join(ROOT, "dist/npm/oauthx.js");
  mkdirSync(dirname(outfile), { recursive: true });
  let status = bun(npmBundleArgs(outfile));
  if (status === 0) chmodSync(outfile, 0o755);
  if (status === 0) status = bun(npmBundleArgs(join(ROOT, "dist/npm/sdk.js"), SDK_ENTRY));
  if (status === 0) status = emitSdkTypes(dirname(outfile));
  return status;
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  if (argv[0] === "--npm") {
    process.exitCode = buildNpmBundle();
  } else {
    const outfile = process.env.OAUTHX_BUILD_OUTFILE ?? join(ROOT, "dist/oauthx");
    mkdirSync(dirname(outfile), { recursive: true });
    process.exitCode = bun(compileArgs(outfile, { extra: argv }));
  }
}
