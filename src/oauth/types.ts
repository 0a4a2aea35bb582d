// Plain inputs of the protocol layer. The CLI maps one providers.yaml entry (src/providers/schema.ts)
// onto these; nothing here knows about the store, the CLI or provider ids. Field names follow the
// RFC 8414 / RFC 7591 metadata names so a discovery document and a provider entry read alike.

/** RFC 8414 §2 authorization server metadata, the subset oauthx uses. */
export interface AuthorizationServer {
  issuer?: string;
  authorization_endpoint?: string;
  token_endpoint: string;
  revocation_endpoint?: string;
  device_authorization_endpoint?: string;
  userinfo_endpoint?: string;
  /** RFC 9207 §3: the server always returns `iss` in authorization responses. */
  authorization_response_iss_parameter_supported?: boolean;
  /** RFC 8414 §2 / RFC 7009 §5: how a client may authenticate at the revocation endpoint. */
  revocation_endpoint_auth_methods_supported?: readonly string[];
}

/** RFC 6749 §2.3.1 / RFC 8414 `token_endpoint_auth_method`. */
export type ClientAuthMethod = "none" | "client_secret_post" | "client_secret_basic";

export interface Client {
  client_id: string;
  client_secret?: string;
  client_auth: ClientAuthMethod;
}

/** RFC 6749 §3.3 says space; some providers (Slack, Linear, GitHub responses) use commas. */
export type ScopeSeparator = " " | ",";

/** Options every request of this layer accepts. */
export interface HttpOptions {
  /** Sent on every request (GitHub requires a User-Agent). Protocol headers win over these. */
  headers?: Readonly<Record<string, string>>;
  /** Per attempt; default 30 s. */
  timeoutMs?: number;
  /** Ends the request (and any retry wait) early, e.g. on Ctrl-C. */
  signal?: AbortSignal;
  /** A fetch implementation (tests, instrumentation); default the global fetch. */
  fetch?: typeof fetch;
  /** Retries of failures that cannot have reached the server, and of 429/503 with Retry-After. */
  retry?: { limit?: number; maxRetryAfterMs?: number };
}

/** How to read token responses that stray from RFC 6749 §5.1 (providers.yaml `token_response`). */
export interface TokenResponseQuirks {
  /**
   * The user token sits inside this member (Slack: `authed_user`) when it is present; without it, a
   * top-level `access_token` is read instead (Slack's refresh responses are flat).
   */
  nested_in?: string;
  /** A boolean member that is false on failure even with HTTP 200 (Slack: `ok`). */
  ok_field?: string;
  /** Separator of the returned `scope` (GitHub: `,`); default the request's separator, else space. */
  scope_separator?: ScopeSeparator;
  /** Members worth keeping beside the tokens (Salesforce `instance_url`). */
  keep?: readonly string[];
  /**
   * `expires_in` (RFC 6749 §5.1, default) or `jwt_exp`: when `expires_in` is absent, the `exp`
   * claim of the access token read as a JWT without verification (Jobber). Only schedules refreshes.
   */
  expires_from?: "expires_in" | "jwt_exp";
  /** Seconds to assume when the response gives no lifetime at all (Salesforce). */
  default_expires_in?: number;
  /** Error codes that mean a dead refresh token besides `invalid_grant` (GitHub `bad_refresh_token`). */
  refresh_rejected_errors?: readonly string[];
}

export interface TokenRequestOptions extends HttpOptions {
  /** `form` (RFC 6749 §4.1.3, the default) or `json` (Notion, OpenAI). */
  body?: "form" | "json";
  response?: TokenResponseQuirks;
}

/** A successful RFC 6749 §5.1 response, normalised. */
export interface TokenSet {
  access_token: string;
  /** Always "Bearer" (RFC 6750); other token types are refused, see token-response.ts. */
  token_type: "Bearer";
  /** Seconds from when the response was received; absent when the server did not say. */
  expires_in?: number;
  refresh_token?: string;
  /** Granted scopes; absent when the server omitted `scope` (RFC 6749 §5.1: same as requested). */
  scope?: string[];
  id_token?: string;
  /** The members named in `keep`, as the server sent them. */
  extra: Record<string, unknown>;
}

/** An RFC 6749 §5.2 error body, sanitised for display. */
export interface OAuthErrorResponse {
  error: string;
  error_description?: string;
  error_uri?: string;
}
