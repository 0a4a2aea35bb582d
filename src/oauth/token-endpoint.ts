// Requests to the token endpoint: the authorization code grant (RFC 6749 §4.1.3, with the PKCE
// verifier of RFC 7636 §4.5) and the refresh grant (RFC 6749 §6). Responses are read by
// token-response.ts and turned into typed errors here. No message carries the code, verifier,
// refresh token or secret: only the server's own `error` and `error_description`.

import { OauthxError } from "../errors.ts";
import { clientAuthentication } from "./client-auth.ts";
import { requireSecureEndpoint } from "./endpoint-url.ts";
import { type HttpResult, sendHttp } from "./http.ts";
import { describeOAuthError } from "./oauth-error.ts";
import { readTokenResponse } from "./token-response.ts";
import type { AuthorizationServer, Client, ScopeSeparator, TokenRequestOptions, TokenSet } from "./types.ts";

export type GrantKind = "authorization_code" | "refresh_token" | "device_code";

export interface TokenResponseContext {
  grant: GrantKind;
  /** Host of the token endpoint, for messages. */
  host: string;
  /** Separator the request used for `scope`, the default for reading the response's. */
  scope_separator?: ScopeSeparator;
  /** Remedy of REFRESH_REJECTED, e.g. "run `oauthx login github`" (this layer knows no CLI). */
  relogin_remedy?: string;
  /** Clock for `expires_from: jwt_exp`; default Date.now. */
  now?: () => number;
  /** How the client authenticated: a refused Basic login may be the server's decoding, not ours. */
  client_auth?: Client["client_auth"];
  /** This login's refresh token has been refreshed with successfully before (refreshedBefore). */
  refreshed_before?: boolean;
}

/**
 * OAuth errors that say the client, not the grant, is wrong (RFC 6749 §5.2): never read as a dead
 * refresh token, however the login's earlier refreshes went.
 */
const CLIENT_ERRORS = new Set(["invalid_client", "unauthorized_client"]);

/**
 * The remedy when the server refused the client's credentials. With `client_secret_basic`, also
 * name the server-side bug that looks the same: RFC 6749 §2.3.1 has both sides form-encode the id
 * and secret inside the Basic header, and a server that does not decode them (LemonLDAP::NG 2.16)
 * refuses a secret with reserved characters that `client_secret_post` gets through.
 */
function clientRemedy(clientAuth: Client["client_auth"] | undefined): string {
  const base = "check the client id, client secret and client authentication method";
  return clientAuth === "client_secret_basic"
    ? `${base}; if they are right, the server may not form-decode Basic credentials (RFC 6749 §2.3.1) — try client_auth: client_secret_post`
    : base;
}

/** Reads a token endpoint answer and returns its tokens, or throws the matching OauthxError. */
export function parseTokenResponse(
  result: HttpResult,
  options: Pick<TokenRequestOptions, "response">,
  context: TokenResponseContext,
): TokenSet {
  const outcome = readTokenResponse(result, options.response, context.scope_separator, context.now);
  if (outcome.kind === "tokens") return outcome.tokens;
  throw tokenEndpointError(outcome, {
    ...context,
    refresh_rejected_errors: options.response?.refresh_rejected_errors ?? [],
  });
}

export function tokenEndpointError(
  outcome: Exclude<ReturnType<typeof readTokenResponse>, { kind: "tokens" }>,
  context: TokenResponseContext & { refresh_rejected_errors?: readonly string[] },
): OauthxError {
  const { host } = context;
  if (outcome.kind === "http-error") {
    if (outcome.status >= 300 && outcome.status < 400) {
      return new OauthxError(
        "INVALID_RESPONSE",
        `the token endpoint at ${host} redirected (HTTP ${outcome.status})`,
        {
          remedy: "configure the final token endpoint URL; oauthx does not resend credentials to a redirect",
        },
      );
    }
    // A refresh refused with 400 or 401 but no readable OAuth error (an empty body, an HTML page):
    // RFC 6749 §5.2 makes 400 the status of invalid_grant and 401 that of invalid_client, and some
    // servers send nothing more for a revoked or spent refresh token. Treated as a dead refresh
    // token, so the token manager looks for a newer one before asking for a login.
    if (context.grant === "refresh_token" && (outcome.status === 400 || outcome.status === 401)) {
      return new OauthxError(
        "REFRESH_REJECTED",
        `${host} refused the refresh token (HTTP ${outcome.status}, without an OAuth error)`,
        { remedy: context.relogin_remedy ?? "sign in again" },
      );
    }
    return new OauthxError(
      "TOKEN_EXCHANGE_FAILED",
      `the token endpoint at ${host} answered HTTP ${outcome.status}`,
      {
        remedy:
          outcome.status >= 500 || outcome.status === 429
            ? "the server is unavailable; try again later"
            : outcome.status === 401
              ? clientRemedy(context.client_auth)
              : "check the token endpoint URL and the client settings",
      },
    );
  }
  const detail = describeOAuthError(outcome.error);
  // RFC 6749 §5.2: invalid_grant = the refresh token is invalid, expired, revoked or reused; some
  // providers name the same condition otherwise (refresh_rejected_errors).
  //
  // And a rule for the servers nobody configured that for (LemonLDAP::NG answers `invalid_request`
  // to a dead refresh token): when this login has refreshed successfully before, the request we
  // send now is the one the server accepted then — same client, same authentication, same
  // parameters — so a 400 refusal can only be about the one thing that changed, the refresh token.
  // A rule rather than a per-server profile: it needs no list of products kept up to date, and it
  // cannot misread a configuration error as a dead token, because a login whose refresh never
  // worked keeps the server's own error and the client remedy. (Its limit: a refresh token that
  // dies before its first refresh, or a CI seed's first refresh, is reported as the server said.)
  const refusedAfterSuccess =
    context.refreshed_before === true && outcome.status === 400 && !CLIENT_ERRORS.has(outcome.error.error);
  const deadRefreshToken =
    outcome.error.error === "invalid_grant" ||
    refusedAfterSuccess ||
    (context.refresh_rejected_errors ?? []).includes(outcome.error.error);
  if (context.grant === "refresh_token" && deadRefreshToken) {
    return new OauthxError("REFRESH_REJECTED", `${host} rejected the refresh token (${detail})`, {
      remedy: context.relogin_remedy ?? "sign in again",
    });
  }
  if (context.grant === "authorization_code") {
    return new OauthxError(
      "TOKEN_EXCHANGE_FAILED",
      `${host} refused to exchange the authorization code (${detail})`,
      {
        remedy: CLIENT_ERRORS.has(outcome.error.error)
          ? clientRemedy(context.client_auth)
          : "start the login again; an authorization code can be used only once",
      },
    );
  }
  return new OauthxError("TOKEN_EXCHANGE_FAILED", `the token request to ${host} failed (${detail})`, {
    remedy: CLIENT_ERRORS.has(outcome.error.error)
      ? clientRemedy(context.client_auth)
      : (context.relogin_remedy ?? "sign in again"),
  });
}

