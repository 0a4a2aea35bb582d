// `oauthx seed` against oidc-provider with refresh-token rotation and reuse detection, on the
// compiled binary: the CI job seeded from it and the workstation's own login both keep working
// after each refreshes, because they are two grants; `seed` writes nothing to the store. And the
// trap it replaces: an exported refresh token is one grant with the workstation's login, so the
// second side to refresh is refused (and the grant revoked) — which `export` now warns about.

import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, startAuthServer, userinfoStatus } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { BIN, run } from "../support/run-node.ts";

describe("oauthx seed: CI gets a grant of its own", () => {
  let server: AuthServer;
  let workstation: CliHarness;
  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 300, rotateRefreshToken: true });
    workstation = cliHarness(server);
  });
  afterAll(async () => {
    workstation?.cleanup();
    await server?.close();
  });

  /** A CI job on another machine: only the seed and the checked-in providers file. */
  function ciJob(name: string, seed: string) {
    const root = join(workstation.home, "..", name);
    const home = join(root, "home");
    mkdirSync(home, { recursive: true, mode: 0o700 });
    writeFileSync(join(home, "providers.yaml"), readFileSync(join(workstation.home, "providers.yaml")));
    return (args: string[]) =>
      run(BIN.oauthx, args, {
        env: {
          PATH: process.env.PATH,
          HOME: root,
          OAUTHX_HOME: home,
          OAUTHX_CI_CACHE_DIR: join(root, "runner-temp"),
          OAUTHX_LOCAL_REFRESH_TOKEN: seed,
          OAUTHX_ON_ROTATE: "cat > /dev/null",
        },
      });
  }

  const storeFiles = () =>
    readdirSync(workstation.home)
      .sort()
      .map((file) => `${file}:${statSync(join(workstation.home, file)).mtimeMs}`);

  it("seed prints only a refresh token, stores nothing, and CI and the workstation both keep refreshing", async () => {
    const login = await workstation.oauthx(["login", "local", "--timeout", "30s"]);
    expect(login.code, login.stderr).toBe(0);
    const before = storeFiles();
    const beforeStore = readFileSync(join(workstation.home, "tokens.age"));

    const seeded = await workstation.oauthx(["seed", "local", "--timeout", "30s"]);
    expect(seeded.code, seeded.stderr).toBe(0);
    const lines = seeded.stdout.split("\n");
    expect(lines).toHaveLength(2);
    const seed = lines[0] as string;
    expect(seed).toMatch(/^[\x21-\x7e]{20,}$/);
    expect(seeded.stderr).toContain("OAUTHX_LOCAL_REFRESH_TOKEN");
    expect(seeded.stderr).not.toContain(seed);
    // Nothing written on this machine: the store is byte for byte the same, no file was added.
    expect(storeFiles()).toEqual(before);
    expect(readFileSync(join(workstation.home, "tokens.age")).equals(beforeStore)).toBe(true);
    const exported = await workstation.oauthx(["export", "local", "--refresh-token"]);
    expect(exported.stdout.trim()).not.toBe(seed);

    const ci = ciJob("seeded-job", seed);
    const revoked = server.counters.grantsRevoked;
    for (let round = 0; round < 2; round++) {
      const fromCi = await ci(["refresh", "local"]);
      expect(fromCi.code, fromCi.stderr).toBe(0);
      const here = await workstation.oauthx(["refresh", "local"]);
      expect(here.code, here.stderr).toBe(0);
    }
    expect(server.counters.grantsRevoked).toBe(revoked);
    const ciToken = await ci(["token", "local"]);
    const hereToken = await workstation.oauthx(["token", "local"]);
    expect(await userinfoStatus(server, ciToken.stdout.trim())).toBe(200);
    expect(await userinfoStatus(server, hereToken.stdout.trim())).toBe(200);
  }, 60_000);

  it("export of a login that may rotate warns and points at oauthx seed — the trap it warns of is real", async () => {
    const login = await workstation.oauthx(["login", "local", "--profile", "shared", "--timeout", "30s"]);
    expect(login.code, login.stderr).toBe(0);
    const exported = await workstation.oauthx(["export", "local", "--profile", "shared", "--refresh-token"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toContain("warning: Local Test Server may rotate refresh tokens");
    expect(exported.stderr).toContain("oauthx seed local");
    const shared = exported.stdout.trim();
    expect(exported.stderr).not.toContain(shared);

    // CI refreshes with the shared token (it rotates), then this machine refreshes its copy.
    const ci = ciJob("shared-job", shared);
    expect((await ci(["refresh", "local"])).code).toBe(0);
    const here = await workstation.oauthx(["refresh", "local", "--profile", "shared"]);
    expect(here.code).toBe(6);
    expect(here.stderr).toContain("REFRESH_REJECTED");
    // The remedy names the likely cause and the way out, not the trap again.
    expect(here.stderr).toContain("this login's refresh token was exported");
    expect(here.stderr).toContain("oauthx seed local");
  }, 60_000);

  it("a reader that has gone (`| gh secret sett`, a typo) is no success: an error, and the grant revoked", async () => {
    const revoked = server.counters.grantsRevoked;
    const child = spawn(BIN.oauthx, ["seed", "local", "--timeout", "30s"], {
      env: workstation.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The reader ends without reading, as a mistyped command after | does.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) =>
      child.once("close", (status) => resolve(status)),
    );
    expect(code, stderr).toBe(9);
    expect(stderr).toContain("the refresh token was not delivered");
    expect(stderr).not.toContain("Seeded a new");
    // The refresh token nobody holds is revoked at the provider, and with it the grant.
    expect(server.counters.grantsRevoked - revoked).toBe(1);
  }, 60_000);

  it("the CI remedy for a spent seed says oauthx seed", async () => {
    const ci = ciJob("spent-job", "not-a-refresh-token-of-this-server");
    const spent = await ci(["token", "local"]);
    expect(spent.code).toBe(6);
    expect(spent.stderr).toContain("oauthx seed local");
    expect(spent.stderr).not.toContain("export local --refresh-token");
  });
});

describe("oauthx seed: a login without a refresh token", () => {
  let server: AuthServer;
  let workstation: CliHarness;
  beforeAll(async () => {
    server = await startAuthServer({ issueRefreshTokens: false });
    workstation = cliHarness(server);
  });
  afterAll(async () => {
    workstation?.cleanup();
    await server?.close();
  });

  it("is refused, saying why; nothing on stdout, nothing stored, what was issued revoked", async () => {
    const revocations = server.counters.revocations;
    const seeded = await workstation.oauthx(["seed", "local", "--timeout", "30s"]);
    expect(seeded.code).toBe(4);
    expect(seeded.stdout).toBe("");
    expect(seeded.stderr).toContain(
      "Local Test Server issued no refresh token, so there is nothing to seed CI with [AUTH_REQUIRED]",
    );
    expect(seeded.stderr).toContain("oauthx providers show local");
    expect(server.counters.revocations - revocations).toBe(1);
    // No store and no identity were made (the parse cache of providers.yaml is no store).
    expect(
      readdirSync(workstation.home).filter(
        (file) => !file.startsWith("providers") && file !== ".providers-parsed.json",
      ),
    ).toEqual([]);
  });
});
