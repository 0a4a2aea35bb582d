// The import rules of docs/architecture.md "Layers", checked on the source: every relative import
// (static or dynamic) of every file under src/ runs downward. A new arrow the wrong way fails here
// with the file and the import.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/run-node.ts";

const SRC = join(ROOT, "src");

type Layer = "platform" | "oauth" | "store" | "providers" | "core" | "cli" | "sdk" | "shared";

/** What each layer may import (a layer may always import itself). */
const ALLOWED: Record<Layer, Layer[]> = {
  shared: [],
  platform: ["shared"],
  oauth: ["platform", "shared"],
  store: ["shared"],
  providers: ["oauth", "store", "shared"],
  core: ["platform", "oauth", "store", "providers", "shared"],
  cli: ["platform", "oauth", "store", "providers", "core", "shared"],
  sdk: ["platform", "oauth", "store", "providers", "core", "shared"],
};

function layerOf(file: string): Layer {
  const path = relative(SRC, file);
  const top = path.split("/")[0] as string;
  if (path === "main.ts") return "cli";
  if (path === "sdk.ts") return "sdk";
  if (path === "errors.ts" || path === "suggest.ts") return "shared";
  if (top in ALLOWED) return top as Layer;
  throw new Error(`${path} is in no layer: add it to docs/architecture.md "Layers" and to this test`);
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative specifiers of `import … from "…"`, `export … from "…"` and `import("…")`. */
function relativeImports(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)["'](\.{1,2}\/[^"']+)["']/gm)) {
    found.push(match[1] as string);
  }
  return found;
}

describe("layers", () => {
  const files = sourceFiles(SRC);

  it("finds the source and its imports", () => {
    expect(files.length).toBeGreaterThan(80);
    expect(relativeImports('import { a } from "./a.ts";\nconst b = await import("../b.ts");')).toEqual([
      "./a.ts",
      "../b.ts",
    ]);
  });

  it("every import runs downward (docs/architecture.md)", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const specifier of relativeImports(readFileSync(file, "utf8"))) {
        const target = join(dirname(file), specifier);
        if (!target.startsWith(SRC)) continue; // package.json (the version)
        const to = layerOf(target);
        if (to !== from && !ALLOWED[from].includes(to)) {
          violations.push(`${relative(ROOT, file)} (${from}) imports ${specifier} (${to})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("no source file above 400 lines, generated files aside", () => {
    const long = files
      .filter((file) => !file.includes("/generated/"))
      .map((file) => ({ file: relative(ROOT, file), lines: readFileSync(file, "utf8").split("\n").length }))
      .filter(({ lines }) => lines > 400);
    expect(long).toEqual([]);
  });

  it("no source file cites a document outside the repository", () => {
    const outside = /\b(?:DESIGN|TOOLCHAIN-FACTS|PROVIDERS-RESEARCH)\.md\b|\.\.\/shared\//;
    expect(
      files.filter((file) => outside.test(readFileSync(file, "utf8"))).map((file) => relative(ROOT, file)),
    ).toEqual([]);
  });
});
