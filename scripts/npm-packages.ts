// The npm packages (docs/reference.md "npm packages"), as tarballs in dist/npm/:
//
//   node scripts/npm-packages.ts [target ...] [--release DIR] [--out DIR]
//
// - `@oauthx/<platform>-<arch>[-musl]`, one per release target (scripts/dist.ts): the release
//   binary alone, at bin/oauthx (bin/oauthx.exe), with `os`, `cpu` and, on Linux, `libc`, so that
//   npm installs only the one that fits the machine.
// - `oauthx`: the library (dist/npm/sdk.js and its declarations, `npm run build:npm`), the Node
//   bundle of the CLI (dist/npm/oauthx.js), and `bin/oauthx.js`, a launcher that the postinstall
//   step replaces with the native binary (scripts/npm/). Every platform package is an optional
//   dependency, at this exact version; there is no other dependency.
//
// The binaries are read from DIR (default dist/release), named as `npm run dist` names them, so
// the packages hold the very files of the GitHub release. The release workflow's gather job runs
// this once with every target's binary; `npm run dist` runs it for the targets it built.
// The repository's own package.json is not the published one: its `oauthx` manifest is written here.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import packageJson from "../package.json" with { type: "json" };
import { ROOT } from "./build.ts";
import { artifactName, RELEASE_DIR, TARGETS, type Target } from "./targets.ts";

export const NPM_DIR = join(ROOT, "dist/npm");
const TEMPLATES = join(ROOT, "scripts/npm");

/** The npm package of a release target: `@oauthx/` and Node's `process.platform`-`process.arch`. */
export function npmPackageName(target: Target): string {
  const platform = target.os === "windows" ? "win32" : target.os;
  return `@oauthx/${platform}-${target.arch}${target.libc === "musl" ? "-musl" : ""}`;
}

/** Where the published packages say they come from: npm's provenance check compares it with the build's repository. */
function repository(): { repository?: { type: string; url: string } } {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo } = process.env;
  return server && repo ? { repository: { type: "git", url: `git+${server}/${repo}.git` } } : {};
}

export function platformManifest(target: Target, version: string): Record<string, unknown> {
  const os = target.os === "windows" ? "win32" : target.os;
  return {
    name: npmPackageName(target),
    version,
    description: `The oauthx executable for ${target.id}: installed by the npm package oauthx, not used on its own.`,
    license: packageJson.license,
    ...repository(),
    os: [os],
    cpu: [target.arch],
    ...(os === "linux" ? { libc: [target.libc === "musl" ? "musl" : "glibc"] } : {}),
    // Yarn PnP: the binary must be a real file on disk to be executed.
    preferUnplugged: true,
  };
}

/**
 * `digests`: the SHA-256 of each platform package's binary, by package name. The postinstall step
 * (scripts/npm/install.js) runs and links a platform package's binary only when it has this
 * digest: the binary that arrives is the one released with this `oauthx`, whichever registry,
 * mirror or lockfile the platform package came through.
 */
export function mainManifest(version: string, digests: Record<string, string> = {}): Record<string, unknown> {
  return {
    name: packageJson.name,
    version,
    description: packageJson.description,
    license: packageJson.license,
    ...repository(),
    type: "module",
    bin: { oauthx: "bin/oauthx.js" },
    exports: packageJson.exports,
    types: packageJson.types,
    engines: packageJson.engines,
    scripts: { postinstall: "node install.js" },
    optionalDependencies: Object.fromEntries(TARGETS.map((target) => [npmPackageName(target), version])),
    oauthxBinaries: digests,
  };
}

function copy(from: string, to: string, mode?: number): void {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  if (mode !== undefined) chmodSync(to, mode);
}

/** `npm pack` of a staged directory into `outDir`; returns the tarball's path. */
function pack(directory: string, outDir: string): string {
  const cli = process.env.npm_execpath;
  const [command, prefix] = cli?.endsWith(".js")
    ? [process.execPath, [cli]]
    : [process.platform === "win32" ? "npm.cmd" : "npm", []];
  const result = spawnSync(
    command,
    [...prefix, "pack", "--json", "--ignore-scripts", "--pack-destination", outDir, directory],
    { encoding: "utf8", cwd: directory, shell: process.platform === "win32" },
  );
  if (result.status !== 0) throw new Error(`npm pack ${directory} failed:\n${result.stderr}`);
  const [packed] = JSON.parse(result.stdout) as { filename: string }[];
  if (!packed) throw new Error(`npm pack ${directory} wrote no tarball`);
  return join(outDir, packed.filename);
}

