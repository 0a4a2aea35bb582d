// `npm run dist`: every release binary is an executable of the right format and CPU (read from the
// headers here, not from `file`), the linux-x64 one runs, and SHA256SUMS verifies.
//
// beforeAll runs `npm run dist` once: the @oven/bun-* runtimes come from the npm registry the
// first time (from node_modules/.cache/oauthx-dist after that), then six compiles of ~1 s each.
//
// The npm package (`npm run build:npm`): its bundles run on Node, its declarations type-check in a
// consumer, and its tarball installs alone, with no warning, on the oldest Node `engines` allows.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import packageJson from "../../package.json" with { type: "json" };
import { TARGETS } from "../../scripts/dist.ts";
import { type AuthServer, startAuthServer } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { MACHINE_NODE, machineEnv, npmWarnings } from "../support/machine-npm.ts";
import { requireFile } from "../support/require-tool.ts";
import { type Ran, ROOT, run } from "../support/run-node.ts";

const RELEASE = join(ROOT, "dist/release");
const VERSION = packageJson.version;
const name = (target: string) => `oauthx-${VERSION}-${target}${target.startsWith("windows") ? ".exe" : ""}`;

/** The first bytes of a file: enough for ELF program headers, Mach-O load commands, PE headers. */
function head(path: string, length = 256 * 1024): Buffer {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

interface Elf {
  machine: "x86-64" | "aarch64" | number;
  interpreter: string | undefined;
}

function readElf(bytes: Buffer): Elf {
  expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46])); // \x7fELF
  expect(bytes[4], "EI_CLASS: 64-bit").toBe(2);
  expect(bytes[5], "EI_DATA: little-endian").toBe(1);
  expect(bytes.readUInt16LE(0x10), "e_type: executable or PIE").toBeOneOf([2, 3]);
  const code = bytes.readUInt16LE(0x12);
  const machine = code === 0x3e ? "x86-64" : code === 0xb7 ? "aarch64" : code;
  // Program headers: PT_INTERP (3) names the dynamic loader, which tells glibc from musl.
  const phoff = Number(bytes.readBigUInt64LE(0x20));
  const phentsize = bytes.readUInt16LE(0x36);
  const phnum = bytes.readUInt16LE(0x38);
  let interpreter: string | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (bytes.readUInt32LE(at) !== 3) continue;
    const offset = Number(bytes.readBigUInt64LE(at + 8));
    const size = Number(bytes.readBigUInt64LE(at + 32));
    interpreter = bytes.toString("latin1", offset, offset + size).replace(/\0+$/, "");
  }
  return { machine, interpreter };
}

interface MachO {
  cpu: "x86_64" | "arm64" | number;
  fileType: number;
  commands: number[];
}

function readMachO(bytes: Buffer): MachO {
  expect(bytes.readUInt32LE(0), "MH_MAGIC_64").toBe(0xfeedfacf);
  const code = bytes.readUInt32LE(4);
  const cpu = code === 0x01000007 ? "x86_64" : code === 0x0100000c ? "arm64" : code;
  const fileType = bytes.readUInt32LE(12);
  const ncmds = bytes.readUInt32LE(16);
  const commands: number[] = [];
  let at = 32; // sizeof(mach_header_64)
  for (let i = 0; i < ncmds; i++) {
    commands.push(bytes.readUInt32LE(at));
    at += bytes.readUInt32LE(at + 4);
  }
  return { cpu, fileType, commands };
}

interface Pe {
  machine: "AMD64" | number;
  optionalMagic: number;
  subsystem: number;
}

function readPe(bytes: Buffer): Pe {
  expect(bytes.toString("latin1", 0, 2)).toBe("MZ");
  const pe = bytes.readUInt32LE(0x3c); // e_lfanew
  expect(bytes.toString("latin1", pe, pe + 4)).toBe("PE\0\0");
  const code = bytes.readUInt16LE(pe + 4);
  const optional = pe + 24; // after the signature and the 20-byte COFF header
  return {
    machine: code === 0x8664 ? "AMD64" : code,
    optionalMagic: bytes.readUInt16LE(optional),
    subsystem: bytes.readUInt16LE(optional + 68),
  };
}

