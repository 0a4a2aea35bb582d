// Where a federated provider's identity token comes from, in the documented order, and what oauthx
// checks of it before sending it anywhere (docs/ci.md "No stored secret"). No server is needed:
// these sources read the environment and files; the GitHub request API is exercised end to end in
// test/e2e/federation-*.test.ts.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeTrustClaims } from "../../src/core/federation/identity-claims.ts";
import { findIdentitySource } from "../../src/core/federation/identity-source.ts";
import { isOauthxError } from "../../src/errors.ts";
import { fakeContext } from "../support/fake-context.ts";
import { rejection } from "../support/rejection.ts";

const NOW = 1_800_000_000_000;
const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
/** An unsigned token shaped as a JWT: oauthx reads its claims, the provider checks the signature. */
const jwt = (claims: Record<string, unknown>) => `${part({ alg: "ES256" })}.${part(claims)}.c2lnbmF0dXJl`;
const fresh = jwt({
  iss: "https://ci.example",
  sub: "repo:acme/app",
  aud: "https://sso.example",
  exp: NOW / 1000 + 300,
});

const dir = mkdtempSync(join(tmpdir(), "oauthx-federation-identity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx = (env: Record<string, string>) => fakeContext({ home: dir, env, now: () => NOW });

describe("identity token sources", () => {
  it("takes OAUTHX_<ID>_ID_TOKEN first, then _FILE, then the GitHub request API", () => {
    const file = join(dir, "token");
    writeFileSync(file, fresh);
    const github = {
      ACTIONS_ID_TOKEN_REQUEST_URL: "https://gh.example/t",
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "rt",
    };
    expect(findIdentitySource(ctx({ ...github }), "corp-api")?.kind).toBe("github-actions");
    expect(
      findIdentitySource(ctx({ ...github, OAUTHX_CORP_API_ID_TOKEN_FILE: file }), "corp-api")?.kind,
    ).toBe("file");
    expect(
      findIdentitySource(
        ctx({ ...github, OAUTHX_CORP_API_ID_TOKEN_FILE: file, OAUTHX_CORP_API_ID_TOKEN: fresh }),
        "corp-api",
      )?.kind,
    ).toBe("env");
    expect(findIdentitySource(ctx({ OAUTHX_OTHER_ID_TOKEN: fresh }), "corp-api")).toBeUndefined();
  });

  it("reads a file afresh at every exchange (the kubelet rotates it)", async () => {
    const file = join(dir, "rotating");
    writeFileSync(file, fresh);
    const source = findIdentitySource(ctx({ OAUTHX_CORP_API_ID_TOKEN_FILE: file }), "corp-api");
    expect(await source?.identityToken("ignored")).toBe(fresh);
    const rotated = jwt({ sub: "repo:acme/app", exp: NOW / 1000 + 600 });
    writeFileSync(file, `${rotated}\n`);
    expect(await source?.identityToken("ignored")).toBe(rotated);
  });

  it("refuses an expired, empty or non-JWT identity token before sending it, never quoting it", async () => {
    const expired = jwt({ sub: "x", exp: NOW / 1000 - 1 });
    for (const [value, message] of [
      [expired, /identity token in OAUTHX_CORP_API_ID_TOKEN expired at 2027-01-15T07:59:59/],
      ["  ", /OAUTHX_CORP_API_ID_TOKEN is set but empty/],
      ["not-a-jwt", /holds no JWT/],
    ] as const) {
      const source = findIdentitySource(ctx({ OAUTHX_CORP_API_ID_TOKEN: value }), "corp-api");
      const error = await rejection(source?.identityToken("a") ?? Promise.resolve());
      expect(isOauthxError(error, "ID_TOKEN_UNAVAILABLE"), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
      if (value.trim() !== "") expect((error as Error).message).not.toContain(value);
    }
  });

  it("keys the cache by a secret only the job holds, never by the claims alone", () => {
    const github = (token: string) =>
      findIdentitySource(
        ctx({ ACTIONS_ID_TOKEN_REQUEST_URL: "https://gh.example/t", ACTIONS_ID_TOKEN_REQUEST_TOKEN: token }),
        "corp-api",
      )?.cacheSecret();
    expect(github("job-1")).not.toBe(github("job-2"));
    // Two identity tokens with the same claims but different signatures are different keys.
    const resigned = fresh.replace(/\.[^.]+$/, ".b3RoZXI");
    const env = (token: string) =>
      findIdentitySource(ctx({ OAUTHX_CORP_API_ID_TOKEN: token }), "corp-api")?.cacheSecret();
    expect(env(fresh)).not.toBe(env(resigned));
  });

  it("shows iss, sub and aud of a refused token, cleaned of control characters", () => {
    expect(describeTrustClaims(fresh)).toBe(
      "iss=https://ci.example sub=repo:acme/app aud=https://sso.example",
    );
    expect(describeTrustClaims(jwt({ sub: "a\u001b[31mb", aud: ["x", "y"] }))).toBe(
      "iss=(none) sub=a?[31mb aud=x,y",
    );
  });

  it("shows a hostile aud briefly: thousands of members, or arrays nested thousands deep", () => {
    const many = describeTrustClaims(jwt({ iss: "https://ci.example", aud: Array(6000).fill("aaaaa") }));
    expect(many).toBe("iss=https://ci.example sub=(none) aud=aaaaa,aaaaa,aaaaa,aaaaa,… (6000 in all)");
    const nested = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    const deep = `${part({ alg: "ES256" })}.${Buffer.from(`{"aud":${nested}}`).toString("base64url")}.c2ln`;
    expect(describeTrustClaims(deep)).toBe("iss=(none) sub=(none) aud=(none)");
  });
});
