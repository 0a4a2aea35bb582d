// Token revocation, so that `logout` ends the grant on the server too.
//   - rfc7009 (§2.1): POST token + token_type_hint with client authentication; HTTP 200 means
//     done, also for a token the server does not know (§2.2: "invalid tokens do not cause an error").
//   - github_application_token: GitHub's REST API, `DELETE /applications/{client_id}/token` with
//     Basic client_id:client_secret and JSON {access_token}; 204 means done.
//   - bearer_post: POST to the endpoint with the access token itself as `Authorization: Bearer`
//     (RFC 6750 §2.1) and no body: Dropbox `POST /2/auth/token/revoke` (which also disables the
//     refresh token behind it, dropbox-sdk-java DbxUserAuthRequests.tokenRevoke) and Slack
//     `auth.revoke` (api.slack.com/methods/auth.revoke: HTTP 200 with `ok`, `revoked`). Only an
//     access token can be revoked this way: the refresh token cannot authenticate a request.
//   - none: the provider cannot revoke (Entra, Spotify); the caller just forgets the tokens.

import { OauthxError } from "../errors.ts";
import { plainBasicAuthorization } from "./client-auth.ts";
import { requireSecureEndpoint } from "./endpoint-url.ts";
import { sendHttp } from "./http.ts";
import { describeOAuthError, readOAuthError } from "./oauth-error.ts";
import { postClientRequest } from "./token-endpoint.ts";
import { decodeTokenEndpointBody } from "./token-response.ts";
import type { AuthorizationServer, Client, HttpOptions } from "./types.ts";

export type RevocationStyle = "rfc7009" | "github_application_token" | "bearer_post" | "none";

/** Styles that revoke the access token only; a refresh token cannot be sent to them. */
export function revokesAccessTokenOnly(style: RevocationStyle): boolean {
  return style === "github_application_token" || style === "bearer_post";
}

export interface RevocationRequest {
  token: string;
  /** RFC 7009 §2.1: helps the server find the token; revoking a refresh token ends the grant. */
  token_type_hint?: "access_token" | "refresh_token";
}

export interface RevocationOptions extends HttpOptions {
  style?: RevocationStyle;
  /** Send the RFC 7009 request as JSON (OpenAI) instead of a form. */
  body?: "form" | "json";
}

/** "revoked" when the server confirmed; "unsupported" when the provider has no revocation. */
export async function revokeToken(
  server: Pick<AuthorizationServer, "revocation_endpoint">,
  client: Client,
  request: RevocationRequest,
  options: RevocationOptions = {},
): Promise<"revoked" | "unsupported"> {
  const style = options.style ?? "rfc7009";
  if (style === "none") return "unsupported";
  if (request.token === "") throw new OauthxError("CONFIG_INVALID", "there is no token to revoke");
  if (style === "github_application_token")
    return revokeGitHubApplicationToken(server, client, request, options);
  if (style === "bearer_post") return revokeWithBearer(server, request, options);

  const url = requireSecureEndpoint(server.revocation_endpoint, "revocation endpoint");
  const result = await postClientRequest(
    url,
    client,
    {
      token: request.token,
      ...(request.token_type_hint ? { token_type_hint: request.token_type_hint } : {}),
    },
    options,
  );
  if (result.status === 200) return "revoked";
  const body = decodeTokenEndpointBody(result);
  const error = body ? readOAuthError(body) : undefined;
  throw new OauthxError(
    "TOKEN_EXCHANGE_FAILED",
    `${url.host} did not revoke the token (${error ? describeOAuthError(error) : `HTTP ${result.status}`})`,
    {
      remedy:
        result.status === 503
          ? "the server is busy; try again later"
          : "check the revocation endpoint and client settings; you can also revoke access on the provider's website",
    },
  );
}

async function revokeGitHubApplicationToken(
  server: Pick<AuthorizationServer, "revocation_endpoint">,
  client: Client,
  request: RevocationRequest,
  options: HttpOptions,
): Promise<"revoked"> {
  // `{client_id}` in the URL is the client id; the caller may already have filled it in.
  const template = server.revocation_endpoint;
  if (!client.client_secret) {
    throw new OauthxError("CONFIG_INVALID", "GitHub-style revocation needs the client secret", {
      remedy: "give the client secret of your OAuth app, or revoke access on github.com",
    });
  }
  const url = requireSecureEndpoint(
    template?.replaceAll("{client_id}", encodeURIComponent(client.client_id)),
    "revocation endpoint",
  );
  const result = await sendHttp(
    {
      method: "DELETE",
      url,
      headers: {
        accept: "application/vnd.github+json",
        authorization: plainBasicAuthorization(client.client_id, client.client_secret),
      },
      json: { access_token: request.token },
    },
    options,
  );
  if (result.status === 204 || result.status === 200) return "revoked";
  throw new OauthxError(
    "TOKEN_EXCHANGE_FAILED",
    `${url.host} did not revoke the token (HTTP ${result.status})`,
    {
      remedy:
        result.status === 404
          ? "the token is unknown or the client id/secret do not match it; revoke access on the provider's website"
          : "check the client id and secret; you can also revoke access on the provider's website",
    },
  );
}

async function revokeWithBearer(
  server: Pick<AuthorizationServer, "revocation_endpoint">,
  request: RevocationRequest,
  options: HttpOptions,
): Promise<"revoked"> {
  if (request.token_type_hint === "refresh_token") {
    throw new OauthxError("INTERNAL", "a refresh token cannot be revoked with a bearer request");
  }
  const url = requireSecureEndpoint(server.revocation_endpoint, "revocation endpoint");
  const result = await sendHttp(
    {
      method: "POST",
      url,
      headers: { accept: "application/json", authorization: `Bearer ${request.token}` },
    },
    options,
  );
  const body = decodeTokenEndpointBody(result);
  // Slack answers HTTP 200 with {ok:false, error} on failure; Dropbox 200 with `null`.
  const error = body ? readOAuthError(body) : undefined;
  const notOk = body !== undefined && body.ok === false;
  if (result.status >= 200 && result.status < 300 && !error && !notOk) return "revoked";
  throw new OauthxError(
    "TOKEN_EXCHANGE_FAILED",
    `${url.host} did not revoke the token (${error ? describeOAuthError(error) : `HTTP ${result.status}`})`,
    {
      remedy:
        result.status === 503
          ? "the server is busy; try again later"
          : "the token may have expired or been revoked already; you can also revoke access on the provider's website",
    },
  );
}