describe("npm run dist", () => {
  let home: string;
  let log = "";

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), "oauthx-dist-"));
    const result = spawnSync("npm", ["run", "dist", "--silent"], { cwd: ROOT, encoding: "utf8" });
    log = `${result.stdout}${result.stderr}`;
    if (result.status !== 0) throw new Error(`npm run dist failed:\n${log}`);
  }, 600_000);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("writes exactly the release binaries and SHA256SUMS", () => {
    const expected = [
      "linux-x64",
      "linux-arm64",
      "linux-x64-musl",
      "darwin-x64",
      "darwin-arm64",
      "windows-x64",
    ].map(name);
    expect(readdirSync(RELEASE).sort()).toEqual([...expected, "SHA256SUMS"].sort());
  });

  it("writes the npm packages: oauthx and one per target, each holding that target's release binary", () => {
    const tarballs = readdirSync(join(ROOT, "dist/npm")).filter((file) => file.endsWith(".tgz"));
    const platforms = [
      "linux-x64",
      "linux-arm64",
      "linux-x64-musl",
      "darwin-x64",
      "darwin-arm64",
      "win32-x64",
    ];
    expect(tarballs.sort()).toEqual(
      [`oauthx-${VERSION}.tgz`, ...platforms.map((platform) => `oauthx-${platform}-${VERSION}.tgz`)].sort(),
    );
    const packed = spawnSync(
      "tar",
      ["-xzOf", join(ROOT, `dist/npm/oauthx-linux-x64-${VERSION}.tgz`), "package/bin/oauthx"],
      {
        maxBuffer: 512 * 2 ** 20,
      },
    );
    expect(packed.status).toBe(0);
    const digest = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
    expect(digest(packed.stdout)).toBe(digest(readFileSync(join(RELEASE, name("linux-x64")))));
  });

  it("linux: 64-bit little-endian ELF for x86-64 and aarch64, glibc or musl loader", () => {
    const x64 = readElf(head(join(RELEASE, name("linux-x64"))));
    expect(x64).toEqual({ machine: "x86-64", interpreter: "/lib64/ld-linux-x86-64.so.2" });
    const arm64 = readElf(head(join(RELEASE, name("linux-arm64"))));
    expect(arm64).toEqual({ machine: "aarch64", interpreter: "/lib/ld-linux-aarch64.so.1" });
    const musl = readElf(head(join(RELEASE, name("linux-x64-musl"))));
    expect(musl).toEqual({ machine: "x86-64", interpreter: "/lib/ld-musl-x86_64.so.1" });
  });

  it("macOS: 64-bit Mach-O executables for x86_64 and arm64, code-signed", () => {
    for (const [target, cpu] of [
      ["darwin-x64", "x86_64"],
      ["darwin-arm64", "arm64"],
    ] as const) {
      const macho = readMachO(head(join(RELEASE, name(target))));
      expect(macho.cpu, target).toBe(cpu);
      expect(macho.fileType, `${target}: MH_EXECUTE`).toBe(2);
      // LC_CODE_SIGNATURE: Apple silicon refuses to run an unsigned binary (ad-hoc is enough).
      expect(macho.commands, `${target}: LC_CODE_SIGNATURE`).toContain(0x1d);
    }
  });

  it("windows: PE32+ console executable for AMD64", () => {
    expect(readPe(head(join(RELEASE, name("windows-x64"))))).toEqual({
      machine: "AMD64",
      optionalMagic: 0x20b, // PE32+
      subsystem: 3, // IMAGE_SUBSYSTEM_WINDOWS_CUI
    });
  });

  /** The release target this machine runs natively (the suite runs on Linux; others are named too). */
  const here = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
  it(`the binary for this machine (${here}) runs: --version and providers --json`, async () => {
    expect(
      TARGETS.map((target) => target.id),
      `no release target for ${here}`,
    ).toContain(here);
    const binary = join(RELEASE, name(here));
    const env = { PATH: process.env.PATH, HOME: home, OAUTHX_HOME: home, NO_COLOR: "1" };
    const version = await run(binary, ["--version"], { env });
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(
      new RegExp(
        `^oauthx ${VERSION.replaceAll(".", "\\.")}\nbun [\\d.]+; ${process.platform}-${process.arch}; compiled\n$`,
      ),
    );
    const providers = await run(binary, ["providers", "--json"], { env });
    expect(providers.code, providers.stderr).toBe(0);
    expect(JSON.parse(providers.stdout).length).toBeGreaterThanOrEqual(4);
  });

  it("the linux-arm64 binary (cross-compiled bytecode) runs under qemu-aarch64", async () => {
    requireFile("/usr/bin/qemu-aarch64");
    requireFile("/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1");
    const binary = join(RELEASE, name("linux-arm64"));
    const result = await run("/usr/bin/qemu-aarch64", ["-L", "/usr/aarch64-linux-gnu", binary, "--version"], {
      env: { PATH: process.env.PATH, HOME: home, OAUTHX_HOME: home },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("linux-arm64; compiled");
  });

  it("SHA256SUMS lists every binary, and `sha256sum -c` accepts it", async () => {
    const lines = readFileSync(join(RELEASE, "SHA256SUMS"), "utf8").trimEnd().split("\n");
    const files = readdirSync(RELEASE).filter((file) => file !== "SHA256SUMS");
    // `<64 hex digits><two spaces><name>`: the text-mode line sha256sum writes and reads.
    for (const line of lines) expect(line).toMatch(/^[0-9a-f]{64} {2}oauthx-[\w.-]+$/);
    expect(lines.map((line) => line.slice(66)).sort()).toEqual(files.sort());
    if (spawnSync("sha256sum", ["--version"]).status === 0) {
      const check = await run("sha256sum", ["-c", "SHA256SUMS"], { cwd: RELEASE });
      expect(check.code, check.stderr).toBe(0);
      expect(check.stdout.trim().split("\n")).toEqual(files.sort().map((file) => `${file}: OK`));
    } else {
      // macOS without coreutils: compute the digests here.
      for (const line of lines) {
        const digest = createHash("sha256")
          .update(readFileSync(join(RELEASE, line.slice(66))))
          .digest("hex");
        expect(digest, line.slice(66)).toBe(line.slice(0, 64));
      }
    }
  });
});

