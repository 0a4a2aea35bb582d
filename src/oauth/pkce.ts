// Random values of the authorization request: the PKCE pair (RFC 7636), `state` (RFC 6749 §10.12)
// and the OIDC `nonce` (OpenID Connect Core 1.0 §3.1.2.1), all from the platform CSPRNG
// (`crypto.getRandomValues`, the same on Node, Bun and Deno).

import { encodeBase64Url } from "./base64url.ts";

/** RFC 7636 §4.1: code-verifier = 43*128unreserved. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export interface PkcePair {
  code_verifier: string;
  code_challenge: string;
  code_challenge_method: "S256";
}

function randomBase64Url(byteLength: number): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(byteLength)));
}

/**
 * RFC 7636 §4.1: a high-entropy verifier of `length` unreserved characters (default 64, i.e. 384
 * bits). Base64url only uses unreserved characters, so each character carries 6 random bits.
 */
export function generateCodeVerifier(length = 64): string {
  if (!Number.isInteger(length) || length < 43 || length > 128) {
    throw new RangeError("a PKCE code verifier has 43 to 128 characters (RFC 7636 §4.1)");
  }
  return randomBase64Url(Math.ceil((length * 3) / 4)).slice(0, length);
}

/** RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))). */
export async function computeCodeChallenge(codeVerifier: string): Promise<string> {
  if (!VERIFIER.test(codeVerifier)) {
    throw new RangeError("a PKCE code verifier has 43 to 128 unreserved characters (RFC 7636 §4.1)");
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(codeVerifier));
  return encodeBase64Url(new Uint8Array(digest));
}

/** A fresh verifier and its S256 challenge. `plain` is never offered (RFC 7636 §7.2). */
export async function createPkcePair(): Promise<PkcePair> {
  const code_verifier = generateCodeVerifier();
  return {
    code_verifier,
    code_challenge: await computeCodeChallenge(code_verifier),
    code_challenge_method: "S256",
  };
}

/** RFC 6749 §10.12 / RFC 9700 §4.7.1: an unguessable `state`, 256 bits, base64url. */
export function randomState(): string {
  return randomBase64Url(32);
}

/** OIDC Core §3.1.2.1 / §15.5.2: a `nonce` bound to this request, 256 bits. */
export function randomNonce(): string {
  return randomBase64Url(32);
}

/**
 * Compares two strings in time that depends only on their lengths, so a local attacker probing the
 * loopback server learns nothing about the expected `state` from response timing.
 */
export function timingSafeEqualString(actual: string, expected: string): boolean {
  const a = new TextEncoder().encode(actual);
  const b = new TextEncoder().encode(expected);
  let difference = a.length ^ b.length;
  for (let index = 0; index < b.length; index++) {
    difference |= (a[index % Math.max(a.length, 1)] ?? 0) ^ (b[index] as number);
  }
  return difference === 0;
}
