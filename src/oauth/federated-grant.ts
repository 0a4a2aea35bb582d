// The three ways a token endpoint takes a workload's identity token (a JWT another issuer signed:
// a CI job's OpenID Connect token) in exchange for an access token:
//
//   token-exchange    RFC 8693 §2.1: grant_type urn:ietf:params:oauth:grant-type:token-exchange,
//                     the JWT as `subject_token` with its `subject_token_type`, and optionally the
//                     target (`audience`, `resource`) and the `requested_token_type`.
//   jwt-bearer        RFC 7523 §2.1: grant_type urn:ietf:params:oauth:grant-type:jwt-bearer, the
//                     JWT as `assertion`.
//   client-assertion  RFC 7523 §2.2 with RFC 6749 §4.4: grant_type client_credentials, the JWT as
//                     the client's `client_assertion` (type ...:client-assertion-type:jwt-bearer)
//                     beside its `client_id` (Microsoft Entra federated credentials).
//
// A refusal (RFC 6749 §5.2, RFC 8693 §2.2.2: invalid_grant, invalid_client, invalid_target) is
// FEDERATION_REFUSED; the caller adds what the user needs to fix a trust policy. No message holds
// the JWT: only the server's own `error` and `error_description`.

import { OauthxError } from "../errors.ts";
import { requireSecureEndpoint } from "./endpoint-url.ts";
import { describeOAuthError } from "./oauth-error.ts";
import { postClientRequest, tokenEndpointError } from "./token-endpoint.ts";
import { readTokenResponse } from "./token-response.ts";
import type { AuthorizationServer, Client, ScopeSeparator, TokenRequestOptions, TokenSet } from "./types.ts";

export type FederatedGrantKind = "token-exchange" | "jwt-bearer" | "client-assertion";

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const JWT_CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** RFC 8693 §3: the identity token is a JWT. */
export const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";

export interface FederatedGrant {
  kind: FederatedGrantKind;
  /** The workload's identity token (a JWT). Never logged, never in a message. */
  assertion: string;
  /** Sent as `client_id` when set; client-assertion needs it (RFC 7523 §3 `sub`/`iss` is the client). */
  client_id?: string;
  /**
   * A confidential client's own authentication (RFC 6749 §2.3.1), for token-exchange and
   * jwt-bearer at servers that want it (Keycloak's token exchange). Never with client-assertion,
   * where the identity token is the client's authentication (RFC 6749 §2.3: one method only).
   */
  client?: Client;
  scopes?: readonly string[];
  scope_separator?: ScopeSeparator;
  /** token-exchange only (RFC 8693 §2.1). */
  subject_token_type?: string;
  requested_token_type?: string;
  exchange_audience?: string;
  exchange_resource?: string;
}

/** The request members of one federated grant. */
export function federatedGrantParams(grant: FederatedGrant): Record<string, string> {
  const scope =
    grant.scopes && grant.scopes.length > 0 ? grant.scopes.join(grant.scope_separator ?? " ") : "";
  const common: Record<string, string> = {
    ...(grant.client_id ? { client_id: grant.client_id } : {}),
    ...(scope ? { scope } : {}),
  };
  switch (grant.kind) {
    case "token-exchange":
      return {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: grant.assertion,
        subject_token_type: grant.subject_token_type ?? JWT_TOKEN_TYPE,
        ...(grant.requested_token_type ? { requested_token_type: grant.requested_token_type } : {}),
        ...(grant.exchange_audience ? { audience: grant.exchange_audience } : {}),
        ...(grant.exchange_resource ? { resource: grant.exchange_resource } : {}),
        ...common,
      };
    case "jwt-bearer":
      return { grant_type: JWT_BEARER_GRANT, assertion: grant.assertion, ...common };
    case "client-assertion":
      if (!grant.client_id) {
        throw new OauthxError("CONFIG_MISSING", "a client assertion needs a client id", {
          remedy: "set client_id in the provider entry, or OAUTHX_<ID>_CLIENT_ID",
        });
      }
      return {
        grant_type: "client_credentials",
        client_assertion_type: JWT_CLIENT_ASSERTION_TYPE,
        client_assertion: grant.assertion,
        ...common,
      };
  }
}

/**
 * Sends the grant. Never retried once it may have reached the server: providers may refuse an
 * identity token they have seen (a replayed `jti`). Throws FEDERATION_REFUSED on an OAuth error.
 */
export async function requestFederatedToken(
  server: Pick<AuthorizationServer, "token_endpoint">,
  grant: FederatedGrant,
  options: TokenRequestOptions = {},
): Promise<TokenSet> {
  const url = requireSecureEndpoint(server.token_endpoint, "token endpoint");
  const authenticated =
    grant.kind !== "client-assertion" && grant.client !== undefined && grant.client.client_auth !== "none";
  const members = federatedGrantParams(grant);
  // An authenticated client names itself: in the body with client_secret_post, in the header alone
  // with client_secret_basic (client-auth.ts says why).
  if (authenticated) delete members.client_id;
  const result = await postClientRequest(url, authenticated ? grant.client : undefined, members, options);
  const outcome = readTokenResponse(result, options.response, grant.scope_separator ?? " ");
  if (outcome.kind === "tokens") return outcome.tokens;
  if (outcome.kind === "oauth-error") {
    throw new OauthxError(
      "FEDERATION_REFUSED",
      `${url.host} refused the ${grant.kind} grant (${describeOAuthError(outcome.error)})`,
      { remedy: "check the trust policy at the provider against the identity token's claims" },
    );
  }
  throw tokenEndpointError(outcome, { grant: "authorization_code", host: url.host });
}
