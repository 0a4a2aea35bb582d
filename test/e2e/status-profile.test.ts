// `status` and `doctor` take `--profile`, as every command does: on the compiled binary against
// oidc-provider, with two logins of one provider, each shows only the profile asked for.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, startAuthServer } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";

describe("--profile on status and doctor", () => {
  let server: AuthServer;
  let cli: CliHarness;
  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 600 });
    cli = cliHarness(server);
    for (const profile of ["default", "work"]) {
      const login = await cli.oauthx(["login", "local", "--profile", profile]);
      expect(login.code, login.stderr).toBe(0);
    }
  }, 60_000);
  afterAll(async () => {
    cli?.cleanup();
    await server?.close();
  });

  it("status --profile shows that profile's logins only", async () => {
    const all = JSON.parse((await cli.oauthx(["status", "--json"])).stdout) as { profile: string }[];
    expect(all.map((row) => row.profile)).toEqual(["default", "work"]);
    const work = await cli.oauthx(["status", "--profile", "work", "--json"]);
    expect(work.code, work.stderr).toBe(0);
    expect((JSON.parse(work.stdout) as { profile: string }[]).map((row) => row.profile)).toEqual(["work"]);
    const none = await cli.oauthx(["status", "--profile", "home"]);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain("no logins in profile home; run `oauthx login <provider> --profile home`");
  });

  it("doctor --profile checks that profile's logins only", async () => {
    const work = await cli.oauthx(["doctor", "--offline", "--profile", "work", "--json"]);
    expect(work.code, work.stderr).toBe(0);
    const checks = (JSON.parse(work.stdout) as { check: string }[]).map((finding) => finding.check);
    expect(checks).toContain("login local/work");
    expect(checks).not.toContain("login local/default");
  });
});
