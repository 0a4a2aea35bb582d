import { describe, expect, it } from "vitest";
import {
  computeCodeChallenge,
  createPkcePair,
  generateCodeVerifier,
  randomNonce,
  randomState,
  timingSafeEqualString,
} from "../../src/oauth/pkce.ts";

describe("PKCE (RFC 7636)", () => {
  it("computes the S256 challenge of the Appendix B example", async () => {
    expect(await computeCodeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("draws verifiers of 43 to 128 unreserved characters", () => {
    for (const length of [43, 64, 128]) {
      const verifier = generateCodeVerifier(length);
      expect(verifier).toMatch(/^[A-Za-z0-9\-._~]+$/);
      expect(verifier).toHaveLength(length);
    }
    expect(() => generateCodeVerifier(42)).toThrow(RangeError);
    expect(() => generateCodeVerifier(129)).toThrow(RangeError);
    expect(generateCodeVerifier()).not.toBe(generateCodeVerifier());
  });

  it("refuses a malformed verifier", async () => {
    await expect(computeCodeChallenge("short")).rejects.toThrow(RangeError);
    await expect(computeCodeChallenge(`${"a".repeat(50)} space`)).rejects.toThrow(RangeError);
  });

  it("pairs a verifier with its challenge", async () => {
    const pair = await createPkcePair();
    expect(pair.code_challenge_method).toBe("S256");
    expect(await computeCodeChallenge(pair.code_verifier)).toBe(pair.code_challenge);
  });

  it("draws state and nonce with at least 128 bits, base64url", () => {
    const state = randomState();
    expect(state).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(state.length * 6).toBeGreaterThanOrEqual(128);
    expect(randomState()).not.toBe(state);
    expect(randomNonce()).toMatch(/^[A-Za-z0-9_-]{22,}$/);
  });

  it("compares strings", () => {
    expect(timingSafeEqualString("abc", "abc")).toBe(true);
    expect(timingSafeEqualString("abc", "abd")).toBe(false);
    expect(timingSafeEqualString("ab", "abc")).toBe(false);
    expect(timingSafeEqualString("", "abc")).toBe(false);
    expect(timingSafeEqualString("abcd", "abc")).toBe(false);
    expect(timingSafeEqualString("", "")).toBe(true);
    expect(timingSafeEqualString("é", "é")).toBe(true);
  });
});