export interface NpmPackOptions {
  targets?: readonly Target[];
  releaseDir?: string;
  outDir?: string;
  version?: string;
}

/** Writes the tarballs of `oauthx` and of each target's package; returns their paths. */
export function packNpm(options: NpmPackOptions = {}): string[] {
  const targets = options.targets ?? TARGETS;
  const releaseDir = options.releaseDir ?? RELEASE_DIR;
  const outDir = options.outDir ?? NPM_DIR;
  const version = options.version ?? packageJson.version;
  const missing = [join(NPM_DIR, "oauthx.js"), join(NPM_DIR, "sdk.js"), join(NPM_DIR, "sdk.d.ts")]
    .concat(targets.map((target) => join(releaseDir, artifactName(version, target))))
    .filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.map((file) => relative(ROOT, file)).join(", ")}: run \`npm run build:npm\` and \`npm run dist\` first`,
    );
  }
  mkdirSync(outDir, { recursive: true });
  const staging = join(outDir, `.staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const tarballs: string[] = [];
  const digests: Record<string, string> = {};
  try {
    for (const target of targets) {
      const directory = join(staging, target.id);
      const exe = target.os === "windows" ? "oauthx.exe" : "oauthx";
      const binary = join(releaseDir, artifactName(version, target));
      digests[npmPackageName(target)] = createHash("sha256").update(readFileSync(binary)).digest("hex");
      copy(binary, join(directory, "bin", exe), 0o755);
      writeFileSync(
        join(directory, "package.json"),
        `${JSON.stringify(platformManifest(target, version), null, 2)}\n`,
      );
      writeFileSync(
        join(directory, "README.md"),
        `# ${npmPackageName(target)}\n\nThe oauthx ${version} executable for ${target.id}. Install \`oauthx\`, which depends on it.\n`,
      );
      tarballs.push(pack(directory, outDir));
    }

    const main = join(staging, "oauthx");
    copy(join(TEMPLATES, "launcher.js"), join(main, "bin/oauthx.js"), 0o755);
    copy(join(TEMPLATES, "install.js"), join(main, "install.js"));
    copy(join(TEMPLATES, "native.js"), join(main, "native.js"));
    const bundled = readdirSync(NPM_DIR, { recursive: true, encoding: "utf8" }).filter(
      (file) => /^(oauthx|sdk)\.js$/.test(file) || file.endsWith(".d.ts"),
    );
    for (const file of bundled) copy(join(NPM_DIR, file), join(main, "dist/npm", file));
    chmodSync(join(main, "dist/npm/oauthx.js"), 0o755);
    for (const file of ["README.md", "CHANGELOG.md"]) copy(join(ROOT, file), join(main, file));
    writeFileSync(join(main, "package.json"), `${JSON.stringify(mainManifest(version, digests), null, 2)}\n`);
    tarballs.push(pack(main, outDir));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return tarballs;
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const option = (flag: string) => {
    const at = argv.indexOf(flag);
    if (at < 0) return undefined;
    const [, value] = argv.splice(at, 2);
    if (value === undefined) throw new Error(`${flag} needs a directory`);
    return resolve(value);
  };
  try {
    const releaseDir = option("--release");
    const outDir = option("--out");
    const unknown = argv.filter((arg) => !TARGETS.some((target) => target.id === arg));
    if (unknown.length > 0) throw new Error(`unknown target or flag ${unknown.join(", ")}`);
    const targets = argv.length > 0 ? TARGETS.filter((target) => argv.includes(target.id)) : TARGETS;
    for (const tarball of packNpm({ targets, releaseDir, outDir })) process.stdout.write(`${tarball}\n`);
  } catch (error) {
    process.stderr.write(`npm-packages: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
