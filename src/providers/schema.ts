// The valibot schema of one provider: the contract of providers.yaml. Codegen validates the
// built-in catalogue with it; the registry validates the user's own providers file with it at run
// time. Field names are snake_case because users write them in YAML, and the endpoint names are
// the RFC 8414 metadata names so that a discovery document and a provider entry read alike.
//
// Extension point: a new quirk is a new optional field here, with a default that keeps every
// existing provider's behaviour, read by the protocol code in src/oauth/ — never a provider id
// compared in code.

import * as v from "valibot";
import { isSecureEndpoint } from "../oauth/endpoint-url.ts";

/** `{name}` placeholders in endpoint URLs, filled from `template_vars` (e.g. Entra's `{tenant}`). */
const TEMPLATE = /\{([a-z][a-z0-9_]*)\}/g;

export function templateNames(value: string): string[] {
  return [...value.matchAll(TEMPLATE)].map((match) => match[1] as string);
}

/**
 * An endpoint that is exactly one placeholder (`{issuer}`) takes a whole URL from its template
 * variable (the generic `oidc` provider: `--set issuer=https://sso.example.com`). The schema cannot
 * check it; the filled-in URL is checked like any other before the first request
 * (src/oauth/endpoint-url.ts).
 */
const WHOLE_URL_PLACEHOLDER = /^\{[a-z][a-z0-9_]*\}$/;

const endpointUrl = v.pipe(
  v.string(),
  v.check(
    (value) => WHOLE_URL_PLACEHOLDER.test(value) || URL.canParse(value.replace(TEMPLATE, "x")),
    "must be an absolute URL",
  ),
  v.check((value) => {
    const filled = value.replace(TEMPLATE, "x");
    // valibot runs every check of a pipe: an unparsable value is reported once, by the check above.
    if (WHOLE_URL_PLACEHOLDER.test(value) || !URL.canParse(filled)) return true;
    return isSecureEndpoint(new URL(filled));
  }, "must use https (http is allowed only on loopback hosts: 127.0.0.1, [::1], localhost)"),
);

const scope = v.pipe(
  v.string(),
  // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), no spaces or quotes.
  v.regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, "must be one scope token, without spaces or quotes"),
);

const envName = v.pipe(v.string(), v.regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name"));

/**
 * A host as git names it in the credential protocol: `name` or `name:port`, lower-case, no scheme
 * or path; placeholders allowed (`{host}`).
 */
const gitHost = v.pipe(
  v.string(),
  v.check((value) => {
    const filled = value.replace(TEMPLATE, "x");
    return URL.canParse(`https://${filled}/`) && new URL(`https://${filled}/`).host === filled;
  }, "must be a host name, with a port if not 443 (git's `host`), in lower case"),
);

const headerMap = v.record(
  v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]+$/, "must be a header name")),
  v.string(),
);

/** RFC 8693 §3 token type identifiers and other URIs: absolute, no spaces. */
const uri = v.pipe(
  v.string(),
  v.check((value) => URL.canParse(value.replace(TEMPLATE, "x")), "must be an absolute URI"),
);

/**
 * CI federation (docs/ci.md "No stored secret"): the job's own OpenID Connect identity token,
 * exchanged at the token endpoint instead of a stored refresh token. Names say whose audience is
 * whose: `audience` is the `aud` asked of the CI for the identity token; `exchange_audience` and
 * `exchange_resource` are RFC 8693 §2.1's `audience` and `resource`, the target of the exchange.
 */
