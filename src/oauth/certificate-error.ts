// A server certificate this machine does not trust, named as such (docs/security.md "Private CAs
// and proxies"). Shared by the OAuth requests (http.ts) and `oauthx api`, which sends its request
// without the HTTP client; it imports nothing but the error model.

import { OauthxError } from "../errors.ts";

/**
 * Certificate verification failures, by the codes Node (OpenSSL's names), Bun (the same names)
 * and Deno (rustls's words, in the message only) give them. Named, because "could not reach host"
 * sends a user behind a company's TLS inspection to check the network, when the fix is to trust
 * the company's root CA. Verification is never turned off: the remedy adds a trusted root.
 */
const CERTIFICATE_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_CRL",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
]);
const CERTIFICATE_MESSAGE =
  /invalid peer certificate|certificate verify failed|UnknownIssuer|NotValidForName|self[- ]signed certificate/i;

/** The certificate problem in the error chain (a code, or "certificate rejected"), if there is one. */
export function certificateProblem(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && CERTIFICATE_CODES.has(code)) return code;
    if (CERTIFICATE_MESSAGE.test(current.message)) {
      const word = /UnknownIssuer|NotValidForName|Expired|self[- ]signed certificate/i.exec(current.message);
      return word ? word[0] : "certificate rejected";
    }
    current = current.cause;
  }
  return undefined;
}

/** TLS_UNTRUSTED for `host` when the error chain is a certificate failure; undefined otherwise. */
export function untrustedCertificate(host: string, error: unknown): OauthxError | undefined {
  const certificate = certificateProblem(error);
  if (certificate === undefined) return undefined;
  return new OauthxError("TLS_UNTRUSTED", `the certificate of ${host} is not trusted (${certificate})`, {
    remedy:
      "behind a TLS-inspecting proxy or a private CA, point NODE_EXTRA_CA_CERTS (or SSL_CERT_FILE) at its root CA certificate (PEM); docs/security.md",
  });
}
