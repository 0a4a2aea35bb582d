// Authorization server metadata: OpenID Connect Discovery 1.0 §4 first, then RFC 8414 §3. The
// document's `issuer` must be identical to the configured one (RFC 8414 §3.3, OIDC Discovery §4.3)
// — otherwise a document served at one address could redirect us to another server's endpoints.
// The caller caches the result; this module only fetches and validates.

import * as v from "valibot";
import { OauthxError } from "../errors.ts";
import { describeEndpoint, isSecureEndpoint, requireSecureEndpoint } from "./endpoint-url.ts";
import { parseJsonObject, sendHttp } from "./http.ts";
import { describeInvalidMember } from "./invalid-member.ts";
import type { AuthorizationServer, HttpOptions } from "./types.ts";

export interface AuthorizationServerMetadata extends AuthorizationServer {
  issuer: string;
  jwks_uri?: string;
  scopes_supported?: string[];
  response_types_supported?: string[];
  grant_types_supported?: string[];
  code_challenge_methods_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  revocation_endpoint_auth_methods_supported?: string[];
}

/**
 * The two well-known addresses, in the order tried:
 *   - OIDC Discovery §4: the issuer (trailing "/" removed) + "/.well-known/openid-configuration";
 *   - RFC 8414 §3.1: "/.well-known/oauth-authorization-server" inserted between host and path.
 */
export function discoveryUrls(issuer: string): URL[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, "");
  const oidc = new URL(`${path}/.well-known/openid-configuration`, url.origin);
  const rfc8414 = new URL(`/.well-known/oauth-authorization-server${path}`, url.origin);
  return [oidc, rfc8414];
}

const endpoint = (name: string) =>
  v.pipe(
    v.string(`${name} must be a string`),
    v.check(
      (value) => URL.canParse(value) && isSecureEndpoint(new URL(value)),
      `${name} must be an https URL`,
    ),
  );
const stringList = (name: string) =>
  v.array(v.string(`${name} must list strings`), `${name} must be an array`);

const metadataSchema = v.object({
  issuer: v.pipe(v.string("issuer must be a string"), v.nonEmpty("issuer is empty")),
  authorization_endpoint: v.optional(endpoint("authorization_endpoint")),
  token_endpoint: endpoint("token_endpoint"),
  revocation_endpoint: v.optional(endpoint("revocation_endpoint")),
  device_authorization_endpoint: v.optional(endpoint("device_authorization_endpoint")),
  userinfo_endpoint: v.optional(endpoint("userinfo_endpoint")),
  jwks_uri: v.optional(endpoint("jwks_uri")),
  authorization_response_iss_parameter_supported: v.optional(
    v.boolean("authorization_response_iss_parameter_supported must be a boolean"),
  ),
  scopes_supported: v.optional(stringList("scopes_supported")),
  response_types_supported: v.optional(stringList("response_types_supported")),
  grant_types_supported: v.optional(stringList("grant_types_supported")),
  code_challenge_methods_supported: v.optional(stringList("code_challenge_methods_supported")),
  token_endpoint_auth_methods_supported: v.optional(stringList("token_endpoint_auth_methods_supported")),
  revocation_endpoint_auth_methods_supported: v.optional(
    stringList("revocation_endpoint_auth_methods_supported"),
  ),
});

/** Validates a metadata document against the issuer it was fetched for. */
export function validateMetadata(
  document: unknown,
  issuer: string,
  source: URL,
): AuthorizationServerMetadata {
  const parsed = v.safeParse(metadataSchema, document);
  if (!parsed.success) {
    const detail = describeInvalidMember(parsed.issues[0], "the document");
    throw new OauthxError(
      "INVALID_RESPONSE",
      `the discovery document at ${describeEndpoint(source)} is invalid: ${detail}`,
      {
        remedy: "configure the endpoints in the provider entry instead of relying on discovery",
      },
    );
  }
  // RFC 8414 §3.3: "MUST be identical" — a simple string comparison, no normalisation.
  if (parsed.output.issuer !== issuer) {
    throw new OauthxError(
      "ISSUER_MISMATCH",
      `the discovery document at ${describeEndpoint(source)} names a different issuer than the configured ${issuer}`,
      {
        remedy:
          "set the provider's issuer to exactly the value the server publishes (mind the trailing slash)",
      },
    );
  }
  return parsed.output;
}

/** Fetches and validates the metadata of `issuer`. */
export async function discover(
  issuer: string,
  options: HttpOptions = {},
): Promise<AuthorizationServerMetadata> {
  const issuerUrl = requireSecureEndpoint(issuer, "issuer");
  // RFC 8414 §2: the issuer has no query or fragment.
  if (issuerUrl.search !== "") {
    throw new OauthxError("CONFIG_INVALID", "the issuer must not have a query", {
      remedy: "fix the provider's issuer",
    });
  }
  let lastStatus = 0;
  for (const url of discoveryUrls(issuer)) {
    const result = await sendHttp({ method: "GET", url, headers: { accept: "application/json" } }, options);
    lastStatus = result.status;
    if (result.status < 200 || result.status >= 300) continue;
    const document = parseJsonObject(result.body);
    if (document === undefined) {
      throw new OauthxError(
        "INVALID_RESPONSE",
        `the discovery document at ${describeEndpoint(url)} is not a JSON object`,
        {
          remedy: "check the provider's issuer",
        },
      );
    }
    return validateMetadata(document, issuer, url);
  }
  throw new OauthxError("CONFIG_INVALID", `no discovery document for ${issuer} (HTTP ${lastStatus})`, {
    remedy: "check the issuer, or configure the endpoints in the provider entry",
  });
}
