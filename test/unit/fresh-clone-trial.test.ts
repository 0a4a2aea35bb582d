// What a newcomer's fresh-clone trial found (each a small mistake the program made, not the user):
// a configuration error that left a directory behind, a doctor that called a lost identity fine,
// usage errors accepted, help for help, providers-file type errors in valibot's words, profile
// names unchecked, and suggestions that missed a prefix. In-process through main().

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/main.ts";
import { fakeContext } from "../support/fake-context.ts";

describe("fresh-clone trial", () => {
  let dir: string;
  let home: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "oauthx-trial-"));
    home = join(dir, "home");
    mkdirSync(home, { mode: 0o700 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const ctx = fakeContext({ home, env });
    const code = await main(argv, ctx);
    return { code, out: ctx.out(), err: ctx.err() };
  };
  const providersFile = (lines: string[]) => writeFileSync(join(home, "providers.yaml"), lines.join("\n"));

  it("an identity token for a provider without a federation block is a configuration error that creates nothing", async () => {
    providersFile([
      "providers:",
      "  corp:",
      "    name: Corp",
      "    authorization_endpoint: https://sso.corp.example/authorize",
      "    token_endpoint: https://sso.corp.example/token",
      "    client_id: cli",
      "    scopes: [openid]",
      "",
    ]);
    const cache = join(dir, "ci-cache");
    mkdirSync(cache, { mode: 0o700 });
    const { code, err } = await run(["token", "corp"], {
      OAUTHX_CORP_ID_TOKEN: "abc",
      OAUTHX_CI_CACHE_DIR: cache,
    });
    expect(err).toContain("OAUTHX_CORP_ID_TOKEN is set, but corp has no federation block");
    expect(code).toBe(3);
    expect(readdirSync(cache)).toEqual([]);
    expect(existsSync(join(home, "tokens.age"))).toBe(false);
  });
});
