// A provider entry (providers.yaml) turned into what the protocol layer takes: endpoints with
// their `{var}` placeholders filled, discovered endpoints for issuer-only providers, the client
// credentials from wherever the user keeps them, and the request/response quirks.
//
// Where each value comes from, first match wins:
//   template vars   --set name=value > remembered in the profile > OAUTHX_<ID>_<NAME> > default
//   client id       --client-id > OAUTHX_<ID>_CLIENT_ID > kept in the store > providers.yaml
//   client secret   --client-secret-stdin > OAUTHX_<ID>_CLIENT_SECRET > kept in the store
// A template var decides where requests go (a host, a tenant, an issuer), so for an existing login
// the value remembered at login beats the environment: a variable set by a .env file or a task
// runner must not redirect a stored refresh token (see also origin-binding.ts). Where the
// environment names another value on purpose, the token is not handed out at all
// (remembered-vars.ts, before the token manager returns or refreshes an entry).

import { OauthxError } from "../errors.ts";
import type { RevocationOptions } from "../oauth/revoke.ts";
import type { AuthorizationServer, Client, TokenRequestOptions } from "../oauth/types.ts";
import { federationSignal, oauthxVar, settingVar } from "../providers/env-names.ts";
import type { ProviderEntry } from "../providers/registry.ts";
import { type BuiltinProvider, templateNames } from "../providers/schema.ts";
import type { ClientCredentials, TokenEntry } from "../store/document.ts";
import { closest } from "../suggest.ts";
import type { Context } from "./context.ts";

type Env = Readonly<Record<string, string | undefined>>;

export interface ProviderClient {
  id: string;
  definition: BuiltinProvider;
  /** Endpoints with placeholders filled (discovery, when needed, is applied by `withDiscovery`). */
  server: AuthorizationServer;
  client: Client;
  /** Template values in effect, remembered in the profile at login. */
  vars: Record<string, string>;
  /** Options for every token endpoint request to this provider. */
  tokenOptions: TokenRequestOptions;
}

export interface ResolveInput {
  env: Env;
  /** `--set name=value` at login. */
  vars?: Record<string, string>;
  /** Values remembered in the profile. */
  storedVars?: Record<string, string>;
  clientId?: string;
  clientSecret?: string;
  storedClient?: ClientCredentials;
  /** Only the endpoints are wanted (doctor's clock check): no client id or secret is required. */
  endpointsOnly?: boolean;
  /** CI mode: credentials can come only from the environment, so remedies say that. */
  ci?: boolean;
}

const ENDPOINTS = [
  "issuer",
  "authorization_endpoint",
  "token_endpoint",
  "revocation_endpoint",
  "device_authorization_endpoint",
  "userinfo_endpoint",
] as const;

export function resolveProvider(entry: ProviderEntry, input: ResolveInput): ProviderClient {
  const { id, definition } = entry;
  const client = resolveClient(entry, input);
  const vars = resolveVars(entry, input);
  // `{client_id}` is always available: GitHub's revocation URL names the app.
  const fill = (value: string) => fillTemplate(value, { ...vars, client_id: client.client_id }, id);
  const server: Record<string, string> = {};
  for (const name of ENDPOINTS) {
    const value = definition[name];
    if (value !== undefined) server[name] = fill(value);
  }
  return {
    id,
    definition,
    server: server as unknown as AuthorizationServer,
    client,
    vars,
    tokenOptions: {
      headers: { ...definition.headers },
      body: definition.token_request.body,
      response: {
        ...definition.token_response,
        scope_separator: definition.token_response.scope_separator ?? definition.scope_separator,
      },
    },
  };
}

/**
 * Resolves the provider for a stored login: its remembered vars and kept client credentials; in CI
 * mode, remedies that speak of the environment.
 */
export function clientFor(
  ctx: Pick<Context, "env">,
  entry: ProviderEntry,
  stored?: TokenEntry,
  extra: Partial<ResolveInput> = {},
): ProviderClient {
  return resolveProvider(entry, {
    env: ctx.env,
    // CI mode, as the session decides it: a seeded refresh token for the provider, or (federated)
    // an identity token source for a provider with a federation block.
    ci:
      ctx.env[oauthxVar(entry.id, "REFRESH_TOKEN")] !== undefined ||
      (entry.definition.federation !== undefined && federationSignal(ctx.env, entry.id)),
    ...(stored?.vars ? { storedVars: stored.vars } : {}),
    ...(stored?.client ? { storedClient: stored.client } : {}),
    ...extra,
  });
}

