// The npm packages (scripts/npm-packages.ts), installed as a user installs them: by the machine's
// own npm (on Node 20 here), from their tarballs, into an empty project, offline.
//
// - With this machine's platform package: `oauthx` on the project's PATH is the native binary
//   itself (the postinstall step put it in place of the launcher), so it starts as fast as the
//   release binary; `npx oauthx` and the library work.
// - With --ignore-scripts: the launcher starts the native binary.
// - With --omit=optional: the CLI runs on Node and `--version` says why; the library works.
//
// The binary packed is dist/oauthx, which `npm test` builds with the release's flags.

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import packageJson from "../../package.json" with { type: "json" };
import { artifactName, TARGETS } from "../../scripts/dist.ts";
import { npmPackageName } from "../../scripts/npm-packages.ts";
import { MACHINE_NODE, machineEnv, npmWarnings } from "../support/machine-npm.ts";
import { requireFile } from "../support/require-tool.ts";
import { BIN, type Ran, ROOT, run } from "../support/run-node.ts";

const VERSION = packageJson.version;
const HERE = TARGETS.find((target) => target.id === `${process.platform}-${process.arch}`)!;

let work = "";
let mainTarball = "";
let platformTarball = "";

beforeAll(() => {
  requireFile(BIN.oauthx);
  work = mkdtempSync(join(tmpdir(), "oauthx-npm-packages-"));
  const build = spawnSync("npm", ["run", "build:npm", "--silent"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`npm run build:npm failed:\n${build.stdout}${build.stderr}`);
  const release = join(work, "release");
  spawnSync("mkdir", [release]);
  copyFileSync(BIN.oauthx, join(release, artifactName(VERSION, HERE)));
  const pack = spawnSync(
    BIN.node,
    ["scripts/npm-packages.ts", HERE.id, "--release", release, "--out", join(work, "npm")],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (pack.status !== 0) throw new Error(`scripts/npm-packages.ts failed:\n${pack.stderr}`);
  [platformTarball, mainTarball] = pack.stdout.trim().split("\n") as [string, string];
}, 180_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** A file of a tarball, as text. */
function fromTarball(tarball: string, file: string): string {
  const result = spawnSync("tar", ["-xzOf", tarball, `package/${file}`], { encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

function isElf(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const magic = Buffer.alloc(4);
    readSync(fd, magic, 0, 4, 0);
    return magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

/** An empty project, and npm's answer to installing `specs` into it. */
async function install(name: string, args: string[]): Promise<{ project: string; install: Ran }> {
  const project = join(work, name);
  spawnSync("mkdir", [project]);
  // npm 11.19 asks a project to approve each dependency's install scripts (`npm install-scripts
  // approve oauthx` writes this entry; for a tarball its key is the file spec): as a user who did.
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({
      name: "oauthx-consumer",
      private: true,
      allowScripts: { [`file:${mainTarball}`]: true },
    }),
  );
  const ran = await run("npm", ["install", "--offline", "--no-audit", "--no-fund", ...args], {
    cwd: project,
    env: machineEnv(),
    timeoutMs: 150_000,
  });
  return { project, install: ran };
}

const homeEnv = (project: string) =>
  machineEnv({ HOME: project, OAUTHX_HOME: join(project, "home"), NO_COLOR: "1" });

/** The library, imported by name from the project, on the machine's Node. */
async function libraryWorks(project: string): Promise<void> {
  const script = [
    'import { TokenManager, OauthxError } from "oauthx";',
    `const manager = new TokenManager({ provider: "github", home: ${JSON.stringify(join(project, "home"))}, env: {} });`,
    "const error = await manager.getToken().catch((caught) => caught);",
    "console.log(error instanceof OauthxError, error.code);",
  ].join("\n");
  writeFileSync(join(project, "library.mjs"), script);
  const result = await run(MACHINE_NODE.path, ["library.mjs"], { cwd: project, env: homeEnv(project) });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout.trim()).toBe("true AUTH_REQUIRED");
}

/** The fastest of `rounds` starts, each command in turn, so that both meet the same noise. */
function fastestStarts(commands: string[][], env: NodeJS.ProcessEnv, rounds: number): number[] {
  const fastest = commands.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < rounds; round++) {
    commands.forEach(([command, ...args], index) => {
      const started = performance.now();
      const result = spawnSync(command!, args, { env, stdio: "ignore" });
      const ms = performance.now() - started;
      expect(result.status).toBe(0);
      fastest[index] = Math.min(fastest[index]!, ms);
    });
  }
  return fastest;
}

it("packs oauthx with every platform package as an optional dependency, and the platform package with os, cpu and libc", () => {
  const main = JSON.parse(fromTarball(mainTarball, "package.json"));
  expect(main).toMatchObject({
    name: "oauthx",
    version: VERSION,
    type: "module",
    bin: { oauthx: "bin/oauthx.js" },
    scripts: { postinstall: "node install.js" },
    engines: packageJson.engines,
  });
  expect(main.dependencies).toBeUndefined();
  expect(main.oauthxBinaries).toEqual({ [npmPackageName(HERE)]: sha256(BIN.oauthx) });
  expect(main.optionalDependencies).toEqual(
    Object.fromEntries(TARGETS.map((target) => [npmPackageName(target), VERSION])),
  );
  expect(Object.keys(main.optionalDependencies).sort()).toEqual([
    "@oauthx/darwin-arm64",
    "@oauthx/darwin-x64",
    "@oauthx/linux-arm64",
    "@oauthx/linux-x64",
    "@oauthx/linux-x64-musl",
    "@oauthx/win32-x64",
  ]);
  const platform = JSON.parse(fromTarball(platformTarball, "package.json"));
  expect(platform).toMatchObject({
    name: npmPackageName(HERE),
    version: VERSION,
    os: [process.platform],
    cpu: [process.arch],
  });
  if (process.platform === "linux") expect(platform.libc).toEqual(["glibc"]);
  expect(platform.bin, "the platform package links no command of its own").toBeUndefined();
  const listing = spawnSync("tar", ["-tvzf", platformTarball], { encoding: "utf8" }).stdout;
  expect(listing).toMatch(/^-rwxr-xr-x .* package\/bin\/oauthx$/m);
});

describe("installed with this machine's platform package", () => {
  let project = "";
  let installed: Ran;
  beforeAll(async () => {
    ({ project, install: installed } = await install("with-binary", [mainTarball, platformTarball]));
  }, 180_000);

  it(`npm on Node ${MACHINE_NODE.version} adds the two packages and prints no warning`, () => {
    expect(installed.code, installed.stderr).toBe(0);
    expect.soft(npmWarnings(installed.stderr), installed.stderr).toEqual([]);
    expect.soft(installed.stdout).toMatch(/\badded 2 packages\b/);
  });

  it("`oauthx` on the project's PATH is the native binary itself: no Node starts", async () => {
    const bin = realpathSync(join(project, "node_modules/.bin/oauthx"));
    expect(isElf(bin), `${bin} is still the launcher`).toBe(true);
    for (const command of [[bin], ["npx", "--yes=false", "oauthx"]]) {
      const [file, ...args] = command as [string, ...string[]];
      const version = await run(file, [...args, "--version"], { cwd: project, env: homeEnv(project) });
      expect(version.code, version.stderr).toBe(0);
      expect(version.stdout).toMatch(
        new RegExp(
          `^oauthx ${VERSION.replaceAll(".", "\\.")}\nbun [\\d.]+; ${process.platform}-${process.arch}; compiled\n$`,
        ),
      );
    }
  });

  it("starts within 1.5x of the release binary run directly (fastest of 10 each, interleaved)", () => {
    const bin = join(project, "node_modules/.bin/oauthx");
    const [installedMs, directMs] = fastestStarts(
      [
        [bin, "--version"],
        [BIN.oauthx, "--version"],
      ],
      homeEnv(project),
      10,
    );
    expect(
      installedMs!,
      `installed ${installedMs!.toFixed(1)} ms, direct ${directMs!.toFixed(1)} ms`,
    ).toBeLessThan(1.5 * directMs!);
  });

  it("the library imports and gives typed errors", async () => {
    await libraryWorks(project);
  });
});

describe("installed with --ignore-scripts", () => {
  let project = "";
  let installed: Ran;
  beforeAll(async () => {
    ({ project, install: installed } = await install("ignore-scripts", [
      "--ignore-scripts",
      mainTarball,
      platformTarball,
    ]));
  }, 180_000);

  it("the launcher runs the native binary and passes its exit status on", async () => {
    expect(installed.code, installed.stderr).toBe(0);
    const bin = join(project, "node_modules/.bin/oauthx");
    expect(isElf(realpathSync(bin))).toBe(false);
    const version = await run(bin, ["--version"], { cwd: project, env: homeEnv(project) });
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toContain(`${process.platform}-${process.arch}; compiled\n`);
    const misspelt = await run(bin, ["tokn"], { cwd: project, env: homeEnv(project) });
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr).toContain("token");
  });

  it("the launcher passes SIGTERM on to the binary, and dies of it as the binary did: no process is left", async () => {
    const bin = join(project, "node_modules/.bin/oauthx");
    // `git-credential get` waits for git's request on stdin, which stays open here.
    const launcher = spawn(bin, ["git-credential", "get"], {
      cwd: project,
      env: homeEnv(project),
      stdio: ["pipe", "ignore", "ignore"],
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      launcher.on("exit", (code, signal) => resolve(signal ?? code)),
    );
    const children = () =>
      spawnSync("ps", ["-o", "pid=", "--ppid", String(launcher.pid)], { encoding: "utf8" })
        .stdout.trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    let binary: number | undefined;
    try {
      for (let waited = 0; binary === undefined && waited < 10_000; waited += 50) {
        binary = children()[0];
        if (binary === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(binary, "the launcher started no binary").toBeDefined();
      launcher.kill("SIGTERM");
      expect(await exited).toBe("SIGTERM");
      expect(existsSync(`/proc/${binary}`), "the binary outlived its launcher").toBe(false);
    } finally {
      launcher.kill("SIGKILL");
      launcher.stdin.destroy();
      if (binary !== undefined && existsSync(`/proc/${binary}`)) process.kill(binary, "SIGKILL");
    }
  });
});

describe("installed with a platform package whose binary is not the released one", () => {
  // A platform package from another registry, a mirror or a tampered cache: its binary says it is
  // oauthx, and records that it ran. The postinstall step must neither run it nor put it on PATH.
  let project = "";
  let installed: Ran;
  let marker = "";
  beforeAll(async () => {
    const unpacked = join(work, "tampered-platform");
    spawnSync("mkdir", ["-p", unpacked]);
    expect(spawnSync("tar", ["-xzf", platformTarball, "-C", unpacked]).status).toBe(0);
    marker = join(work, "tampered-binary-ran");
    writeFileSync(
      join(unpacked, "package/bin/oauthx"),
      `#!/bin/sh\ntouch '${marker}'\necho 'oauthx ${VERSION}'\n`,
      { mode: 0o755 },
    );
    const tampered = join(work, "tampered-platform.tgz");
    expect(spawnSync("tar", ["-czf", tampered, "-C", unpacked, "package"]).status).toBe(0);
    ({ project, install: installed } = await install("tampered-platform", [mainTarball, tampered]));
  }, 180_000);

  it("the postinstall step runs nothing and links nothing: the launcher stays", () => {
    expect(installed.code, installed.stderr).toBe(0);
    expect(existsSync(marker), "the unverified binary was run").toBe(false);
    const bin = realpathSync(join(project, "node_modules/.bin/oauthx"));
    expect(isElf(bin)).toBe(false);
    expect(readFileSync(bin, "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
  });
});

describe("installed with --omit=optional", () => {
  let project = "";
  let installed: Ran;
  beforeAll(async () => {
    ({ project, install: installed } = await install("omit-optional", ["--omit=optional", mainTarball]));
  }, 180_000);

  it("npm adds oauthx alone and prints no warning", () => {
    expect(installed.code, installed.stderr).toBe(0);
    expect.soft(npmWarnings(installed.stderr), installed.stderr).toEqual([]);
    expect.soft(installed.stdout).toMatch(/\badded 1 package\b/);
  });

  it("the CLI runs on Node, and `--version` says so once, naming the missing package", async () => {
    const bin = join(project, "node_modules/.bin/oauthx");
    const version = await run(bin, ["--version"], { cwd: project, env: homeEnv(project) });
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toBe(
      [
        `oauthx ${VERSION}`,
        `node ${MACHINE_NODE.version.slice(1)}; ${process.platform}-${process.arch}; source`,
        `running on Node, slower: the native binary's package ${npmPackageName(HERE)} is not installed (optional dependencies were omitted); reinstall oauthx without --omit=optional`,
        "",
      ].join("\n"),
    );
    const providers = await run(bin, ["providers", "--json"], { cwd: project, env: homeEnv(project) });
    expect(providers.code, providers.stderr).toBe(0);
    expect(JSON.parse(providers.stdout).length).toBeGreaterThanOrEqual(4);
  });

  it("the library imports and gives typed errors", async () => {
    await libraryWorks(project);
  });
});
