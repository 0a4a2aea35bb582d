import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main, VERSION } from "../../src/main.ts";
import { fakeContext } from "../support/fake-context.ts";

describe("main: argv -> command", () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "oauthx-main-"));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it("--version prints the package version, runtime and target", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["--version"], ctx)).toBe(0);
    const [first, second] = ctx.out().split("\n");
    expect(first).toBe(`oauthx ${VERSION}`);
    expect(second).toMatch(/^node \d+\.\d+\.\d+; \w+-\w+; source$/);
  });

  it("no arguments: general help on stderr, exit 2", async () => {
    const ctx = fakeContext({ home });
    expect(await main([], ctx)).toBe(2);
    expect(ctx.err()).toContain("Usage: oauthx <command>");
    expect(ctx.out()).toBe("");
  });

  it("--help and <command> --help print on stdout, exit 0", async () => {
    const general = fakeContext({ home });
    expect(await main(["--help"], general)).toBe(0);
    expect(general.out()).toMatch(/providers\s+List the providers/);
    const specific = fakeContext({ home });
    expect(await main(["providers", "--help"], specific)).toBe(0);
    expect(specific.out()).toContain("Usage: oauthx providers [show <provider>] [flags]");
    expect(specific.out()).toContain("--json");
  });

  it("an unknown command: short usage on stderr, exit 2, did-you-mean", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["provider"], ctx)).toBe(2);
    expect(ctx.err()).toContain('unknown command "provider"; did you mean "providers"?');
    expect(ctx.out()).toBe("");
  });

  it("an unknown flag: exit 2 with did-you-mean; a far-off flag gets none", async () => {
    const close = fakeContext({ home });
    expect(await main(["providers", "--jsno"], close)).toBe(2);
    expect(close.err()).toContain("unknown flag --jsno; did you mean --json?");
    const far = fakeContext({ home });
    expect(await main(["providers", "--frobnicate"], far)).toBe(2);
    expect(far.err()).toContain("unknown flag --frobnicate\n");
  });

  it("providers --json lists the built-ins with id, name and source", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["providers", "--json"], ctx)).toBe(0);
    const list = JSON.parse(ctx.out()) as { id: string; name: string; source: string }[];
    const ids = list.map((entry) => entry.id);
    for (const id of ["github", "gitlab", "google", "microsoft"]) expect(ids).toContain(id);
    expect(list.find((entry) => entry.id === "github")).toMatchObject({ name: "GitHub", source: "builtin" });
    expect(ctx.err()).toBe("");
  });

  it("a user providers file adds a provider and overrides a built-in field by field", async () => {
    writeFileSync(
      join(home, "providers.yaml"),
      [
        "providers:",
        "  github:",
        "    token_endpoint: https://ghe.example.com/login/oauth/access_token",
        "  acme:",
        "    name: Acme SSO",
        "    issuer: https://sso.acme.example",
        "",
      ].join("\n"),
    );
    const ctx = fakeContext({ home });
    expect(await main(["providers", "--json"], ctx)).toBe(0);
    const list = JSON.parse(ctx.out()) as { id: string; source: string; overrides: string[] }[];
    expect(list.find((entry) => entry.id === "acme")).toMatchObject({ source: "user" });
    expect(list.find((entry) => entry.id === "github")).toMatchObject({
      source: "builtin",
      overrides: ["token_endpoint"],
    });
    const show = fakeContext({ home });
    expect(await main(["providers", "show", "github", "--json"], show)).toBe(0);
    const github = JSON.parse(show.out()) as { definition: Record<string, unknown> };
    expect(github.definition.token_endpoint).toBe("https://ghe.example.com/login/oauth/access_token");
    // Fields the override does not name keep the built-in values.
    expect(github.definition.authorization_endpoint).toBe("https://github.com/login/oauth/authorize");
  });

  it("a malformed user providers file: CONFIG_INVALID naming the provider, field and line", async () => {
    const file = join(home, "providers.yaml");
    writeFileSync(file, ["providers:", "  acme:", "    name: Acme", "    scopes: read", ""].join("\n"));
    const ctx = fakeContext({ home });
    expect(await main(["providers"], ctx)).toBe(3);
    expect(ctx.err()).toContain(`${file}:4:5: provider "acme", field scopes:`);
    expect(ctx.err()).toContain("[CONFIG_INVALID]");
  });

  it("providers show of an unknown id suggests the closest", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["providers", "show", "gihtub"], ctx)).toBe(3);
    expect(ctx.err()).toContain('unknown provider "gihtub"; did you mean "github"?');
  });

  it("--json errors are one JSON object on stderr", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["providers", "show", "nope", "--json"], ctx)).toBe(3);
    expect(JSON.parse(ctx.err())).toMatchObject({ error: { code: "UNKNOWN_PROVIDER" } });
  });
});
