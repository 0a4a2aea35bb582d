import { describe, expect, it } from "vitest";
import { isOauthxError } from "../../src/errors.ts";
import {
  accountLabelFromClaims,
  checkIdTokenBinding,
  decodeIdTokenClaimsUnverified,
  refreshedIdTokenMatches,
} from "../../src/oauth/id-token.ts";

const b64 = (value: string) => Buffer.from(value).toString("base64url");

describe("ID token claims for display (not verified)", () => {
  it("decodes the payload of a JWS", () => {
    const token = `${b64('{"alg":"RS256"}')}.${b64('{"sub":"u1","email":"ada@example.com"}')}.sig`;
    const claims = decodeIdTokenClaimsUnverified(token);
    expect(claims).toEqual({ sub: "u1", email: "ada@example.com" });
    expect(accountLabelFromClaims(claims)).toBe("ada@example.com");
    expect(accountLabelFromClaims({ sub: "u1", name: "Ada\u001b[2J" })).toBe("Ada[2J");
  });

  it("returns undefined for garbage and never throws", () => {
    for (const value of [
      undefined,
      42,
      "",
      "a.b",
      "a.b.c.d.e",
      `x.${b64("[1]")}.y`,
      "x.!!!.y",
      `x.${b64("{bad")}.y`,
      `x.${b64("null")}.y`,
    ]) {
      expect(decodeIdTokenClaimsUnverified(value)).toBeUndefined();
    }
    expect(accountLabelFromClaims(undefined)).toBeUndefined();
    expect(accountLabelFromClaims({ email: 3 })).toBeUndefined();
  });
});

describe("checkIdTokenBinding (OIDC Core §3.1.3.7 steps 3 and 11)", () => {
  const expected = { clientId: "oauthx-cli", nonce: "n-0123456789" };
  const rejection = (claims: Record<string, unknown>) => {
    try {
      checkIdTokenBinding(claims, expected);
      return undefined;
    } catch (error) {
      return error;
    }
  };

  it("accepts our client in aud (a string or a list) and our nonce", () => {
    expect(rejection({ aud: "oauthx-cli", nonce: "n-0123456789" })).toBeUndefined();
    expect(rejection({ aud: ["other", "oauthx-cli"], nonce: "n-0123456789" })).toBeUndefined();
  });

  it("rejects an ID token issued to another client, without echoing the claims", () => {
    const error = rejection({ aud: "someone-else", nonce: "n-0123456789" });
    expect(isOauthxError(error, "INVALID_RESPONSE")).toBe(true);
    expect(String((error as Error).message)).toContain("another client");
    expect(String((error as Error).message)).not.toContain("someone-else");
    expect(isOauthxError(rejection({ aud: ["a", "b"] }), "INVALID_RESPONSE")).toBe(true);
  });

  it("rejects a nonce from another login", () => {
    const error = rejection({ aud: "oauthx-cli", nonce: "n-from-elsewhere" });
    expect(isOauthxError(error, "INVALID_RESPONSE")).toBe(true);
    expect(String((error as Error).message)).toContain("another login");
    expect(String((error as Error).message)).not.toContain("n-from-elsewhere");
  });

  it("rejects a missing aud, and a missing nonce when this login sent one (OIDC Core §3.1.3.7)", () => {
    const noAud = rejection({ sub: "u1", nonce: "n-0123456789" });
    expect(isOauthxError(noAud, "INVALID_RESPONSE")).toBe(true);
    expect(String((noAud as Error).message)).toContain("no audience");
    const noNonce = rejection({ aud: "oauthx-cli" });
    expect(isOauthxError(noNonce, "INVALID_RESPONSE")).toBe(true);
    expect(String((noNonce as Error).message)).toContain("no nonce");
  });

  it("rejects an ID token that cannot be read", () => {
    expect(() => checkIdTokenBinding(undefined, expected)).toThrow(/cannot be read/);
  });

  it("ignores the nonce claim when this login sent none", () => {
    expect(() =>
      checkIdTokenBinding({ aud: "oauthx-cli", nonce: "x" }, { clientId: "oauthx-cli" }),
    ).not.toThrow();
    expect(() => checkIdTokenBinding({ aud: "oauthx-cli" }, { clientId: "oauthx-cli" })).not.toThrow();
  });
});

describe("refreshedIdTokenMatches (OIDC Core §12.2)", () => {
  const original = { iss: "https://idp.example", sub: "u1", aud: "oauthx-cli" };
  it("keeps an ID token of the same login: same iss, sub and aud, naming our client", () => {
    expect(refreshedIdTokenMatches({ ...original, exp: 2 }, original, "oauthx-cli")).toBe(true);
    expect(refreshedIdTokenMatches({ ...original, aud: ["oauthx-cli"] }, undefined, "oauthx-cli")).toBe(true);
  });
  it("refuses one for another subject, issuer or client, and one that cannot be read", () => {
    expect(refreshedIdTokenMatches({ ...original, sub: "u2" }, original, "oauthx-cli")).toBe(false);
    expect(
      refreshedIdTokenMatches({ ...original, iss: "https://other.example" }, original, "oauthx-cli"),
    ).toBe(false);
    expect(refreshedIdTokenMatches({ ...original, aud: "someone" }, undefined, "oauthx-cli")).toBe(false);
    expect(refreshedIdTokenMatches(undefined, original, "oauthx-cli")).toBe(false);
  });
});