const federationSchema = v.pipe(
  v.strictObject({
    /**
     * `token-exchange` (RFC 8693 §2.1), `jwt-bearer` (the RFC 7523 §2.1 authorization grant), or
     * `client-assertion` (RFC 7523 §2.2: client_credentials, the identity token as the client's
     * assertion; Microsoft Entra federated credentials).
     */
    grant: v.picklist(["token-exchange", "jwt-bearer", "client-assertion"]),
    /** The `aud` to ask the CI for; the provider's trust policy checks it. May hold `{vars}`. */
    audience: v.pipe(v.string(), v.nonEmpty("must not be empty")),
    /** token-exchange: RFC 8693 §2.1 `subject_token_type`; default urn:ietf:params:oauth:token-type:jwt. */
    subject_token_type: v.optional(uri),
    /** token-exchange: RFC 8693 §2.1 `requested_token_type`, sent only when set. */
    requested_token_type: v.optional(uri),
    /** token-exchange: RFC 8693 §2.1 `audience`, the target service (Google: the pool provider). */
    exchange_audience: v.optional(v.pipe(v.string(), v.nonEmpty("must not be empty"))),
    /** token-exchange: RFC 8693 §2.1 `resource`, an absolute URI of the target service. */
    exchange_resource: v.optional(uri),
    /**
     * A Google IAM Credentials `generateAccessToken` URL (`{service_account}` in it): the exchanged
     * token is traded there for the service account's. Used only when every placeholder in it has
     * a value; otherwise the exchanged token itself is returned.
     */
    impersonation_url: v.optional(endpointUrl),
  }),
  v.check(
    (value) =>
      value.grant === "token-exchange" ||
      (value.subject_token_type === undefined &&
        value.requested_token_type === undefined &&
        value.exchange_audience === undefined &&
        value.exchange_resource === undefined),
    "subject_token_type, requested_token_type, exchange_audience and exchange_resource belong to grant: token-exchange",
  ),
);

