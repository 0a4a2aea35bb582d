// What a newcomer's fresh-clone trial found (each a small mistake the program made, not the user):
// a configuration error that left a CI cache directory behind, a shared-store error that named the
// wrong cause, a doctor that called a lost identity fine, help for help, providers-file type errors
// in valibot's words, profile names unchecked, suggestions that missed a prefix, and endpoints
// shown with placeholders the environment fills. In-process through main().

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateX25519Identity } from "age-encryption";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isOauthxError, type OauthxError } from "../../src/errors.ts";
import { main } from "../../src/main.ts";
import { withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { rowSealer } from "../../src/store/postgres/sealing.ts";
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

  it("an identity token for a provider without a federation block (or a client id it needs) is a configuration error that creates nothing", async () => {
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

    // A client assertion without a client id: found before the cache, and before asking for a token.
    providersFile([
      "providers:",
      "  corp:",
      "    name: Corp",
      "    token_endpoint: https://sso.corp.example/token",
      "    federation: { grant: client-assertion, audience: api://corp }",
      "",
    ]);
    const assertion = await run(["token", "corp"], {
      OAUTHX_CORP_ID_TOKEN: "abc",
      OAUTHX_CI_CACHE_DIR: cache,
    });
    expect(assertion.err).toContain("no client id for corp");
    expect(assertion.code).toBe(3);
    expect(readdirSync(cache)).toEqual([]);
  });

  it("a shared-store row not sealed to this machine's key says to add the key to OAUTHX_STORE_RECIPIENTS there", async () => {
    const writer = await generateX25519Identity();
    const reader = await generateX25519Identity();
    const sealer = (identity: string) =>
      rowSealer({
        env: { OAUTHX_AGE_IDENTITY: identity },
        identityFile: join(home, "identity.txt"),
        createIdentity: false,
        now: Date.now,
      });
    const sealed = await sealer(writer).seal('{"access_token":"secret-value"}', undefined);
    const error = await sealer(reader)
      .open(sealed, "the local/default row in 127.0.0.1:5432/oauthx")
      .catch((caught: unknown) => caught);
    expect(isOauthxError(error, "DECRYPT_FAILED")).toBe(true);
    const { message, remedy } = error as OauthxError;
    expect(message).toBe(
      "the local/default row in 127.0.0.1:5432/oauthx is not sealed to this machine's key (OAUTHX_AGE_IDENTITY)",
    );
    expect(remedy).toContain(
      "add this key (age-keygen -y) to OAUTHX_STORE_RECIPIENTS, then run `oauthx refresh <provider>` there",
    );
    expect(remedy).toContain("`oauthx help store`");
    expect(`${message} ${remedy}`).not.toMatch(/AGE-SECRET-KEY|secret-value/);
    expect((await run(["help", "store"])).out).toContain("OAUTHX_STORE_RECIPIENTS");
  });

  it("doctor fails the identity, not only the store, when identity.txt is gone but tokens.age is there", async () => {
    expect((await run(["doctor", "--offline", "--json"])).out).toContain('"detail": "none yet;');
    await openStore({ home, env: {} }).update((document) =>
      withEntry(document, "github", "default", {
        access_token: "at",
        token_type: "bearer",
        scopes: [],
        obtained_at: Math.floor(Date.now() / 1000),
      }),
    );
    unlinkSync(join(home, "identity.txt"));
    const { code, out } = await run(["doctor", "--offline", "--json"]);
    expect(code).toBe(9);
    const identity = (
      JSON.parse(out) as { check: string; status: string; detail: string; remedy?: string }[]
    ).find((finding) => finding.check === "identity");
    expect(identity?.status).toBe("fail");
    expect(identity?.detail).toContain("identity.txt is missing, but");
    expect(identity?.remedy).toContain("`oauthx help store`");
  });

  it("help --help (-h, help help) prints help's usage", async () => {
    for (const flag of ["--help", "-h", "help"]) {
      const { code, out, err } = await run(["help", flag]);
      expect(err).toBe("");
      expect(code).toBe(0);
      expect(out).toContain("Usage: oauthx help [command|topic]");
      expect(out).toContain("store");
    }
  });

  it("a field of the wrong type in providers.yaml is said in the file's words, with the fix", async () => {
    providersFile([
      "providers:",
      "  corp:",
      "    name: Corp",
      "    authorization_endpoint: https://sso.corp.example/authorize",
      "    token_endpoint: https://sso.corp.example/token",
      "    client_id: 1234",
      "    scopes: repo",
      "    client_secret_required: yes",
      "    pkce: always",
      "    redirect: 8080",
      "    env: {GH_TOKEN: x}",
      "",
    ]);
    const { code, err } = await run(["providers"]);
    expect(code).toBe(3);
    expect(err).toContain('provider "corp", field scopes: is a list: scopes: [repo]');
    expect(err).toContain('provider "corp", field client_id: is text: client_id: "1234"');
    expect(err).toContain('provider "corp", field client_secret_required: is true or false, not "yes"');
    expect(err).toContain(
      'provider "corp", field pkce: is one of "required", "optional", "unsupported", not "always"',
    );
    expect(err).toContain(
      'provider "corp", field redirect: is a mapping (its fields on the lines below, indented), not 8080',
    );
    expect(err).toContain('provider "corp", field env: is a list, not a mapping');
    expect(err).not.toMatch(/Invalid type|Expected|unknown field/);
  });

  it("--profile takes a plain name (what remedies can print unquoted), and logout any stored one", async () => {
    for (const name of ["it's", "my work", "", "-x", ".hidden", "a".repeat(65), "tab\there"]) {
      const { code, err } = await run(["token", "github", `--profile=${name}`]);
      expect(code, name).toBe(2);
      expect(err).toContain(`--profile ${JSON.stringify(name)} is not a profile name: letters, digits`);
    }
    for (const argv of [["login", "github"], ["status"], ["exec", "github"], ["kube-credential", "oidc"]]) {
      expect((await run([...argv, "--profile", "it's"])).err).toContain("is not a profile name");
    }
    for (const name of ["default", "work", "ci", "team_a", "eu.prod-2", "A".repeat(64)]) {
      const { code, err } = await run(["token", "github", "--profile", name]);
      expect(err).not.toContain("is not a profile name");
      expect(code).toBe(4);
    }
    // A login an older oauthx stored under such a name can still be logged out.
    await openStore({ home, env: {} }).update((document) =>
      withEntry(document, "github", "it's", {
        access_token: "at",
        token_type: "bearer",
        scopes: [],
        obtained_at: Math.floor(Date.now() / 1000),
      }),
    );
    const logout = await run(["logout", "github", "--profile", "it's", "--no-revoke"]);
    expect(logout.err).not.toContain("is not a profile name");
    expect(logout.code).toBe(0);
  });

  it("an unknown provider cut short is suggested the one it begins", async () => {
    providersFile([
      "providers:",
      "  local-sso:",
      "    name: Local SSO",
      "    issuer: https://sso.example",
      "    client_id: cli",
      "",
    ]);
    const { code, err } = await run(["status", "local"]);
    expect(code).toBe(3);
    expect(err).toContain('unknown provider "local"; did you mean "local-sso"?');
  });

  it("providers show fills an endpoint's placeholders the environment sets, naming the variable", async () => {
    const set = await run(["providers", "show", "okta"], { OAUTHX_OKTA_DOMAIN: "acme.okta.com" });
    expect(set.code).toBe(0);
    expect(set.out).toContain(
      "  token_endpoint: https://acme.okta.com/oauth2/default/v1/token  (built-in; {domain} from environment OAUTHX_OKTA_DOMAIN)",
    );
    expect(set.out).not.toContain("{domain}/");
    const unset = await run(["providers", "show", "okta"]);
    expect(unset.out).toContain(
      "  token_endpoint: https://{domain}/oauth2/{authorization_server}/v1/token  (built-in)",
    );
    expect(unset.out).toContain("  --set domain: not set");
  });
});
