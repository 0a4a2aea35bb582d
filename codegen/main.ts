// `npm run codegen`: providers.yaml -> src/providers/generated/.
// `npm run codegen -- --check`: exit 1 naming each generated file that is stale, hand-edited,
// missing or extra, without writing anything.
// `--catalogue FILE` and `--out DIR` point it elsewhere (tests use them on copies).

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { isOauthxError } from "../src/errors.ts";
import { parseYaml, validate } from "../src/providers/load-yaml.ts";
import { catalogueSchema } from "../src/providers/schema.ts";
import { generate } from "./generate.ts";

const root = join(import.meta.dirname, "..");

/** Paths below the working directory shown relative, others absolute. */
function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

function main(argv: string[]): number {
  let values: { check?: boolean; catalogue?: string; out?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { check: { type: "boolean" }, catalogue: { type: "string" }, out: { type: "string" } },
    }));
  } catch (error) {
    process.stderr.write(
      `codegen: ${(error as Error).message}\nusage: codegen [--check] [--catalogue FILE] [--out DIR]\n`,
    );
    return 2;
  }
  const check = values.check === true;
  const catalogueFile = values.catalogue ?? join(root, "providers.yaml");
  const outDir = values.out ?? join(root, "src/providers/generated");
  const file = display(catalogueFile);
  const catalogue = validate(catalogueSchema, parseYaml(readFileSync(catalogueFile, "utf8"), file), file);
  const wanted = generate(catalogue);
  const present = existsSync(outDir) ? readdirSync(outDir).filter((name) => name.endsWith(".ts")) : [];

  if (check) {
    const problems: string[] = [];
    for (const [name, text] of wanted) {
      const path = join(outDir, name);
      if (!existsSync(path)) problems.push(`missing: ${display(path)}`);
      else if (readFileSync(path, "utf8") !== text) problems.push(`stale or hand-edited: ${display(path)}`);
    }
    for (const name of present) {
      if (!wanted.has(name))
        problems.push(`not generated from providers.yaml: ${display(join(outDir, name))}`);
    }
    if (problems.length > 0) {
      process.stderr.write(
        `${problems.join("\n")}\ncodegen --check failed: run \`npm run codegen\` and commit.\n`,
      );
      return 1;
    }
    process.stderr.write(`codegen --check: ${wanted.size} generated files are up to date.\n`);
    return 0;
  }

  mkdirSync(outDir, { recursive: true });
  for (const name of present) if (!wanted.has(name)) rmSync(join(outDir, name));
  for (const [name, text] of wanted) writeFileSync(join(outDir, name), text);
  process.stderr.write(`codegen: wrote ${wanted.size} files to ${display(outDir)}/\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (!isOauthxError(error)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