/** How to revoke at this provider (logout, a refused login): its style, body format and headers. */
export function revocationOptions(client: ProviderClient): RevocationOptions {
  return {
    style: client.definition.revocation,
    body: client.definition.token_request.body,
    headers: client.tokenOptions.headers ?? {},
  };
}

/**
 * The provider's API base with its placeholders filled from the template vars and the values kept
 * from the token response (Salesforce's `instance_url`); undefined when the provider has none.
 */
export function apiBase(client: ProviderClient, extra: Record<string, string> = {}): string | undefined {
  const template = client.definition.api_base;
  if (template === undefined) return undefined;
  return fillTemplate(template, { ...extra, ...client.vars, client_id: client.client.client_id }, client.id);
}

function resolveVars(entry: ProviderEntry, input: ResolveInput): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, spec] of Object.entries(entry.definition.template_vars)) {
    const fromEnv = input.env[settingVar(entry.id, name)];
    const value = input.vars?.[name] ?? input.storedVars?.[name] ?? (fromEnv || undefined) ?? spec.default;
    if (value !== undefined) vars[name] = value;
  }
  for (const name of Object.keys(input.vars ?? {})) {
    if (!(name in entry.definition.template_vars)) {
      const known = Object.keys(entry.definition.template_vars);
      const guess = closest(name, known);
      throw new OauthxError(
        "USAGE",
        `--set ${name}: ${entry.id} has no such setting${guess ? `; did you mean ${guess}?` : ""}`,
        {
          remedy:
            known.length > 0
              ? `${entry.id}'s settings: ${known.join(", ")}`
              : `${entry.id} takes no --set values`,
        },
      );
    }
  }
  return vars;
}

export function fillTemplate(value: string, vars: Record<string, string>, providerId: string): string {
  for (const name of templateNames(value)) {
    if (vars[name] === undefined) {
      throw new OauthxError("CONFIG_MISSING", `${providerId} needs a value for {${name}}`, {
        remedy: `pass --set ${name}=VALUE to oauthx login, or set ${settingVar(providerId, name)}`,
      });
    }
  }
  // Values are inserted as given: a host or tenant is part of the URL's authority or path.
  return value.replace(/\{([a-z][a-z0-9_]*)\}/g, (_, name: string) => vars[name] as string);
}

function resolveClient(entry: ProviderEntry, input: ResolveInput): Client {
  const { id, definition } = entry;
  if (input.endpointsOnly) return { client_id: "", client_auth: "none" };
  const clientId =
    input.clientId ||
    input.env[oauthxVar(id, "CLIENT_ID")] ||
    input.storedClient?.client_id ||
    definition.client_id;
  // In federated CI, token exchange and the jwt-bearer grant may need no client (Google's STS).
  const clientless = input.ci && definition.federation && definition.federation.grant !== "client-assertion";
  if (!clientId && clientless) return { client_id: "", client_auth: "none" };
  if (!clientId) {
    throw new OauthxError("CONFIG_MISSING", `no client id for ${id}`, {
      remedy: input.ci
        ? `set ${oauthxVar(id, "CLIENT_ID")} in this step, or client_id for ${id} in the providers file`
        : `create an OAuth app (oauthx providers show ${id}), then pass --client-id or set ${oauthxVar(id, "CLIENT_ID")}`,
    });
  }
  const secret =
    input.clientSecret ||
    input.env[oauthxVar(id, "CLIENT_SECRET")] ||
    input.storedClient?.client_secret ||
    undefined;
  const needsSecret = definition.client_secret_required || definition.client_auth !== "none";
  if (needsSecret && !secret) {
    throw new OauthxError("CONFIG_MISSING", `${id} needs a client secret`, {
      remedy: input.ci
        ? `pass the client secret to this step as ${oauthxVar(id, "CLIENT_SECRET")} (a CI secret)`
        : `set ${oauthxVar(id, "CLIENT_SECRET")}, or pipe it to oauthx login ${id} --client-secret-stdin`,
    });
  }
  // A secret with `client_auth: none` (GitHub, Google desktop apps) goes in the body.
  const client_auth =
    secret && definition.client_auth === "none" ? "client_secret_post" : definition.client_auth;
  return { client_id: clientId, client_auth, ...(secret ? { client_secret: secret } : {}) };
}
