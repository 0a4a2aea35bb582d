// The npm channel's start-up (issue 26): `oauthx` as `npm install` puts it on a project's PATH,
// against the release binary run directly, side by side in one hyperfine run. Target: the
// installed command within 1.5x of the binary, for `--version` and a warm `token`. Also shown: the
// launcher (an install with --ignore-scripts) and the Node bundle (--omit=optional).
//
// bench/run.ts calls npmStartup() with its binary and seeded store; `node bench/npm.ts` alone
// times `--version` of dist/oauthx (`npm run build` first), which needs no store.
//
// The packages are packed from the binary measured (scripts/npm-packages.ts) and installed offline
// by the npm on PATH into empty projects under `dir`.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import packageJson from "../package.json" with { type: "json" };
import { buildNpmBundle, ROOT } from "../scripts/build.ts";
import { artifactName, TARGETS } from "../scripts/dist.ts";
import { packNpm } from "../scripts/npm-packages.ts";
import { hyperfine, medianMs } from "./hyperfine.ts";

export const NPM_TARGET_RATIO = 1.5;

export interface NpmStartupOptions {
  /** The compiled binary to pack and to compare with. */
  oauthx: string;
  env: Record<string, string>;
  dir: string;
  hyperfine: string;
  runs: number;
  /** Also time a warm call, e.g. ["token", "github"] against a seeded store in env.OAUTHX_HOME. */
  token?: string[];
}

function check(result: ReturnType<typeof spawnSync>, what: string): void {
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${what} failed:\n${result.stdout}${result.stderr}`);
}

/** An empty project with `tarballs` installed by npm, offline, with `flags`; returns its `oauthx`. */
function installed(dir: string, name: string, flags: string[], tarballs: string[]): string {
  const project = join(dir, name);
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: `bench-${name}`, private: true }));
  // Without the npm_* variables of `npm run bench`, which would configure this npm as the repository's.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  const result = spawnSync(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", ...flags, ...tarballs],
    {
      cwd: project,
      env,
      encoding: "utf8",
    },
  );
  check(result, `npm install ${flags.join(" ")}`);
  return join(project, "node_modules/.bin/oauthx");
}

/** Markdown table rows for RESULTS.md. */
export function npmStartup(options: NpmStartupOptions): string[] {
  const here = TARGETS.find((target) => target.id === `${process.platform}-${process.arch}`);
  if (!here) throw new Error(`no release target for ${process.platform}-${process.arch}`);
  process.stderr.write("bench: npm packages (build:npm, pack, three offline installs)\n");
  if (buildNpmBundle() !== 0) throw new Error("npm run build:npm failed");
  const release = join(options.dir, "npm-release");
  mkdirSync(release, { recursive: true });
  copyFileSync(options.oauthx, join(release, artifactName(packageJson.version, here)));
  const [platform, main] = packNpm({
    targets: [here],
    releaseDir: release,
    outDir: join(options.dir, "npm-tarballs"),
  });
  const native = installed(options.dir, "npm-native", [], [main!, platform!]);
  const launcher = installed(options.dir, "npm-launcher", ["--ignore-scripts"], [main!, platform!]);
  const onNode = installed(options.dir, "npm-node", ["--omit=optional"], [main!]);

  const calls: [string, string[]][] = [["--version", ["--version"]]];
  if (options.token) calls.push([options.token.join(" "), options.token]);
  const commands: [string, string[]][] = calls.flatMap(([label, args]) => [
    [`binary ${label}`, [options.oauthx, ...args]],
    [`npm ${label}`, [native, ...args]],
    [`launcher ${label}`, [launcher, ...args]],
    [`node ${label}`, [onNode, ...args]],
  ]);
  const medians = medianMs(
    hyperfine(
      { tool: options.hyperfine, env: options.env, dir: options.dir, passes: 1, runs: options.runs },
      commands.map(([name, command]) => ({ name, command })),
    ),
  );
  const fmt = (value: number, digits = 1) => value.toFixed(digits);
  return calls.flatMap(([label]) => {
    const [binary, npm, viaLauncher, node] = ["binary", "npm", "launcher", "node"].map(
      (kind) => medians.get(`${kind} ${label}`)!,
    ) as [number, number, number, number];
    const ratio = npm / binary;
    return [
      `| npm install: \`oauthx ${label}\` ÷ the binary run directly | ${fmt(npm)} ms ÷ ${fmt(binary)} ms = ${fmt(ratio, 2)} | ≤ ${NPM_TARGET_RATIO} | ${ratio <= NPM_TARGET_RATIO ? "met" : "MISSED"} |`,
      `| npm install --ignore-scripts (launcher) / --omit=optional (Node): \`oauthx ${label}\` | ${fmt(viaLauncher)} / ${fmt(node)} ms | | |`,
    ];
  });
}

if (import.meta.main) {
  const dir = mkdtempSync(join(tmpdir(), "oauthx-bench-npm-"));
  try {
    const hyperfine = spawnSync("sh", ["-c", "command -v hyperfine"], { encoding: "utf8" }).stdout.trim();
    if (!hyperfine) throw new Error("hyperfine is missing: sudo apt-get install -y hyperfine");
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      OAUTHX_HOME: join(dir, "home"),
      NO_COLOR: "1",
    };
    const rows = npmStartup({ oauthx: join(ROOT, "dist/oauthx"), env, dir, hyperfine, runs: 30 });
    process.stdout.write(
      `| measurement | result | target | verdict |\n| --- | --- | --- | --- |\n${rows.join("\n")}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
