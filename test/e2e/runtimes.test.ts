// The same source runs unmodified on Bun, Deno and as the compiled binary, and prints the same.
// Needs `npm run build` first (.ci/run builds before testing).

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ROOT, run } from "../support/run-node.ts";

const MAIN = join(ROOT, "src/main.ts");
const runtimes = {
  binary: (args: string[]) => [BIN.oauthx, args] as const,
  bun: (args: string[]) => [BIN.bun, [MAIN, ...args]] as const,
  deno: (args: string[]) => [BIN.deno, ["run", "-A", MAIN, ...args]] as const,
  node: (args: string[]) => [BIN.node, [MAIN, ...args]] as const,
};

describe("one source, three runtimes and the binary", () => {
  let home: string;
  beforeAll(() => {
    if (!existsSync(BIN.oauthx)) throw new Error("dist/oauthx is missing: run `npm run build` first");
    home = mkdtempSync(join(tmpdir(), "oauthx-runtimes-"));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const env = () => ({ PATH: process.env.PATH, HOME: home, OAUTHX_HOME: home, NO_COLOR: "1" });

  async function onEach(args: string[]) {
    const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
    for (const [name, make] of Object.entries(runtimes)) {
      const [command, argv] = make(args);
      results[name] = await run(command, [...argv], { env: env() });
    }
    return results;
  }

  it("--version: the same version line, each naming its own runtime", async () => {
    const results = await onEach(["--version"]);
    for (const [name, result] of Object.entries(results)) {
      expect(result.code, `${name}: ${result.stderr}`).toBe(0);
      const [version, runtime] = result.stdout.split("\n");
      expect(version).toBe(results.binary!.stdout.split("\n")[0]);
      expect(runtime).toMatch(
        name === "binary" ? /^bun [\d.]+; \w+-\w+; compiled$/ : new RegExp(`^${name} [\\d.]+; `),
      );
    }
  });

  it("providers --json: byte-identical output everywhere", async () => {
    const results = await onEach(["providers", "--json"]);
    const reference = results.binary!.stdout;
    expect(JSON.parse(reference).length).toBeGreaterThanOrEqual(4);
    for (const [name, result] of Object.entries(results)) {
      expect(result.code, `${name}: ${result.stderr}`).toBe(0);
      expect(result.stdout, name).toBe(reference);
    }
  });

  it("an unknown command exits 2 with usage on stderr everywhere", async () => {
    const results = await onEach(["providrs"]);
    for (const [name, result] of Object.entries(results)) {
      expect(result.code, name).toBe(2);
      expect(result.stdout, name).toBe("");
      expect(result.stderr, name).toContain('did you mean "providers"?');
    }
  });
});
