// `oauthx login --issuer URL --client-id ID --name NAME [<id>]` on the compiled binary against
// oidc-provider: the provider is found by discovery, appended to the user's providers file (what
// was there stays byte for byte), and the login that follows works like any other.

import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, NATIVE_CLIENT_ID, startAuthServer } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";

describe("login --issuer", () => {
  let server: AuthServer;
  let cli: CliHarness;
  let file: string;
  let original: string;
  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 600 });
    cli = cliHarness(server);
    file = join(cli.home, "providers.yaml");
    // The harness's file, with a comment of the user's own.
    original = `# my providers\n${readFileSync(file, "utf8")}`;
    writeFileSync(file, original);
  });
  afterAll(async () => {
    cli?.cleanup();
    await server?.close();
  });

  async function userinfo(token: string): Promise<number> {
    const response = await fetch(server.endpoints.userinfo_endpoint, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.body?.cancel();
    return response.status;
  }

  it("adds the provider (id from the name) to the providers file, keeping it, then logs in", async () => {
    const result = await cli.oauthx([
      "login",
      "--issuer",
      server.issuer,
      "--client-id",
      NATIVE_CLIENT_ID,
      "--name",
      "Acme SSO",
      "--timeout",
      "30s",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Added provider "acme-sso" (Acme SSO) to ${file}.`);
    expect(result.stderr).toContain("Logged in to Acme SSO as alice@example.test.");
    const text = readFileSync(file, "utf8");
    expect(text.startsWith(original)).toBe(true);
    expect(text.slice(original.length)).toMatch(
      new RegExp(
        [
          "^  # added by `oauthx login --issuer` on \\d{4}-\\d{2}-\\d{2}",
          "  acme-sso:",
          "    name: Acme SSO",
          `    issuer: ${server.issuer.replace(/[.]/g, "\\.")}`,
          `    client_id: ${NATIVE_CLIENT_ID}`,
          "    client_auth: none",
          "    pkce: required",
          "    scopes:",
          "      - openid",
          "(      - \\S+\\n)*$",
        ].join("\\n"),
      ),
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const token = await cli.oauthx(["token", "acme-sso"]);
    expect(token.code, token.stderr).toBe(0);
    expect(await userinfo(token.stdout.trim())).toBe(200);
    const providers = JSON.parse((await cli.oauthx(["providers", "--json"])).stdout) as { id: string }[];
    expect(providers.map((provider) => provider.id)).toEqual(expect.arrayContaining(["local", "acme-sso"]));
    const exec = await cli.oauthx([
      "exec",
      "acme-sso",
      "--",
      "sh",
      "-c",
      'printf %s "$ACME_SSO_ACCESS_TOKEN"',
    ]);
    expect(exec.stdout).toBe(token.stdout.trim());
  });

  it("takes the id as the positional argument, and the scopes from --scope", async () => {
    const result = await cli.oauthx([
      "login",
      "--issuer",
      server.issuer,
      "--client-id",
      NATIVE_CLIENT_ID,
      "--name",
      "Acme again",
      "--scope",
      "openid",
      "--scope",
      "offline_access",
      "work-idp",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("  work-idp:\n    name: Acme again\n");
    const status = JSON.parse((await cli.oauthx(["status", "work-idp", "--json"])).stdout);
    expect(status[0]).toMatchObject({ provider: "work-idp", refresh_token: true });
  });

  it("refuses an id that exists (the user's or a built-in) and leaves the file as it was", async () => {
    const before = readFileSync(file, "utf8");
    for (const id of ["acme-sso", "github"]) {
      const result = await cli.oauthx([
        "login",
        "--issuer",
        server.issuer,
        "--client-id",
        "x",
        "--name",
        "X",
        id,
      ]);
      expect(result.code, id).toBe(3);
      expect(result.stderr).toContain(`a provider "${id}" exists already`);
    }
    const byName = await cli.oauthx([
      "login",
      "--issuer",
      server.issuer,
      "--client-id",
      "x",
      "--name",
      "Acme SSO",
    ]);
    expect(byName.code).toBe(3);
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("writes nothing when discovery fails or the flags are incomplete", async () => {
    const before = readFileSync(file, "utf8");
    const unreachable = await cli.oauthx([
      "login",
      "--issuer",
      "http://127.0.0.1:9/nothing-here",
      "--client-id",
      "x",
      "--name",
      "Nowhere",
    ]);
    expect(unreachable.code).toBe(7);
    expect(unreachable.stderr).toContain("[NETWORK]");
    const mismatch = await cli.oauthx([
      "login",
      "--issuer",
      `${server.issuer}/`,
      "--client-id",
      "x",
      "--name",
      "Slash",
    ]);
    expect(mismatch.code).not.toBe(0);
    const cases: [string[], RegExp][] = [
      [["login", "--issuer", "http://sso.example.com", "--client-id", "x", "--name", "N"], /https URL/],
      [["login", "--issuer", server.issuer, "--name", "N"], /--client-id/],
      [["login", "--issuer", server.issuer, "--client-id", "x"], /--name/],
      [["login", "--issuer", server.issuer, "--client-id", "x", "--name", "!!!"], /provider id/],
      [["login", "--issuer", server.issuer, "--client-id", "x", "--name", "N", "Bad_Id"], /provider id/],
      [["login"], /missing argument: <provider>/],
      [["login", "local", "--name", "N"], /--name goes with --issuer/],
    ];
    for (const [args, message] of cases) {
      const result = await cli.oauthx(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(readFileSync(file, "utf8")).toBe(before);
  });
});