/** Every package under a node_modules directory, nested ones included (`a/node_modules/b`). */
function packagesUnder(directory: string, prefix = ""): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((entry) => !entry.startsWith(".")) // .bin, .package-lock.json
    .flatMap((entry) =>
      entry.startsWith("@") ? readdirSync(join(directory, entry)).map((name) => `${entry}/${name}`) : [entry],
    )
    .flatMap((name) => [
      `${prefix}${name}`,
      ...packagesUnder(join(directory, name, "node_modules"), `${prefix}${name}/node_modules/`),
    ]);
}

/** The module specifiers a bundle or declaration file imports (static, dynamic, require, `import("…")` types). */
function importedSpecifiers(text: string): string[] {
  const specifier =
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\b(?:__)?require\(\s*["']([^"']+)["']\s*\)/gm;
  return [...new Set([...text.matchAll(specifier)].map((match) => match[1] ?? match[2] ?? match[3] ?? ""))];
}

describe("npm run build:npm: the npm package's bin, bundled for Node", () => {
  const bundle = join(ROOT, "dist/npm/oauthx.js");
  // The project's Node (24) and the machine's own, when it has another (Node 20 on these machines).
  const nodes = [join(ROOT, "node_modules/.bin/node"), "/usr/bin/node", "/usr/local/bin/node"].filter(
    existsSync,
  );

  // The package as the registry would hold it: `npm pack` of the fresh build.
  let packDirectory = "";
  let tarball = "";

  beforeAll(() => {
    packDirectory = mkdtempSync(join(tmpdir(), "oauthx-pack-"));
    const result = spawnSync("npm", ["run", "build:npm", "--silent"], { cwd: ROOT, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`npm run build:npm failed:\n${result.stdout}${result.stderr}`);
    const pack = spawnSync(
      "npm",
      ["pack", "--ignore-scripts", "--silent", "--pack-destination", packDirectory],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
    tarball = join(packDirectory, pack.stdout.trim());
  }, 120_000);
  afterAll(() => {
    if (packDirectory) rmSync(packDirectory, { recursive: true, force: true });
  });

  it("starts with a node shebang and is executable", () => {
    expect(readFileSync(bundle, "utf8").split("\n", 1)[0]).toBe("#!/usr/bin/env node");
    if (process.platform !== "win32") expect(statSync(bundle).mode & 0o111).not.toBe(0);
  });

  it.each(nodes)("runs on %s: --version and providers --json", async (node) => {
    const home = mkdtempSync(join(tmpdir(), "oauthx-npm-"));
    try {
      const env = { PATH: process.env.PATH, HOME: home, OAUTHX_HOME: home, NO_COLOR: "1" };
      const version = await run(node, [bundle, "--version"], { env });
      expect(version.code, version.stderr).toBe(0);
      expect(version.stdout).toMatch(new RegExp(`^oauthx ${VERSION.replaceAll(".", "\\.")}\nnode \\d+\\.`));
      const providers = await run(node, [bundle, "providers", "--json"], { env });
      expect(providers.code, providers.stderr).toBe(0);
      expect(JSON.parse(providers.stdout).length).toBeGreaterThanOrEqual(4);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("ships declarations: a TypeScript consumer of the packed package type-checks, a misuse does not", () => {
    // The packed package, unpacked into a project's node_modules, with nothing beside it.
    const project = mkdtempSync(join(tmpdir(), "oauthx-types-"));
    try {
      const installed = join(project, "node_modules/oauthx");
      mkdirSync(installed, { recursive: true });
      const untar = spawnSync("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
      expect(untar.status).toBe(0);
      writeFileSync(
        join(project, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            module: "nodenext",
            strict: true,
            noEmit: true,
            lib: ["ES2023", "DOM"],
            types: [],
          },
          files: ["consumer.ts"],
        }),
      );
      const tsc = (source: string) => {
        writeFileSync(join(project, "consumer.ts"), source);
        return spawnSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", project], { encoding: "utf8" });
      };
      const good = tsc(
        [
          'import { type ErrorCode, OauthxError, TokenManager } from "oauthx";',
          'const github = new TokenManager({ provider: "github", minTtlSeconds: 120 });',
          "export const token: Promise<string> = github.getToken({ force: true });",
          'export const response: Promise<Response> = github.fetch("/user");',
          'export const code: ErrorCode = new OauthxError("AUTH_REQUIRED", "no login").code;',
        ].join("\n"),
      );
      expect(good.status, good.stdout).toBe(0);
      const misuse = tsc(
        [
          'import { TokenManager } from "oauthx";',
          'export const n: number = await new TokenManager({ provider: "github" }).getToken();',
        ].join("\n"),
      );
      expect(misuse.status).not.toBe(0);
      expect(misuse.stdout).toContain("Type 'string' is not assignable to type 'number'");
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it.each(nodes)("the library bundle loads on %s and gives typed errors", async (node) => {
    const home = mkdtempSync(join(tmpdir(), "oauthx-sdk-"));
    try {
      const script = [
        `import { TokenManager, OauthxError } from ${JSON.stringify(join(ROOT, "dist/npm/sdk.js"))};`,
        `const manager = new TokenManager({ provider: "github", home: ${JSON.stringify(home)}, env: {} });`,
        "const error = await manager.getToken().catch((caught) => caught);",
        "console.log(error instanceof OauthxError, error.code);",
      ].join("\n");
      const result = await run(node, ["--input-type=module", "-e", script], {
        env: { PATH: process.env.PATH },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe("true AUTH_REQUIRED");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  describe(`installed from its tarball into an empty project by npm on Node ${MACHINE_NODE.version}`, () => {
    let project = "";
    let install: Ran;

    beforeAll(async () => {
      project = mkdtempSync(join(tmpdir(), "oauthx-install-"));
      // Only a package.json: it makes this directory npm's project root (npm looks upwards otherwise).
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: "oauthx-consumer", private: true }),
      );
      install = await run("npm", ["install", tarball, "--no-audit", "--no-fund"], {
        cwd: project,
        env: machineEnv(),
        timeoutMs: 120_000,
      });
    }, 150_000);
    afterAll(() => {
      if (project) rmSync(project, { recursive: true, force: true });
    });

    it("npm adds exactly one package, oauthx, and prints no warning", () => {
      expect(install.code, install.stderr).toBe(0);
      // Soft: a failure shows both what npm said and what it installed.
      expect.soft(npmWarnings(install.stderr), install.stderr).toEqual([]);
      expect.soft(install.stdout).toMatch(/\badded 1 package\b/);
      expect.soft(packagesUnder(join(project, "node_modules"))).toEqual(["oauthx"]);
    });

    it("its files import only Node's built-in modules and each other", () => {
      const installed = join(project, "node_modules/oauthx");
      const files = readdirSync(installed, { recursive: true, encoding: "utf8" }).filter((file) =>
        /\.(js|d\.ts)$/.test(file),
      );
      expect(files).toEqual(
        expect.arrayContaining(["dist/npm/oauthx.js", "dist/npm/sdk.js", "dist/npm/sdk.d.ts"]),
      );
      for (const file of files) {
        const text = readFileSync(join(installed, file), "utf8");
        const outside = importedSpecifiers(text).filter((specifier) =>
          file.endsWith(".d.ts")
            ? !(
                specifier.startsWith("./") &&
                existsSync(join(installed, dirname(file), specifier.replace(/\.js$/, ".d.ts")))
              )
            : !isBuiltin(specifier),
        );
        expect(outside, file).toEqual([]);
        // `/// <reference types="node" />` would need @types/node in the consumer's project.
        expect(text, file).not.toMatch(/^\/\/\/\s*<reference\s+types=/m);
      }
    });

    it("npx oauthx --version runs the installed bin on that Node", async () => {
      // --yes=false: the installed bin or nothing, never a package of that name from the registry.
      const version = await run("npx", ["--yes=false", "oauthx", "--version"], {
        cwd: project,
        env: machineEnv(),
      });
      expect(version.code, version.stderr).toBe(0);
      // `oauthx 0.1.0` then `node 20.20.2; linux-x64; source`: the Node that ran it.
      const [name, runtime] = version.stdout.split("\n");
      expect(name).toBe(`oauthx ${VERSION}`);
      expect(runtime?.split("; ")[0]).toBe(`node ${MACHINE_NODE.version.slice(1)}`);
    });

    it('a program importing { TokenManager, OauthxError } from "oauthx" gets and refreshes a token on that Node', async () => {
      let server: AuthServer | undefined;
      let cli: CliHarness | undefined;
      try {
        server = await startAuthServer({ accessTokenTtl: 600 });
        // OAUTHX_HOME with a providers.yaml naming the test server `local`, and a bot for $BROWSER.
        cli = cliHarness(server);
        const env = machineEnv(cli.env);
        const oauthx = (args: string[]) =>
          run("npx", ["--yes=false", "oauthx", ...args], { cwd: project, env });
        const login = await oauthx(["login", "local", "--timeout", "30s"]);
        expect(login.code, login.stderr).toBe(0);
        const printed = await oauthx(["token", "local"]);
        expect(printed.code, printed.stderr).toBe(0);

        writeFileSync(
          join(project, "consumer.mjs"),
          [
            'import { OauthxError, TokenManager } from "oauthx";',
            "const home = process.argv[2];",
            'const local = new TokenManager({ provider: "local", home, env: {} });',
            "const stored = await local.getToken();",
            "const refreshed = await local.getToken({ force: true });",
            'const me = await local.fetch("/me");',
            'const missing = await new TokenManager({ provider: "local", profile: "nobody", home, env: {} })',
            "  .getToken()",
            "  .catch((error) => error);",
            "console.log(JSON.stringify({",
            "  node: process.version,",
            "  stored,",
            "  refreshed,",
            "  me: { status: me.status, sub: (await me.json()).sub },",
            "  missing: missing instanceof OauthxError ? missing.code : String(missing),",
            "}));",
          ].join("\n"),
        );
        const before = server.counters.refreshRequests;
        const consumer = await run(MACHINE_NODE.path, ["consumer.mjs", cli.home], {
          cwd: project,
          env: { PATH: process.env.PATH, HOME: project },
        });
        expect(consumer.code, consumer.stderr).toBe(0);
        const result = JSON.parse(consumer.stdout);
        expect(result.node).toBe(MACHINE_NODE.version);
        expect(result.stored).toBe(printed.stdout.trim());
        expect(result.refreshed).not.toBe(result.stored);
        expect(server.counters.refreshRequests).toBe(before + 1);
        expect(result.me).toEqual({ status: 200, sub: "alice" });
        expect(result.missing).toBe("AUTH_REQUIRED");
        // The library kept the refreshed (rotated) tokens in the store the CLI reads.
        const after = await oauthx(["token", "local"]);
        expect(after.code, after.stderr).toBe(0);
        expect(after.stdout.trim()).toBe(result.refreshed);
      } finally {
        cli?.cleanup();
        await server?.close();
      }
    }, 60_000);
  });
});
