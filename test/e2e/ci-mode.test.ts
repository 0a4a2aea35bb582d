// CI mode on the compiled binary: a seeded refresh token in the environment, a rotating server,
// nothing written under OAUTHX_HOME, the rotated token handed to OAUTHX_ON_ROTATE on stdin, and
// `::add-mask::` for every token under GitHub Actions.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, startAuthServer, userinfoStatus } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { BIN, run } from "../support/run-node.ts";

describe("CI mode: OAUTHX_<ID>_REFRESH_TOKEN", () => {
  let server: AuthServer;
  let workstation: CliHarness;
  let ciHome: string;
  let seeded: string;
  const rotatedFile = () => join(ciHome, "..", "rotated.txt");

  beforeAll(async () => {
    server = await startAuthServer();
    workstation = cliHarness(server);
    expect((await workstation.oauthx(["login", "local", "--timeout", "30s"])).code).toBe(0);
    const exported = await workstation.oauthx(["export", "local", "--refresh-token"]);
    expect(exported.code, exported.stderr).toBe(0);
    seeded = exported.stdout.trim();
    // The CI job's home holds only the (checked-in) providers file.
    ciHome = join(workstation.home, "..", "ci-home");
    mkdirSync(ciHome, { mode: 0o700 });
    writeFileSync(join(ciHome, "providers.yaml"), readFileSync(join(workstation.home, "providers.yaml")));
  });
  afterAll(async () => {
    workstation?.cleanup();
    await server?.close();
  });

  const ci = (args: string[], env: Record<string, string> = {}) =>
    run(BIN.oauthx, args, {
      env: {
        PATH: process.env.PATH,
        HOME: join(ciHome, ".."),
        OAUTHX_HOME: ciHome,
        OAUTHX_CI_CACHE_DIR: join(ciHome, "..", "runner-temp"),
        ...env,
      },
    });

  it("exec works from the seeded token, masks, hands the rotated token to the hook, writes nothing", async () => {
    rmSync(rotatedFile(), { force: true });
    const result = await ci(
      ["exec", "local", "--", "sh", "-c", 'printf "%s" "$LOCAL_TOKEN"; env > "$HOME/child-env.txt"'],
      {
        OAUTHX_LOCAL_REFRESH_TOKEN: seeded,
        OAUTHX_ON_ROTATE: `cat > "${rotatedFile()}"`,
        GITHUB_ACTIONS: "true",
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const token = result.stdout;
    expect(await userinfoStatus(server, token)).toBe(200);
    const rotated = readFileSync(rotatedFile(), "utf8").trim();
    expect(rotated).not.toBe("");
    expect(rotated).not.toBe(seeded);
    // Every token is masked before anything else could print it.
    expect(result.stderr).toContain(`::add-mask::${token}\n`);
    expect(result.stderr).toContain(`::add-mask::${rotated}\n`);
    // Nothing under OAUTHX_HOME but the providers file the job brought.
    expect(readdirSync(ciHome)).toEqual(["providers.yaml"]);
    // The child saw neither the seeded nor the rotated refresh token.
    const childEnv = readFileSync(join(ciHome, "..", "child-env.txt"), "utf8");
    expect(childEnv).not.toContain(seeded);
    expect(childEnv).not.toContain(rotated);
    expect(childEnv).not.toContain("OAUTHX_LOCAL_REFRESH_TOKEN");
    seeded = rotated;
  });

  it("the rotated token works on the next run; without a hook a warning says the seed is spent", async () => {
    const result = await ci(["token", "local"], { OAUTHX_LOCAL_REFRESH_TOKEN: seeded });
    expect(result.code, result.stderr).toBe(0);
    expect(await userinfoStatus(server, result.stdout.trim())).toBe(200);
    expect(result.stderr).toContain("rotated its refresh token");
    expect(result.stderr).toContain("OAUTHX_ON_ROTATE");
    // No ::add-mask:: outside GitHub Actions, and the new refresh token is never printed.
    expect(result.stderr).not.toContain("::add-mask::");
    expect(readdirSync(ciHome)).toEqual(["providers.yaml"]);
  });

  it("export under GitHub Actions masks the refresh token it prints (issue 24 item 8)", async () => {
    const exported = await workstation.oauthx(["export", "local", "--refresh-token"], {
      env: { GITHUB_ACTIONS: "true" },
    });
    expect(exported.code, exported.stderr).toBe(0);
    const token = exported.stdout.trim();
    expect(exported.stdout).toBe(`${token}\n`);
    expect(exported.stderr).toContain(`::add-mask::${token}\n`);
  });

  it("a spent seed gives REFRESH_REJECTED with the remedy, and still writes nothing", async () => {
    const spent = await ci(["token", "local"], { OAUTHX_LOCAL_REFRESH_TOKEN: "not-a-valid-refresh-token" });
    expect(spent.code).toBe(6);
    expect(spent.stderr).toContain("REFRESH_REJECTED");
    expect(spent.stdout).toBe("");
    expect(readdirSync(ciHome)).toEqual(["providers.yaml"]);
  });
});
