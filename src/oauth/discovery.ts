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
  const tried: string[] = [];
  for (const first of discoveryUrls(issuer)) {
    const found = await fetchFollowingRedirects(first, options, tried);
    if (found === undefined) continue;
    const document = parseJsonObject(found.body);
    if (document === undefined) {
      throw new OauthxError(
        "INVALID_RESPONSE",
        `the discovery document at ${describeEndpoint(found.url)} is not a JSON object`,
        {
          remedy: "check the provider's issuer",
        },
      );
    }
    return validateMetadata(document, issuer, found.url);
  }
  // Every address and its answer: a 301 on the first is often the whole story, and hiding it
  // behind the last URL's 404 sends the user looking in the wrong place.
  throw new OauthxError("CONFIG_INVALID", `no discovery document for ${issuer}: ${tried.join("; ")}`, {
    remedy: "check the issuer, or configure the endpoints in the provider entry",
  });
}

/** Redirects followed per well-known address; a server needs one (a trailing slash), not a chain. */
const MAX_DISCOVERY_REDIRECTS = 3;

/**
 * GETs a well-known address, following redirects within its origin only: some servers serve the
 * document at the same path with a trailing slash (Django OAuth Toolkit answers 301 without it).
 * Nothing secret is sent on a discovery GET, and the issuer check still applies to what is found;
 * staying on the origin keeps a redirect from making another host the source of the endpoints.
 * Records each address and its answer in `tried`.
 */
async function fetchFollowingRedirects(
  first: URL,
  options: HttpOptions,
  tried: string[],
): Promise<{ url: URL; body: string } | undefined> {
  let url = first;
  for (let hop = 0; ; hop++) {
    const result = await sendHttp({ method: "GET", url, headers: { accept: "application/json" } }, options);
    const where = describeEndpoint(url);
    if (result.status >= 200 && result.status < 300) return { url, body: result.body };
    const location = result.headers.get("location");
    const redirect = REDIRECTS.has(result.status) && location !== null ? resolve(location, url) : undefined;
    if (redirect === undefined) {
      tried.push(`${where} answered HTTP ${result.status}`);
      return undefined;
    }
    if (redirect.origin !== url.origin || !isSecureEndpoint(redirect)) {
      tried.push(`${where} redirected to another origin, ${redirect.origin}, not followed`);
      return undefined;
    }
    if (hop >= MAX_DISCOVERY_REDIRECTS) {
      tried.push(`${where} answered HTTP ${result.status} after ${hop} redirects, not followed further`);
      return undefined;
    }
    tried.push(`${where} answered HTTP ${result.status} → ${describeEndpoint(redirect)}`);
    url = redirect;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function resolve(location: string, base: URL): URL | undefined {
  return URL.canParse(location, base) ? new URL(location, base) : undefined;
}
