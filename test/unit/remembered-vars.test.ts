// An OAUTHX_<ID>_<VAR> that names another value than a login remembers (security review, issue 24
// item 2): the login's token is not handed out, and the remedy names a profile that fits.

import { describe, expect, it } from "vitest";
import { assertEnvAgrees } from "../../src/core/remembered-vars.ts";
import type { TokenEntry } from "../../src/store/document.ts";

const login = (issuer: string): TokenEntry => ({
  access_token: "at",
  token_type: "Bearer",
  scopes: [],
  obtained_at: 0,
  vars: { issuer },
});
const A = "https://sso-a.example/realms/x";
const B = "https://sso-b.example/realms/x";
const failure = (check: () => void) => {
  try {
    check();
  } catch (error) {
    return error as { code: string; message: string; remedy: string };
  }
  throw new Error("accepted");
};

describe("environment values against a login's remembered ones", () => {
  it("agree when unset, empty, equal, or equal but for a trailing slash", () => {
    for (const value of [undefined, "", A, `${A}/`]) {
      expect(() => assertEnvAgrees({ OAUTHX_OIDC_ISSUER: value }, "oidc", "default", login(A))).not.toThrow();
    }
    // A login that remembers nothing (a CI seed) has nothing to contradict.
    expect(() =>
      assertEnvAgrees({ OAUTHX_OIDC_ISSUER: B }, "oidc", "default", { ...login(A), vars: undefined }),
    ).not.toThrow();
  });

  it("another value is ORIGIN_MISMATCH naming both; the remedy names a profile made for it", () => {
    const error = failure(() =>
      assertEnvAgrees({ OAUTHX_OIDC_ISSUER: B }, "oidc", "default", login(A), {
        default: login(A),
        "cluster-b": login(B),
      }),
    );
    expect(error).toEqual(
      expect.objectContaining({
        code: "ORIGIN_MISMATCH",
        message: `OAUTHX_OIDC_ISSUER is ${B}, but the oidc login was made for issuer ${A}; refusing to hand out its token`,
        remedy: `pass --profile cluster-b: that login was made for issuer ${B}`,
      }),
    );
    const none = failure(() => assertEnvAgrees({ OAUTHX_OIDC_ISSUER: B }, "oidc", "work", login(A)));
    expect(none.message).toContain("the oidc login (profile work) was made for issuer");
    expect(none.remedy).toBe(
      "log in for it (oauthx login oidc --profile NAME --set issuer=VALUE) and pass --profile NAME; else unset OAUTHX_OIDC_ISSUER",
    );
  });

  it("shows an environment value's control characters as ?", () => {
    const error = failure(() =>
      assertEnvAgrees({ OAUTHX_OIDC_ISSUER: "https://x\u001b[2J" }, "oidc", "default", login(A)),
    );
    expect(error.message).toContain("OAUTHX_OIDC_ISSUER is https://x?[2J,");
  });
});
