// The README and docs/ say what the program does (issue 25, "Docs that do not match the program"):
// their links lead somewhere, their examples are valid providers files that do not turn one
// provider into another, the kubeconfig for an OIDC cluster (and kube-credential --help's
// example) sends the ID token, the start-up figure is the one the benchmark page reports, every
// command that runs a repository script by hand names the Node that can run it, and the README's
// install line works as written on a home without ~/.local/bin.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { command as kubeCredential } from "../../src/cli/integrations/kube-credential.ts";
import { ROOT, run } from "../support/run-node.ts";

const DOCS = ["README.md", ...readdirSync(join(ROOT, "docs")).map((name) => `docs/${name}`)].filter((file) =>
  file.endsWith(".md"),
);
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");

describe("docs claims", () => {
  it("every relative link leads to a file of the repository, and its #anchor to a heading", () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^[a-z]+:/.test(target)) continue;
        const [path, anchor] = target.split("#") as [string, string | undefined];
        const linked = path === "" ? file : join(dirname(file), path);
        let text: string;
        try {
          text = read(linked);
        } catch {
          broken.push(`${file}: ${target}`);
          continue;
        }
        if (anchor && linked.endsWith(".md")) {
          const headings = [...text.matchAll(/^#+ (.+)$/gm)].map((match) => slug(match[1] as string));
          if (!headings.includes(anchor)) broken.push(`${file}: ${target} (no such heading)`);
        }
        expect(resolve(ROOT, linked).startsWith(ROOT)).toBe(true);
      }
    }
    expect(broken).toEqual([]);
  });

  it("docs/providers.md's example overrides no built-in's endpoints (another instance is its own provider)", () => {
    const text = read("docs/providers.md");
    const block = /```yaml\n([\s\S]*?)```/.exec(text)?.[1] ?? "";
    const providers = (parseDocument(block).toJS() as { providers: Record<string, Record<string, unknown>> })
      .providers;
    const catalogue = parseDocument(read("providers.yaml")).toJS() as { providers: Record<string, unknown> };
    const builtins = new Set(Object.keys(catalogue.providers));
    expect(builtins.has("github")).toBe(true);
    for (const [id, fields] of Object.entries(providers)) {
      if (!builtins.has(id)) continue;
      expect(Object.keys(fields).filter((field) => field.endsWith("endpoint") || field === "issuer")).toEqual(
        [],
      );
    }
  });

  it("the kubeconfig for an OIDC cluster hands kubectl the ID token, in the docs and kube-credential --help", () => {
    for (const file of ["README.md", "docs/integrations.md"]) {
      const args = [...read(file).matchAll(/args: \[(kube-credential, oidc[^\]]*)\]/g)].map(
        (match) => match[1],
      );
      expect(args.length, file).toBeGreaterThan(0);
      for (const list of args) expect(list, file).toContain("--token, id");
    }
    const example = kubeCredential.examples?.find((line) => line.includes("--exec-arg=oidc"));
    expect(example).toContain("--exec-arg=oidc --exec-arg=--token --exec-arg=id");
  });

  it("the README's start-up figure is the benchmark page's", () => {
    const readme = /A warm `oauthx token`\s+took (\d+) ms/.exec(read("README.md"))?.[1];
    const measured = /\| warm `oauthx token github` ÷ floor \| ([\d.]+) ms/.exec(
      read("docs/performance.md"),
    )?.[1];
    expect(readme).toBeDefined();
    expect(Number(readme)).toBe(Math.round(Number(measured)));
  });

  it("a repository script run by hand is run with the project's Node (npx node), which can run it", () => {
    for (const file of DOCS) {
      expect(read(file), file).not.toMatch(/(?<!npx )`node (scripts|src|codegen|bench)\//);
      expect(read(file), file).not.toMatch(/oauthx \d+\.\d+(?!\.\d)/);
    }
  });

  it("the README's install line works as written where ~/.local/bin does not exist yet", async () => {
    const line = /^(install [^#\n]*?)\s*(#.*)?$/m.exec(read("README.md"));
    expect(line?.[1]).toContain("~/.local/bin/oauthx");
    expect(line?.[2]).toContain('PATH="$HOME/.local/bin:$PATH"');
    const dir = mkdtempSync(join(tmpdir(), "oauthx-install-"));
    try {
      const home = join(dir, "home");
      mkdirSync(home);
      mkdirSync(join(dir, "dist"));
      writeFileSync(join(dir, "dist/oauthx"), "#!/bin/sh\n");
      const ran = await run("sh", ["-c", line?.[1] as string], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: home },
      });
      expect(ran.stderr).toBe("");
      expect(ran.code).toBe(0);
      expect(statSync(join(home, ".local/bin/oauthx")).mode & 0o777).toBe(0o755);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
