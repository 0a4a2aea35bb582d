// What a newcomer meets in the second hour (issue 25, "Messages"): help that a binary's user can
// follow (no file of the repository), providers-file mistakes reported where they are, a mistyped
// --set value with a suggestion, `providers show` saying where each value comes from, and a lost
// identity pointing at how to start over. In-process through main().

import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/main.ts";
import { withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { fakeContext } from "../support/fake-context.ts";

describe("newcomer messages", () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "oauthx-newcomer-"));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const ctx = fakeContext({ home, env });
    const code = await main(argv, ctx);
    return { code, out: ctx.out(), err: ctx.err() };
  };
  const providersFile = (lines: string[]) => {
    const file = join(home, "providers.yaml");
    writeFileSync(file, lines.join("\n"));
    return file;
  };

  it("--help lists help and the topics, and cites no file of the repository", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^ {2}help +Show help for a command or a topic/m);
    for (const topic of ["providers-file", "ci", "security", "store", "environment"]) {
      expect(help.out).toMatch(new RegExp(`^ {2}${topic} +\\S`, "m"));
      const shown = await run(["help", topic]);
      expect(shown.code).toBe(0);
      expect(shown.out.length).toBeGreaterThan(200);
      expect(shown.out).not.toMatch(/README|docs\/\w+\.md/);
    }
    expect(help.out).not.toMatch(/README|docs\/\w+\.md/);
    expect((await run(["help", "status"])).out).toContain("--profile NAME");
  });

  it("help with a misspelt topic suggests it", async () => {
    const { code, err } = await run(["help", "stroe"]);
    expect(code).toBe(2);
    expect(err).toContain('no command or help topic "stroe"; did you mean "store"?');
  });

  it("help store says how to uninstall, reset, move and recover from a lost identity", async () => {
    const { out } = await run(["help", "store"]);
    expect(out).toContain("A new machine");
    expect(out).toContain("A lost or wrong identity");
    expect(out).toContain("Uninstall or reset");
  });

  it("help environment lists every variable docs/reference.md does", async () => {
    const reference = readFileSync(join(import.meta.dirname, "../../docs/reference.md"), "utf8");
    const table = reference.split("## Environment variables")[1]?.split("\n## ")[0] ?? "";
    const documented = new Set(
      [...table.matchAll(/`((?:OAUTHX|NO|BROWSER)[A-Z_<>]*)`/g)].map((match) => match[1]),
    );
    expect(documented.size).toBeGreaterThan(10);
    const { out } = await run(["help", "environment"]);
    const listed = (name: string | undefined) => out.includes(name?.replace("<VAR>", "<SETTING>") ?? "?");
    expect([...documented].filter((name) => !listed(name))).toEqual([]);
  });

  it("help providers-file lists the fields the schema takes", async () => {
    const { out } = await run(["help", "providers-file"]);
    expect(out).toContain("authorization_endpoint");
    expect(out).toContain("client_id");
    expect(out).toContain("template_vars");
  });

  it("an unknown field points at help providers-file", async () => {
    providersFile(["providers:", "  acme:", "    name: Acme", "    isuer: https://sso.example", ""]);
    const { code, err } = await run(["providers"]);
    expect(code).toBe(3);
    expect(err).toContain("did you mean issuer? (fields: oauthx help providers-file)");
  });

  it("an unclosed quote is reported on the line it opens, not at the end of the file", async () => {
    const file = providersFile([
      "providers:",
      "  acme:",
      "    name: Acme",
      '    issuer: "https://sso.example',
      "    client_id: cli",
      "    scopes: [openid]",
      "",
    ]);
    const { code, err } = await run(["providers"]);
    expect(code).toBe(3);
    expect(err).toContain(`${file}:4:13: this quote is never closed`);
  });

  it("providers as a list: a clear error, not providers named 0 and 1", async () => {
    const file = providersFile(["providers: [a, b]", ""]);
    const { code, err } = await run(["providers"]);
    expect(code).toBe(3);
    expect(err).toContain(
      `${file}:1:1: providers must be a mapping of provider ids to their fields, not a list`,
    );
    expect(err).not.toContain('provider "0"');
  });

  it("an empty providers: is no providers", async () => {
    providersFile(["providers:", ""]);
    expect((await run(["providers"])).code).toBe(0);
  });

  it("--set with a misspelt name suggests the setting and lists them all", async () => {
    const { code, err } = await run(["login", "okta", "--client-id", "abc", "--set", "dommain=x"]);
    expect(code).toBe(2);
    expect(err).toContain("--set dommain: okta has no such setting; did you mean domain?");
    expect(err).toContain("→ okta's settings: domain, authorization_server");
  });

  it("providers show: the client_id of the user's file, and where each value comes from", async () => {
    providersFile(["providers:", "  github:", "    client_id: Iv1.mine", ""]);
    const { code, out } = await run(["providers", "show", "github"]);
    expect(code).toBe(0);
    expect(out).toContain("GitHub (github): built-in, with your providers file's client_id");
    expect(out).toContain("  client_id: Iv1.mine  (your providers file)");
    expect(out).toContain("  token_endpoint: https://github.com/login/oauth/access_token  (built-in)");
    expect(out).toContain("  client secret: needed; not set: set OAUTHX_GITHUB_CLIENT_SECRET");
    const okta = await run(["providers", "show", "okta"], { OAUTHX_OKTA_DOMAIN: "acme.okta.com" });
    expect(okta.out).toContain("  --set domain: acme.okta.com  (environment OAUTHX_OKTA_DOMAIN)");
    expect(okta.out).toContain("  --set authorization_server: default  (default)");
    expect(okta.out).toContain(
      "  client_id: not set: pass --client-id to oauthx login, or set OAUTHX_OKTA_CLIENT_ID",
    );
  });

  it("a missing identity points at help store", async () => {
    await openStore({ home, env: {} }).update((document) =>
      withEntry(document, "github", "default", {
        access_token: "at",
        token_type: "bearer",
        scopes: [],
        obtained_at: Math.floor(Date.now() / 1000),
      }),
    );
    unlinkSync(join(home, "identity.txt"));
    const { code, err } = await run(["status"]);
    expect(code).toBe(8);
    expect(err).toContain("[DECRYPT_FAILED]");
    expect(err).toContain("`oauthx help store` says how to start over");
  });
});
