// README.md "Providers" carries a table of the built-in providers generated from the catalogue
// (scripts/providers-table.ts). It must match the catalogue as it is now, and sit in that section.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { END, providersTable, README, START, withTable } from "../../scripts/providers-table.ts";
import { builtinProviders } from "../../src/providers/generated/index.ts";

describe("README.md: the table of built-in providers", () => {
  const readme = readFileSync(README, "utf8");

  it("is the one generated from providers.yaml (run `node scripts/providers-table.ts --write`)", () => {
    expect(withTable(readme, providersTable())).toBe(readme);
  });

  it("has one row per built-in provider, inside the Providers section", () => {
    const block = readme.slice(readme.indexOf(START), readme.indexOf(END));
    for (const id of Object.keys(builtinProviders)) expect(block, id).toContain(`| \`${id}\` |`);
    const section = readme.slice(readme.indexOf("\n## Providers\n"));
    const nextSection = section.indexOf("\n## ", 1);
    expect(section.slice(0, nextSection < 0 ? undefined : nextSection)).toContain(START);
  });

  it("shows the quirks people set up apps by", () => {
    const table = providersTable();
    const row = (id: string) => table.split("\n").find((line) => line.startsWith(`| \`${id}\` |`)) ?? "";
    expect(row("github")).toContain("| yes | optional | `http://127.0.0.1/callback`, any port |");
    expect(row("github")).toContain("`GH_TOKEN`, `GITHUB_TOKEN`");
    expect(row("salesforce")).toContain("`http://localhost:1717/OauthRedirect`");
    expect(row("microsoft")).toContain("`tenant`=`common`");
    expect(row("spotify")).toContain("| no | required |");
    expect(row("linear")).toContain("`LINEAR_ACCESS_TOKEN`");
  });
});
