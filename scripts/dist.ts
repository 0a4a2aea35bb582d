// `npm run dist`: every release binary in dist/release/, plus SHA256SUMS (`sha256sum -c` format),
// and the npm packages of those binaries in dist/npm/ (scripts/npm-packages.ts).
//
//   node scripts/dist.ts [target ...] [--deno] [--bytecode] [--no-npm]
//
// Targets: linux-x64, linux-arm64, darwin-x64, darwin-arm64, windows-x64, linux-x64-musl (all by
// default). Names: oauthx-<version>-<target>[.exe]. `--deno` adds `deno compile` binaries named
// oauthx-deno-<version>-<target>[.exe] where Deno has the target; that needs Deno's `denort`
// download, so only the release workflow passes it.
//
// Where the runtimes come from. `bun build --compile --target=bun-<os>-<arch>` would download the
// target's Bun from the npm registry on every build, into a cache we do not control. Instead this
// script fetches each `@oven/bun-<target>` package itself with `npm pack` (the npm client checks
// the tarball against the registry's integrity hash, and a warm npm cache serves it without the
// network), pinned to the exact version of the installed `bun` devDependency (so the compiler and
// the embedded runtime are the same build), unpacks it into node_modules/.cache/oauthx-dist/ and
// hands its `bin/bun` to `--compile-executable-path`. The compile step then needs no network at
// all; we point Bun's registry at a closed port so that an accidental download fails loudly.
// Not optionalDependencies: npm skips those whose `os`/`cpu` differ from the machine's, which is
// every target but one, and would make every `npm ci` fetch ~300 MB that only a release needs.
//
// --bytecode. JSC bytecode is made by the host's Bun. Bun has had bugs where bytecode
// cross-compiled for another OS or libc crashes at start (oven-sh/bun#18416, #24144); bytecode
// cross-compiled for linux-arm64 on linux-x64 was checked to run (and to start faster) under
// qemu-aarch64. So: --bytecode when the target has the host's OS and libc, without it otherwise
// (those binaries start in ~50 ms instead of ~15 ms), and if Bun refuses --bytecode for a target
// the build is retried without it. Each target's choice is printed and kept in the summary.
// `--bytecode` is for a build on the target's own machine, as the release workflow makes them (one
// runner per target): every named target must be this machine's OS, CPU and libc, and gets
// --bytecode with no fallback, so a release binary never silently starts at the slower speed.
//
// --no-npm: binaries only. The release workflow's build jobs pass it: its gather job packs the npm
// packages once, from every target's binary.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import { BUN, buildNpmBundle, compileArgs, ROOT } from "./build.ts";
import { packNpm } from "./npm-packages.ts";
import { artifactName, RELEASE_DIR, TARGETS, type Target } from "./targets.ts";

export { artifactName, RELEASE_DIR, TARGETS, type Target } from "./targets.ts";

const USAGE = "node scripts/dist.ts [target ...] [--deno] [--bytecode] [--no-npm]";
const FLAGS = ["--deno", "--bytecode", "--no-npm"];
const CACHE_DIR = join(ROOT, "node_modules/.cache/oauthx-dist");

function readJson(path: string): { version: string } {
  return JSON.parse(readFileSync(path, "utf8"));
}

function hostTarget(): { os: string; arch: string; libc: string | undefined } {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  const libc = os === "linux" && !header?.glibcVersionRuntime ? "musl" : undefined;
  return { os, arch: process.arch, libc };
}

/** A target built here would be native: Bun's bytecode made by the target's own Bun. */
function isHost(target: Target, host: ReturnType<typeof hostTarget>): boolean {
  return target.os === host.os && target.arch === host.arch && target.libc === host.libc;
}

function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; capture?: boolean; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (!options.capture) process.stderr.write(chunk);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (!options.capture) process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** The npm client that runs us (`npm run dist`), else `npm` from PATH. */
function npmCommand(): [string, string[]] {
  const cli = process.env.npm_execpath;
  if (cli?.endsWith(".js")) return [process.execPath, [cli]];
  return [process.platform === "win32" ? "npm.cmd" : "npm", []];
}

