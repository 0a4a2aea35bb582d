// Which variables oauthx keeps from the processes it starts: its own secrets, under any spelling
// the platform treats as the same variable.

import { describe, expect, it } from "vitest";
import { isOauthxSecret, scrubbedEnv } from "../../src/platform/child-env.ts";

const SECRETS = [
  "OAUTHX_AGE_IDENTITY",
  "OAUTHX_PASSPHRASE",
  "OAUTHX_GITHUB_REFRESH_TOKEN",
  "OAUTHX_MY_APP_2_REFRESH_TOKEN",
  "OAUTHX_GITHUB_CLIENT_SECRET",
  "OAUTHX_AZURE_AD_CLIENT_SECRET",
  "OAUTHX_CORP_API_ID_TOKEN",
];
const NOT_SECRETS = [
  "OAUTHX_HOME",
  "OAUTHX_GITHUB_CLIENT_ID",
  "OAUTHX_LOCK_TIMEOUT_MS",
  "OAUTHX_AGE_IDENTITY_FILE",
  "OAUTHX_ON_ROTATE",
  "OAUTHX_CORP_API_ID_TOKEN_FILE", // a path; the file is the job's
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN", // the job's, which its own tools may need
  "OAUTHX_REFRESH_TOKEN", // no provider id: not a seed
  "GITHUB_REFRESH_TOKEN",
  "MY_OAUTHX_PASSPHRASE",
  "PATH",
];
const lower = (name: string) => name.toLowerCase();
const mixed = (name: string) => name.replace(/[A-Z]/g, (c, i: number) => (i % 2 ? c.toLowerCase() : c));

describe("oauthx secrets in a child's environment", () => {
  it.each(["linux", "darwin", "win32"] as const)(
    "on %s: every kind of secret is removed, the rest kept",
    (platform) => {
      for (const name of SECRETS) expect(isOauthxSecret(name, platform), name).toBe(true);
      for (const name of NOT_SECRETS) expect(isOauthxSecret(name, platform), name).toBe(false);
      const env = Object.fromEntries([...SECRETS, ...NOT_SECRETS].map((name) => [name, `value of ${name}`]));
      expect(scrubbedEnv({ ...env, UNSET: undefined }, platform)).toEqual(
        Object.fromEntries(NOT_SECRETS.map((name) => [name, `value of ${name}`])),
      );
    },
  );

  it("on Windows, where names are case-insensitive, a secret in any case is removed", () => {
    for (const name of SECRETS) {
      for (const spelling of [lower(name), mixed(name)]) {
        expect(isOauthxSecret(spelling, "win32"), spelling).toBe(true);
        expect(scrubbedEnv({ [spelling]: "secret", Path: "C:\\Windows" }, "win32")).toEqual({
          Path: "C:\\Windows",
        });
      }
    }
    for (const name of NOT_SECRETS) expect(isOauthxSecret(lower(name), "win32"), lower(name)).toBe(false);
  });

  it("elsewhere names are case-sensitive: another case is another (non-oauthx) variable", () => {
    for (const platform of ["linux", "darwin"] as const) {
      for (const name of SECRETS) expect(isOauthxSecret(lower(name), platform), lower(name)).toBe(false);
    }
    expect(scrubbedEnv({ oauthx_passphrase: "kept" }, "linux")).toEqual({ oauthx_passphrase: "kept" });
  });

  it("defaults to the platform it runs on", () => {
    expect(isOauthxSecret("oauthx_passphrase")).toBe(process.platform === "win32");
    expect(scrubbedEnv({ oauthx_passphrase: "x" })).toEqual(
      process.platform === "win32" ? {} : { oauthx_passphrase: "x" },
    );
  });
});
