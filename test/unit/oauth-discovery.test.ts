import { describe, expect, it } from "vitest";
import { isOauthxError } from "../../src/errors.ts";
import { discoveryUrls, validateMetadata } from "../../src/oauth/discovery.ts";

describe("discovery", () => {
  it("derives both well-known URLs (OIDC §4, RFC 8414 §3.1 path insertion)", () => {
    expect(discoveryUrls("https://as.example.com").map(String)).toEqual([
      "https://as.example.com/.well-known/openid-configuration",
      "https://as.example.com/.well-known/oauth-authorization-server",
    ]);
    expect(discoveryUrls("https://as.example.com/tenant/v2.0/").map(String)).toEqual([
      "https://as.example.com/tenant/v2.0/.well-known/openid-configuration",
      "https://as.example.com/.well-known/oauth-authorization-server/tenant/v2.0",
    ]);
  });

  const source = new URL("https://as.example.com/.well-known/openid-configuration");
  const document = { issuer: "https://as.example.com", token_endpoint: "https://as.example.com/token" };

  it("validates the document and the exact issuer (RFC 8414 §3.3)", () => {
    expect(validateMetadata(document, "https://as.example.com", source).token_endpoint).toBe(
      "https://as.example.com/token",
    );
    try {
      validateMetadata(document, "https://as.example.com/", source);
      expect.unreachable();
    } catch (error) {
      expect(isOauthxError(error, "ISSUER_MISMATCH")).toBe(true);
    }
  });

  it("refuses insecure or missing endpoints", () => {
    for (const bad of [
      { ...document, token_endpoint: "http://as.example.com/token" },
      { issuer: "https://as.example.com" },
      { ...document, authorization_response_iss_parameter_supported: "yes" },
    ]) {
      try {
        validateMetadata(bad, "https://as.example.com", source);
        expect.unreachable();
      } catch (error) {
        expect(isOauthxError(error, "INVALID_RESPONSE")).toBe(true);
      }
    }
  });
});