export const providerSchema = v.strictObject({
  /** Shown to people. */
  name: v.pipe(v.string(), v.nonEmpty("must not be empty")),
  /** Where to create an OAuth app, and anything a user must know to set one up. */
  docs_url: v.optional(v.pipe(v.string(), v.url("must be a URL"))),
  setup: v.optional(v.string()),

  /** OIDC issuer: endpoints not listed here are resolved by discovery (RFC 8414 / OIDC Discovery). */
  issuer: v.optional(endpointUrl),
  authorization_endpoint: v.optional(endpointUrl),
  token_endpoint: v.optional(endpointUrl),
  revocation_endpoint: v.optional(endpointUrl),
  device_authorization_endpoint: v.optional(endpointUrl),
  userinfo_endpoint: v.optional(endpointUrl),
  /**
   * Base URL of the provider's API, for `oauthx api <provider> <path>` and the SDK's fetch. May use
   * template vars and values kept from the token response (Salesforce: `{instance_url}`).
   */
  api_base: v.optional(endpointUrl),
  /**
   * Further origins that may receive the access token (`oauthx api`, the SDK's fetch), besides
   * api_base's: e.g. an upload host. Any other origin needs the user's explicit --allow-host.
   */
  api_origins: v.optional(
    v.array(
      v.pipe(
        endpointUrl,
        v.check(
          (value) => !URL.canParse(value) || new URL(value).origin === value,
          "must be an origin: scheme, host and port only",
        ),
      ),
    ),
  ),
  /**
   * Values for `{name}` placeholders in the URLs above; `--set name=value` and env override. A
   * value is inserted as given (not percent-encoded), so it may carry a port or a path
   * (`gitlab.example.com:8443`). `{client_id}` is reserved: it is always the client id (GitHub's
   * revocation URL) and needs no entry here.
   */
  template_vars: v.optional(
    v.record(
      v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]*$/, "must be a lower-case name")),
      v.strictObject({ default: v.optional(v.string()), description: v.string() }),
    ),
    {},
  ),

  /** Users bring their own client; oauthx ships no borrowed client ids. */
  client_id: v.optional(v.string()),
  /** RFC 6749 §2.3.1 / RFC 8414 `token_endpoint_auth_method`. */
  client_auth: v.optional(v.picklist(["none", "client_secret_post", "client_secret_basic"]), "none"),
  /** True where even a desktop (public) client must send a secret (GitHub, Google). */
  client_secret_required: v.optional(v.boolean(), false),
  /**
   * RFC 7636. `required` and `optional` both make oauthx send S256 (PKCE costs nothing when
   * unneeded); `unsupported` leaves it out for servers that reject the parameters.
   */
  pkce: v.optional(v.picklist(["required", "optional", "unsupported"]), "required"),

  /** Requested by default; `--scope` replaces them. */
  scopes: v.optional(v.array(scope), []),
  /** Other scopes worth knowing: typed in the generated module, completed in the shell. */
  scopes_supported: v.optional(v.array(scope), []),
  /** RFC 6749 §3.3 says space; some providers (Slack, Linear) want commas. */
  scope_separator: v.optional(v.picklist([" ", ","]), " "),
  /**
   * The authorization request parameter that carries the scopes. Default `scope` (RFC 6749 §3.3);
   * Slack puts a user token's scopes in `user_scope` (its `scope` asks for bot scopes).
   */
  scope_param: v.optional(
    v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]*$/, "must be a lower-case parameter name")),
    "scope",
  ),
  /** Extra authorization request parameters (Google `access_type=offline`, Atlassian `audience`). */
  authorize_params: v.optional(v.record(v.string(), v.string()), {}),
  /** How to read authorization responses (the redirect to the loopback) that stray from RFC 6749 §4.1.2. */
  authorization_response: v.optional(
    v.strictObject({
      /**
       * A denial comes back as a bare redirect, without `error` or even `state` (Jobber), so a
       * callback with no parameters at all means "access denied" rather than a stray request.
       */
      deny_returns_no_params: v.optional(v.boolean(), false),
    }),
    { deny_returns_no_params: false },
  ),

  /** RFC 8252 §7.3 loopback redirect: host as registered, exact path, fixed ports if required. */
  redirect: v.optional(
    v.strictObject({
      host: v.optional(v.picklist(["127.0.0.1", "localhost", "[::1]"]), "127.0.0.1"),
      path: v.optional(v.pipe(v.string(), v.startsWith("/", "must start with /")), "/callback"),
      ports: v.optional(v.array(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)))),
    }),
    { host: "127.0.0.1", path: "/callback" },
  ),

  /** How the token endpoint wants to be called. */
  token_request: v.optional(
    v.strictObject({
      body: v.optional(v.picklist(["form", "json"]), "form"),
    }),
    { body: "form" },
  ),
  /** How to read token endpoint responses that stray from RFC 6749 §5.1. */
  token_response: v.optional(
    v.strictObject({
      /**
       * The user token sits inside this member (Slack: `authed_user`) when the member is present;
       * a response without it but with a top-level `access_token` (Slack's refresh) is read flat.
       */
      nested_in: v.optional(v.string()),
      /** A boolean member that is false on failure even with HTTP 200 (Slack: `ok`). */
      ok_field: v.optional(v.string()),
      /** The separator of the returned `scope` when it differs from the request's (GitHub: `,`). */
      scope_separator: v.optional(v.picklist([" ", ","])),
      /** Members worth keeping beside the tokens (Salesforce `instance_url`). */
      keep: v.optional(v.array(v.string()), []),
      /**
       * Error codes that mean "this refresh token is dead" besides RFC 6749's `invalid_grant`
       * (GitHub: `bad_refresh_token`; Slack: `invalid_refresh_token`). They become REFRESH_REJECTED,
       * which the token manager checks against a newer token in the store before asking for a login.
       */
      refresh_rejected_errors: v.optional(
        v.array(v.pipe(v.string(), v.regex(/^[a-z0-9_]+$/, "must be an error code"))),
        [],
      ),
      /**
       * Where the access token's lifetime comes from. `expires_in` (RFC 6749 §5.1, the default);
       * `jwt_exp`: `expires_in` if present, else the `exp` claim of the access token, a JWT
       * (Jobber sends no `expires_in`). The claim is read without verifying the signature: it only
       * schedules the next refresh.
       */
      expires_from: v.optional(v.picklist(["expires_in", "jwt_exp"]), "expires_in"),
      /**
       * Seconds to assume when the response gives no lifetime at all (Salesforce never sends
       * `expires_in`; some GitLab versions dropped it). Unset: such a token has no known expiry.
       */
      default_expires_in: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    }),
    { keep: [], expires_from: "expires_in", refresh_rejected_errors: [] },
  ),
  /** Refresh behaviour: rotation makes concurrent refreshes dangerous (see src/tokens.ts). */
  refresh: v.optional(
    v.strictObject({
      rotates: v.optional(v.boolean(), false),
      /** How refresh tokens are obtained, for people: e.g. "only with the offline_access scope". */
      issued: v.optional(v.string()),
    }),
    { rotates: false },
  ),
  /**
   * How to revoke: RFC 7009, GitHub's DELETE with Basic auth, a POST authenticated by the access
   * token itself (`bearer_post`: Dropbox, Slack; revokes the access token only), or not at all.
   */
  revocation: v.optional(
    v.picklist(["rfc7009", "github_application_token", "bearer_post", "none"]),
    "rfc7009",
  ),

  /**
   * What revoking one token ends: `grant`, that login only (RFC 7009 §2.1), or
   * `client_authorization`, everything the user granted this client, other logins included (one
   * grant per user and client). A new login to a profile revokes the login it replaces only with
   * `grant`: otherwise it would end itself.
   */
  revocation_ends: v.optional(v.picklist(["grant", "client_authorization"]), "grant"),
  /** The page where a person removes the app's access by hand, for logouts that cannot revoke. */
  revoke_access_url: v.optional(v.pipe(v.string(), v.url("must be a URL"))),

  /**
   * What `kube-credential` hands kubectl: the access token, or the ID token, which Kubernetes API
   * servers configured with --oidc-issuer-url verify themselves (OIDC Core §2; kubelogin's default).
   */
  kube_credential_token: v.optional(v.picklist(["access_token", "id_token"]), "access_token"),

  /** Headers sent on every request to this provider (GitHub requires a User-Agent). */
  headers: v.optional(headerMap, {}),
  /** Environment variables `exec` sets to the access token, in the order tools read them. */
  env: v.optional(v.array(envName), []),

  /**
   * The hosts whose git-over-HTTPS logins this provider's token opens (`oauthx git-credential`):
   * git's `host`, with a port when not the default, may hold `{var}` placeholders filled from the
   * login's template vars (a GitHub Enterprise or self-managed GitLab host). The credential helper
   * answers only for these hosts, so a token never goes to a host git was sent to by a stray URL
   * (a submodule's, say). Empty: the provider serves no git host.
   */
  git_hosts: v.optional(v.array(gitHost), []),
  /**
   * The user name git sends with the token as password (HTTP Basic): whatever the server expects
   * of an OAuth token (GitHub `x-access-token`, Bitbucket `x-token-auth`); default `oauth2`.
   */
  git_username: v.optional(
    v.pipe(v.string(), v.regex(/^[\x21-\x39\x3B-\x7E]+$/, "must be a user name without spaces or ':'")),
    "oauth2",
  ),
  /**
   * Federated CI: a job exchanges its own OIDC identity token for an access token (docs/ci.md).
   * An entry with it needs no authorization endpoint: it may serve CI only.
   */
  federation: v.optional(federationSchema),
});

export type ProviderInput = v.InferInput<typeof providerSchema>;
export type ProviderDefinition = v.InferOutput<typeof providerSchema>;

const providerId = v.pipe(
  v.string(),
  v.regex(/^[a-z][a-z0-9-]*$/, "provider ids are lower-case letters, digits and '-'"),
);

export const catalogueSchema = v.strictObject({
  providers: v.record(providerId, providerSchema),
});

export type Catalogue = v.InferOutput<typeof catalogueSchema>;

type DeepReadonly<T> = T extends (infer Item)[]
  ? readonly DeepReadonly<Item>[]
  : T extends object
    ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
    : T;

/** A provider as the generated modules and the registry hold it: validated, defaults filled in. */
export type BuiltinProvider = DeepReadonly<ProviderDefinition>;
