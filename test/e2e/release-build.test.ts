// The scripts the release workflow's build jobs run, run here as the workflow runs them:
// `npm run dist -- <target> --bytecode` refuses a target that is not this machine's own, and
// `node scripts/smoke.ts <binary ...>` passes the compiled binary (dist/oauthx, which `npm test`
// builds with --bytecode) and fails, naming the binary and the check, for binaries that do not run,
// report another version or platform, or print a token the server does not accept.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import packageJson from "../../package.json" with { type: "json" };
import { BIN, ROOT, run } from "../support/run-node.ts";

const PLATFORM = `${process.platform}-${process.arch}`;
const smoke = (...binaries: string[]) => run(BIN.node, ["scripts/smoke.ts", ...binaries], { cwd: ROOT });

describe("scripts/smoke.ts", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "oauthx-fake-binaries-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A stand-in binary: a shell script answering `--version` and `token` as told. */
  function fake(name: string, answers: { version: string; token: string }): string {
    const path = join(dir, name);
    writeFileSync(
      path,
      [
        "#!/bin/sh",
        'case "$1" in',
        `  --version) printf '%s\\n' ${answers.version
          .split("\n")
          .map((line) => `'${line}'`)
          .join(" ")} ;;`,
        `  token) ${answers.token} ;;`,
        "  *) exit 2 ;;",
        "esac",
        "",
      ].join("\n"),
    );
    chmodSync(path, 0o755);
    return path;
  }
  const version = (platform = PLATFORM, name = `oauthx ${packageJson.version}`) =>
    `${name}\nbun 1.0.0; ${platform}; compiled`;

  it("passes the compiled binary: --version, and `token` from a seeded refresh token", async () => {
    const result = await smoke("dist/oauthx");
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(`^smoke: oauthx: bun [\\d.]+; ${PLATFORM}; compiled; --version in \\d+ ms$`),
      ),
      expect.stringMatching(
        /^smoke: oauthx: token from the seeded refresh token in \d+ ms, accepted by userinfo$/,
      ),
      `smoke: 1 of 1 binaries work on ${PLATFORM}`,
    ]);
  });

  it("fails, naming the binary and the check, for a token the server does not accept; prints no token", async () => {
    const binary = fake("prints-a-made-up-token", {
      version: version(),
      token: "echo made-up-access-token-4f1c",
    });
    const result = await smoke(binary);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "smoke: prints-a-made-up-token: FAILED: the server's userinfo endpoint answered 401 to the token `token local` printed",
    );
    expect(result.stdout + result.stderr).not.toContain("made-up-access-token-4f1c");
  });

  it("quotes the binary's stderr when `token` fails", async () => {
    const binary = fake("token-fails", {
      version: version(),
      token: "echo 'oauthx: REFRESH_REJECTED: the seed is spent' >&2; exit 6",
    });
    const result = await smoke(binary);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "smoke: token-fails: FAILED: `token local` exited with 6\n    oauthx: REFRESH_REJECTED: the seed is spent\n",
    );
  });

  it("fails a binary built for another platform, or of another version", async () => {
    const elsewhere = PLATFORM === "linux-arm64" ? "darwin-arm64" : "linux-arm64";
    const foreign = fake("foreign", { version: version(elsewhere), token: "exit 1" });
    const old = fake("old", { version: version(PLATFORM, "oauthx 0.0.1"), token: "exit 1" });
    const result = await smoke(foreign, old);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `smoke: foreign: FAILED: \`--version\` says "bun 1.0.0; ${elsewhere}; compiled": built for ${elsewhere}, but this machine is ${PLATFORM}\n`,
    );
    expect(result.stderr).toContain(
      `smoke: old: FAILED: \`--version\` says "oauthx 0.0.1", not "oauthx ${packageJson.version}"\n`,
    );
    expect(result.stderr).toContain("smoke: 2 of 2 binaries failed");
  });

  it("checks every binary it is given, and fails if any fails", async () => {
    const result = await smoke("dist/oauthx", join(dir, "does-not-exist"));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("smoke: oauthx: token from the seeded refresh token");
    expect(result.stderr).toContain("smoke: does-not-exist: FAILED: no such file\n");
    expect(result.stderr).toContain("smoke: 1 of 2 binaries failed");
  });

  it("leaves nothing behind in the temp directory", async () => {
    const before = readdirSync(tmpdir())
      .filter((name) => name.startsWith("oauthx-smoke-"))
      .sort();
    const result = await smoke("dist/oauthx");
    expect(result.code, result.stderr).toBe(0);
    const after = readdirSync(tmpdir())
      .filter((name) => name.startsWith("oauthx-smoke-"))
      .sort();
    expect(after).toEqual(before);
  });

  it("without a binary, prints its usage and exits 2", async () => {
    const result = await smoke();
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("usage: node scripts/smoke.ts <binary> [binary ...]\n");
  });
});

describe("npm run dist -- <target> --bytecode", () => {
  it("refuses a target that is not this machine's own, before fetching or building anything", () => {
    const elsewhere = process.platform === "darwin" ? "windows-x64" : "darwin-arm64";
    const result = spawnSync("npm", ["run", "dist", "--silent", "--", elsewhere, "--bytecode"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    // Its one line is all it prints: no runtime fetched, nothing built, dist/release left alone.
    expect(result.stderr).toMatch(
      new RegExp(
        `^dist: --bytecode builds only this machine's own target \\([\\w-]+\\), not ${elsewhere}: build each on its own OS, CPU and libc\n$`,
      ),
    );
  });
});
