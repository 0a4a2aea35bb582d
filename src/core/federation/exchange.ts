// The refresh half of the token manager in federated CI mode: where seeded CI mode presents a
// refresh token, this fetches a fresh identity token from the job's source (identity-source.ts;
// identity tokens live minutes, so never a cached one) and exchanges it at the provider's token
// endpoint with the entry's grant (oauth/federated-grant.ts). It runs under the CI cache's lock,
// so concurrent calls of a job make one exchange.
//
// The identity token goes to the entry's token endpoint only, over https (loopback in tests). The
// access token is bound to the entry's origins like a login's (origin-binding.ts).

import { isOauthxError, OauthxError } from "../../errors.ts";
import type { FederatedGrant } from "../../oauth/federated-grant.ts";
import { oauthxVar } from "../../providers/env-names.ts";
import type { ProviderEntry } from "../../providers/registry.ts";
import { templateNames } from "../../providers/schema.ts";
import type { TokenEntry } from "../../store/document.ts";
import { readPinnedOrigin } from "../ci-seed.ts";
import type { Context } from "../context.ts";
import { resolveEndpoints } from "../endpoints.ts";
import { maskForGitHubActions } from "../github-actions.ts";
import { credentialOrigins } from "../origin-binding.ts";
import { clientFor, fillTemplate } from "../provider-client.ts";
import { REFRESH_TIMEOUT_MS, stringValues } from "../refresher.ts";
import type { Refresher } from "../token-manager.ts";
import type { Federation } from "./federated-mode.ts";
import { describeTrustClaims } from "./identity-claims.ts";

/**
 * The entry's federation block and client, checked: no block means the identity token's variable
 * was set by mistake; a client assertion needs a client id (RFC 7523 §2.2).
 */
function configured(ctx: Context, federation: Federation, entry: ProviderEntry, stored: TokenEntry) {
  const settings = entry.definition.federation;
  if (settings === undefined) {
    throw new OauthxError(
      "CONFIG_INVALID",
      `${federation.source.label} is set, but ${entry.id} has no federation block`,
      {
        remedy: `add federation (grant, audience) to ${entry.id} in the providers file, or unset ${federation.source.label} (\`oauthx help ci\`)`,
      },
    );
  }
  const client = clientFor(ctx, entry, stored, { ci: true });
  if (settings.grant === "client-assertion" && !client.client.client_id) {
    throw new OauthxError("CONFIG_MISSING", `${entry.id} needs a client id for its client assertion`, {
      remedy: `set ${oauthxVar(entry.id, "CLIENT_ID")} in this step, or client_id for ${entry.id} in the providers file`,
    });
  }
  return { settings, client };
}

export function federationRefresher(ctx: Context, federation: Federation, entry: ProviderEntry): Refresher {
  const refresh = async (stored: TokenEntry) => {
    const { settings, client: configuredClient } = configured(ctx, federation, entry, stored);
    let client = configuredClient;
    if (!client.server.token_endpoint)
      client = await resolveEndpoints(client, undefined, { timeoutMs: REFRESH_TIMEOUT_MS });
    const vars: Record<string, string> = { ...client.vars, client_id: client.client.client_id };
    const fill = (value: string | undefined) =>
      value === undefined ? undefined : fillTemplate(value, vars, entry.id);
    const audience = fill(settings.audience) as string;
    assertPinnedOrigin(entry.id, federation, client.server.token_endpoint, ctx.env);
    const identityToken = await federation.source.identityToken(audience);
    const grant: FederatedGrant = {
      kind: settings.grant,
      assertion: identityToken,
      ...(client.client.client_id ? { client_id: client.client.client_id, client: client.client } : {}),
      scopes: entry.definition.scopes,
      scope_separator: entry.definition.scope_separator,
      ...defined({
        subject_token_type: settings.subject_token_type,
        requested_token_type: settings.requested_token_type,
        exchange_audience: fill(settings.exchange_audience),
        exchange_resource: fill(settings.exchange_resource),
      }),
    };
    const { requestFederatedToken } = await import("../../oauth/federated-grant.ts");
    let tokens: Awaited<ReturnType<typeof requestFederatedToken>>;
    try {
      tokens = await requestFederatedToken(client.server, grant, {
        ...client.tokenOptions,
        timeoutMs: REFRESH_TIMEOUT_MS,
        // Not retried after it may have been sent: an identity token's `jti` may be single-use.
        retry: { limit: 1, maxRetryAfterMs: 0 },
      });
    } catch (error) {
      if (isOauthxError(error, "FEDERATION_REFUSED")) {
        // What a trust policy matches on, so the user can fix the policy: the claims, never the token.
        throw new OauthxError(
          "FEDERATION_REFUSED",
          `${error.message}; the identity token from ${federation.source.label} has ${describeTrustClaims(identityToken)}`,
          {
            remedy: `make ${entry.id}'s trust policy (federated credential, workload identity provider) accept these claims, or fix federation.audience`,
            cause: error,
          },
        );
      }
      throw error;
    }
    maskForGitHubActions(ctx, tokens.access_token);
    // Impersonation (impersonate.ts) only when the entry names it and every value it needs is set.
    const impersonation = settings.impersonation_url;
    if (
      impersonation !== undefined &&
      templateNames(impersonation).every((name) => vars[name] !== undefined)
    ) {
      const { impersonate } = await import("./impersonate.ts");
      tokens = await impersonate(
        fill(impersonation) as string,
        tokens.access_token,
        entry.definition.scopes,
        {
          timeoutMs: REFRESH_TIMEOUT_MS,
          now: ctx.now(),
        },
      );
      maskForGitHubActions(ctx, tokens.access_token);
    }
    const extra = stringValues(tokens.extra);
    return {
      access_token: tokens.access_token,
      token_type: tokens.token_type,
      ...(tokens.expires_in !== undefined ? { expires_in: tokens.expires_in } : {}),
      ...(tokens.scope !== undefined ? { scope: tokens.scope } : {}),
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
      origins: credentialOrigins(client, { ...stored.extra, ...extra }),
    };
  };
  // Before the cache's lock, which creates the job's cache directory: a configuration error must
  // leave nothing behind.
  return Object.assign(refresh, {
    prepare: async (stored: TokenEntry) => void configured(ctx, federation, entry, stored),
  });
}

/**
 * OAUTHX_<ID>_TOKEN_ORIGIN pins a federated provider as it pins a seed (ci-seed.ts): the identity
 * token is a bearer credential the provider accepts from anyone for minutes, so a step whose
 * OAUTHX_<ID>_<VAR> (or providers file) points the token endpoint elsewhere must not get it sent
 * there. Checked before the identity token is even requested.
 */
function assertPinnedOrigin(
  provider: string,
  federation: Federation,
  tokenEndpoint: string | undefined,
  env: Context["env"],
): void {
  const pinned = readPinnedOrigin(env, provider);
  if (pinned === undefined || tokenEndpoint === undefined || !URL.canParse(tokenEndpoint)) return;
  const target = new URL(tokenEndpoint).origin;
  if (target === pinned) return;
  const pin = oauthxVar(provider, "TOKEN_ORIGIN");
  throw new OauthxError(
    "ORIGIN_MISMATCH",
    `refusing to send the identity token from ${federation.source.label} to ${target}: ${pin} pins ${provider} to ${pinned}`,
    {
      remedy: `remove what points ${provider} elsewhere (an ${pin.replace(/TOKEN_ORIGIN$/, "*")} variable, the providers file), or correct ${pin}`,
    },
  );
}

function defined<T extends Record<string, string | undefined>>(value: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<
    Record<keyof T, string>
  >;
}
