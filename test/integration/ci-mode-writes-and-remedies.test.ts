// CI mode (a seed in the environment), in-process: nothing is written under OAUTHX_HOME whatever the
// command (issue 24: `status` wrote the providers parse memo), and no remedy names `oauthx login`,
// whatever the error (core/ci-remedy.ts).

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inCiTerms } from "../../src/core/ci-remedy.ts";
import { OauthxError } from "../../src/errors.ts";
import { main } from "../../src/main.ts";
import { fakeContext } from "../support/fake-context.ts";

describe("CI mode", () => {
  let root: string;
  let home: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "oauthx-ci-field-"));
    home = join(root, "home");
    // The job's checked-in providers file: a user provider besides the built-ins.
    mkdirSync(home, { mode: 0o700 });
    writeFileSync(
      join(home, "providers.yaml"),
      "providers:\n  acme:\n    name: Acme\n    issuer: https://sso.acme.example\n    client_id: cli\n",
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const env = {
    OAUTHX_ACME_REFRESH_TOKEN: "seed-value",
    OAUTHX_CI_CACHE_DIR: join(tmpdir(), "oauthx-ci-field-cache"),
  };

  it("status, providers and doctor --offline write nothing under OAUTHX_HOME", async () => {
    for (const argv of [["status"], ["status", "--json"], ["providers"], ["doctor", "--offline"]]) {
      const ctx = fakeContext({ home, env });
      await main(argv, ctx);
      expect(readdirSync(home), argv.join(" ")).toEqual(["providers.yaml"]);
    }
    expect(existsSync(join(home, ".providers-parsed.json"))).toBe(false);
  });

  it("a missing login names the seed to set, not `oauthx login`", async () => {
    const ctx = fakeContext({ home, env });
    const status = await main(["token", "github"], ctx);
    expect(status).toBe(4);
    expect(ctx.err()).toContain("not logged in to github [AUTH_REQUIRED]");
    expect(ctx.err()).not.toContain("oauthx login");
    expect(ctx.err()).toContain("re-seed OAUTHX_GITHUB_REFRESH_TOKEN");
    // Outside CI the same error keeps its workstation remedy.
    const workstation = fakeContext({ home, env: {} });
    await main(["token", "github"], workstation);
    expect(workstation.err()).toContain("run `oauthx login github`");
  });

  it("rewrites any remedy naming `oauthx login`, keeping code and message", () => {
    for (const remedy of [
      "run `oauthx login acme`",
      "run `oauthx login acme --profile work`",
      "log in with it: oauthx login acme --scope read",
      "sign in again: oauthx login",
    ]) {
      const error = inCiTerms(
        new OauthxError("TOKEN_EXCHANGE_FAILED", "the token request failed", { remedy }),
        env,
      );
      expect(error.code).toBe("TOKEN_EXCHANGE_FAILED");
      expect(error.message).toBe("the token request failed");
      expect(error.remedy).not.toContain("oauthx login");
      expect(error.remedy).toMatch(/^re-seed OAUTHX_(ACME|<ID>)_REFRESH_TOKEN/);
    }
    const other = new OauthxError("NETWORK", "could not reach x", { remedy: "check your connection" });
    expect(inCiTerms(other, env)).toBe(other);
  });
});
