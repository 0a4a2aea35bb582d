// Lower-case hex of bytes, and random hex ids (lock tokens, temp file names).

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** `byteLength` random bytes from the platform CSPRNG, as hex. */
export function randomHex(byteLength: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(byteLength)));
}