/**
 * POSTs `params` plus client authentication to the token endpoint, form-encoded (RFC 6749 §4.1.3)
 * or as JSON when the provider wants that, with `Accept: application/json` (GitHub answers
 * form-encoded otherwise). Returns the raw answer.
 */
export async function postToTokenEndpoint(
  server: AuthorizationServer,
  client: Client,
  params: Record<string, string>,
  options: TokenRequestOptions = {},
): Promise<HttpResult> {
  const url = requireSecureEndpoint(server.token_endpoint, "token endpoint");
  return postClientRequest(url, client, params, options);
}

/**
 * A client-authenticated POST (token, device authorization and revocation endpoints); with no
 * client, the members alone (a federated grant whose identity token is the client's credential).
 */
export async function postClientRequest(
  url: URL,
  client: Client | undefined,
  params: Record<string, string>,
  options: TokenRequestOptions = {},
): Promise<HttpResult> {
  const auth = client ? clientAuthentication(client) : { params: {}, headers: {} };
  const members = { ...params, ...auth.params };
  return sendHttp(
    {
      method: "POST",
      url,
      headers: { accept: "application/json", ...auth.headers },
      ...(options.body === "json" ? { json: members } : { form: new URLSearchParams(members) }),
    },
    options,
  );
}

export interface CodeGrant {
  code: string;
  /** Exactly the redirect_uri of the authorization request (RFC 6749 §4.1.3). */
  redirect_uri: string;
  /** RFC 7636 §4.5; omitted only for providers that do not support PKCE. */
  code_verifier?: string;
}

/** RFC 6749 §4.1.3: exchanges an authorization code. Never retried once it may have been sent. */
export async function exchangeCode(
  server: AuthorizationServer,
  client: Client,
  grant: CodeGrant,
  options: TokenRequestOptions = {},
): Promise<TokenSet> {
  if (grant.code === "")
    throw new OauthxError("INVALID_RESPONSE", "the authorization response has an empty code");
  const url = requireSecureEndpoint(server.token_endpoint, "token endpoint");
  const result = await postClientRequest(
    url,
    client,
    {
      grant_type: "authorization_code",
      code: grant.code,
      redirect_uri: grant.redirect_uri,
      ...(grant.code_verifier === undefined ? {} : { code_verifier: grant.code_verifier }),
    },
    options,
  );
  return parseTokenResponse(result, options, {
    grant: "authorization_code",
    host: url.host,
    client_auth: client.client_auth,
  });
}

export interface RefreshGrant {
  refresh_token: string;
  /** RFC 6749 §6: a narrower scope than granted; omit to keep the granted scope. */
  scopes?: readonly string[];
  scope_separator?: ScopeSeparator;
}

export interface RefreshOptions extends TokenRequestOptions {
  /** Remedy shown when the refresh token is rejected, e.g. "run `oauthx login github`". */
  relogin_remedy?: string;
  /** This login has refreshed successfully before: a 400 refusal now means a dead refresh token. */
  refreshed_before?: boolean;
}

/**
 * RFC 6749 §6: refreshes. With rotating refresh tokens the answer carries a new refresh token and
 * the old one is dead (RFC 9700 §4.14.2), so the caller must store the result before anything else.
 * `invalid_grant` → REFRESH_REJECTED.
 */
export async function refreshToken(
  server: AuthorizationServer,
  client: Client,
  grant: RefreshGrant,
  options: RefreshOptions = {},
): Promise<TokenSet> {
  if (grant.refresh_token === "") {
    throw new OauthxError("CONFIG_INVALID", "the refresh token is empty", {
      remedy: options.relogin_remedy ?? "sign in again",
    });
  }
  const url = requireSecureEndpoint(server.token_endpoint, "token endpoint");
  const separator = grant.scope_separator ?? " ";
  const result = await postClientRequest(
    url,
    client,
    {
      grant_type: "refresh_token",
      refresh_token: grant.refresh_token,
      ...(grant.scopes && grant.scopes.length > 0 ? { scope: grant.scopes.join(separator) } : {}),
    },
    options,
  );
  return parseTokenResponse(result, options, {
    grant: "refresh_token",
    host: url.host,
    scope_separator: separator,
    client_auth: client.client_auth,
    refreshed_before: options.refreshed_before === true,
    ...(options.relogin_remedy === undefined ? {} : { relogin_remedy: options.relogin_remedy }),
  });
}
