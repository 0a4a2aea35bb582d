// The authorization request (RFC 6749 §4.1.1) with PKCE (RFC 7636 §4.3), `state` (RFC 6749
// §10.12) and, for OpenID Connect requests, `nonce` (OIDC Core §3.1.2.1). The URL goes to a
// browser, its history and possibly its sync service: it never carries the client secret.

import { OauthxError } from "../errors.ts";
import { requireSecureEndpoint } from "./endpoint-url.ts";
import { createPkcePair, randomNonce, randomState } from "./pkce.ts";
import type { AuthorizationServer, Client, ScopeSeparator } from "./types.ts";

/** Parameters this module sets; extra parameters may not replace them. */
const RESERVED = new Set([
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "code_challenge",
  "code_challenge_method",
  "nonce",
  "client_secret",
]);

export interface AuthorizationUrlParams {
  redirect_uri: string;
  scopes: readonly string[];
  /** RFC 6749 §3.3 says space; Slack and Linear want commas. */
  scope_separator?: ScopeSeparator;
  /** The parameter carrying the scopes: `scope` (RFC 6749 §3.3), or Slack's `user_scope`. */
  scope_param?: string;
  state: string;
  /** RFC 7636 S256 challenge; omit only for providers that reject PKCE parameters. */
  code_challenge?: string;
  nonce?: string;
  /** Provider extras (Google `access_type=offline`, Atlassian `audience`). */
  extra_params?: Readonly<Record<string, string>>;
}

/**
 * Builds the authorization URL. The endpoint's own query is kept (RFC 6749 §3.1: "MUST be
 * retained", e.g. Notion's `?owner=user`). An empty scope list omits `scope` (providers with scopes
 * fixed on the app, such as Jobber and Bitbucket).
 */
export function buildAuthorizationUrl(
  server: Pick<AuthorizationServer, "authorization_endpoint">,
  client: Pick<Client, "client_id">,
  params: AuthorizationUrlParams,
): URL {
  const url = requireSecureEndpoint(server.authorization_endpoint, "authorization endpoint");
  const scopeParam = params.scope_param ?? "scope";
  if (RESERVED.has(scopeParam) && scopeParam !== "scope") {
    throw new OauthxError("CONFIG_INVALID", `the scope parameter cannot be ${scopeParam}`, {
      remedy: "fix scope_param in the provider entry",
    });
  }
  for (const name of Object.keys(params.extra_params ?? {})) {
    if (RESERVED.has(name) || name === scopeParam) {
      throw new OauthxError("CONFIG_INVALID", `the extra authorization parameter ${name} is not allowed`, {
        remedy: `remove ${name} from authorize_params; oauthx sets it itself`,
      });
    }
  }
  if (params.state === "") throw new OauthxError("INTERNAL", "an authorization request needs a state");
  const query = url.searchParams;
  query.set("response_type", "code");
  query.set("client_id", client.client_id);
  query.set("redirect_uri", params.redirect_uri);
  if (params.scopes.length > 0) query.set(scopeParam, params.scopes.join(params.scope_separator ?? " "));
  query.set("state", params.state);
  if (params.code_challenge !== undefined) {
    query.set("code_challenge", params.code_challenge);
    query.set("code_challenge_method", "S256");
  }
  if (params.nonce !== undefined) query.set("nonce", params.nonce);
  for (const [name, value] of Object.entries(params.extra_params ?? {})) query.set(name, value);
  return url;
}

export interface PreparedAuthorization {
  url: URL;
  state: string;
  /** Keep for the code exchange (RFC 7636 §4.5); undefined when PKCE is off. */
  code_verifier?: string;
  /** Compared with the ID token's `nonce` claim after the exchange (OIDC Core §3.1.3.7 step 11). */
  nonce?: string;
}

export interface PrepareAuthorizationOptions
  extends Omit<AuthorizationUrlParams, "state" | "code_challenge" | "nonce"> {
  /** `required` and `optional` both send S256; `unsupported` leaves PKCE out. Default `required`. */
  pkce?: "required" | "optional" | "unsupported";
}

/**
 * Draws a fresh state, PKCE pair and (when `openid` is requested) nonce, and builds the URL with
 * them. The caller keeps the returned values for the callback and the code exchange.
 */
export async function prepareAuthorization(
  server: Pick<AuthorizationServer, "authorization_endpoint">,
  client: Pick<Client, "client_id">,
  options: PrepareAuthorizationOptions,
): Promise<PreparedAuthorization> {
  const state = randomState();
  const pkce = options.pkce === "unsupported" ? undefined : await createPkcePair();
  const nonce = options.scopes.includes("openid") ? randomNonce() : undefined;
  const url = buildAuthorizationUrl(server, client, {
    ...options,
    state,
    ...(pkce ? { code_challenge: pkce.code_challenge } : {}),
    ...(nonce ? { nonce } : {}),
  });
  return {
    url,
    state,
    ...(pkce ? { code_verifier: pkce.code_verifier } : {}),
    ...(nonce ? { nonce } : {}),
  };
}
