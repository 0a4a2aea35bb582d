import { describe, expect, it } from "vitest";
import { accountLabelFromClaims, decodeIdTokenClaimsUnverified } from "../../src/oauth/id-token.ts";

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