/** Fetches (once) the `@oven/bun-*` packages of these targets; returns target id -> Bun executable. */
async function runtimes(targets: readonly Target[], bunVersion: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const missing: Target[] = [];
  const cacheDir = (target: Target) =>
    join(CACHE_DIR, `${target.pkg.replace("@oven/", "oven-")}-${bunVersion}`);
  for (const target of targets) {
    const exe = join(cacheDir(target), "package", target.exe);
    found.set(target.id, exe);
    if (!existsSync(exe)) missing.push(target);
  }
  if (missing.length === 0) return found;

  mkdirSync(CACHE_DIR, { recursive: true });
  const staging = join(CACHE_DIR, `.staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  try {
    const specs = missing.map((target) => `${target.pkg}@${bunVersion}`);
    process.stderr.write(`dist: fetching ${specs.join(" ")}\n`);
    const [npm, prefix] = npmCommand();
    const packed = await run(
      npm,
      [...prefix, "pack", "--json", "--prefer-offline", "--pack-destination", staging, ...specs],
      { capture: true },
    );
    if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
    const tarballs = JSON.parse(packed.stdout) as { name: string; version: string; filename: string }[];
    for (const target of missing) {
      const tarball = tarballs.find((entry) => entry.name === target.pkg);
      if (!tarball || tarball.version !== bunVersion) {
        throw new Error(`npm pack did not return ${target.pkg}@${bunVersion}`);
      }
      const dir = cacheDir(target);
      const unpacked = join(staging, target.id);
      mkdirSync(unpacked);
      // Relative names: GNU tar (first on PATH in Git Bash on Windows) reads `C:\...` as host:path.
      const tar = await run("tar", ["-xzf", tarball.filename, "-C", target.id], {
        capture: true,
        cwd: staging,
      });
      if (tar.code !== 0) throw new Error(`tar could not unpack ${tarball.filename}:\n${tar.stderr}`);
      const manifest = readJson(join(unpacked, "package/package.json"));
      if (manifest.version !== bunVersion || !existsSync(join(unpacked, "package", target.exe))) {
        throw new Error(`${tarball.filename} is not ${target.pkg}@${bunVersion} with ${target.exe}`);
      }
      rmSync(dir, { recursive: true, force: true });
      renameSync(unpacked, dir);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return found;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

interface Built {
  file: string;
  target: string;
  runtime: "bun" | "deno";
  bytecode: boolean;
}

async function buildBun(
  target: Target,
  runtime: string,
  outfile: string,
  bytecode: "yes" | "required" | "no",
): Promise<boolean> {
  // Any download attempt by Bun goes to a closed port: the build is offline or it fails.
  const env = {
    ...process.env,
    BUN_CONFIG_REGISTRY: "http://127.0.0.1:9/",
    NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
  };
  const extra = [`--target=${target.bun}`, `--compile-executable-path=${runtime}`];
  const args = compileArgs(outfile, { bytecode: bytecode !== "no", extra });
  const result = await run(BUN, args, { env, capture: true });
  if (result.code === 0 && existsSync(outfile)) return bytecode !== "no";
  if (bytecode === "yes") {
    process.stderr.write(
      `dist: ${target.id}: bun refused --bytecode (${result.stderr.trim().split("\n").pop()}); building without it\n`,
    );
    return buildBun(target, runtime, outfile, "no");
  }
  throw new Error(`bun build for ${target.id} failed:\n${result.stdout}${result.stderr}`);
}

export async function dist(ids: string[], options: { deno: boolean; bytecode?: boolean }): Promise<Built[]> {
  const unknown = ids.filter((id) => !TARGETS.some((target) => target.id === id));
  if (unknown.length > 0) {
    throw new Error(`unknown target ${unknown.join(", ")}; known: ${TARGETS.map((t) => t.id).join(", ")}`);
  }
  const targets = ids.length > 0 ? TARGETS.filter((target) => ids.includes(target.id)) : TARGETS;
  const version = readJson(join(ROOT, "package.json")).version;
  const bunVersion = readJson(join(ROOT, "node_modules/bun/package.json")).version;
  const host = hostTarget();
  if (options.bytecode) {
    const foreign = targets.filter((target) => !isHost(target, host)).map((target) => target.id);
    if (foreign.length > 0) {
      const here = TARGETS.find((target) => isHost(target, host))?.id ?? `${host.os}-${host.arch}`;
      throw new Error(
        `--bytecode builds only this machine's own target (${here}), not ${foreign.join(", ")}: build each on its own OS, CPU and libc`,
      );
    }
  }

  const executables = await runtimes(targets, bunVersion);
  rmSync(RELEASE_DIR, { recursive: true, force: true });
  mkdirSync(RELEASE_DIR, { recursive: true });

  const built: Built[] = [];
  for (const target of targets) {
    const file = artifactName(version, target);
    const native = target.os === host.os && target.libc === host.libc;
    const started = performance.now();
    const wanted = options.bytecode ? "required" : native ? "yes" : "no";
    const bytecode = await buildBun(target, executables.get(target.id)!, join(RELEASE_DIR, file), wanted);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(`dist: ${file} (${bytecode ? "bytecode" : "no bytecode"}, ${seconds}s)\n`);
    built.push({ file, target: target.id, runtime: "bun", bytecode });
  }

  if (options.deno) {
    // The executable, not node_modules/.bin/deno (a shell shim on Windows, which spawn() cannot run).
    const deno = join(ROOT, "node_modules/deno", process.platform === "win32" ? "deno.exe" : "deno");
    for (const target of targets) {
      if (!target.deno) continue;
      const file = artifactName(version, target, "deno");
      const args = [
        "compile",
        "-A",
        "--no-check",
        "--target",
        target.deno,
        "--output",
        join(RELEASE_DIR, file),
      ];
      const result = await run(deno, [...args, join(ROOT, "src/main.ts")]);
      if (result.code !== 0) throw new Error(`deno compile for ${target.id} failed`);
      process.stderr.write(`dist: ${file}\n`);
      built.push({ file, target: target.id, runtime: "deno", bytecode: false });
    }
  }

  const lines: string[] = [];
  for (const { file } of [...built].sort((a, b) => a.file.localeCompare(b.file))) {
    lines.push(`${await sha256(join(RELEASE_DIR, file))}  ${file}`);
  }
  writeFileSync(join(RELEASE_DIR, "SHA256SUMS"), `${lines.join("\n")}\n`);
  return built;
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const started = performance.now();
  try {
    const flags = argv.filter((arg) => arg.startsWith("-"));
    if (flags.some((flag) => !FLAGS.includes(flag))) throw new Error(`unknown flag; usage: ${USAGE}`);
    const built = await dist(
      argv.filter((arg) => !arg.startsWith("-")),
      { deno: argv.includes("--deno"), bytecode: argv.includes("--bytecode") },
    );
    for (const { file, bytecode } of built) {
      const mib = (statSync(join(RELEASE_DIR, file)).size / 2 ** 20).toFixed(1);
      process.stdout.write(`${file.padEnd(44)} ${mib.padStart(6)} MiB${bytecode ? "  bytecode" : ""}\n`);
    }
    process.stdout.write(
      `dist/release/SHA256SUMS; ${built.length} files in ${((performance.now() - started) / 1000).toFixed(1)}s\n`,
    );
    if (!argv.includes("--no-npm")) {
      if (buildNpmBundle() !== 0) throw new Error("npm run build:npm failed");
      const ids = new Set(built.filter((entry) => entry.runtime === "bun").map((entry) => entry.target));
      const tarballs = packNpm({ targets: TARGETS.filter((target) => ids.has(target.id)) });
      for (const tarball of tarballs) process.stdout.write(`${relative(ROOT, tarball)}\n`);
    }
  } catch (error) {
    process.stderr.write(`dist: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
