// What every token-handling command opens: the provider registry, the store (the encrypted file,
// or in CI mode an in-memory one seeded from the environment), and the token manager wired to the
// protocol layer for refreshes.

import { OauthxError } from "../errors.ts";
import type { AuthorizationServerMetadata } from "../oauth/discovery.ts";
import type { AuthorizationServer } from "../oauth/types.ts";
import { withSignalsDeferred } from "../platform/defer-signals.ts";
import { oauthxVar } from "../providers/env-names.ts";
import { loadRegistry, type ProviderEntry, type Registry } from "../providers/registry.ts";
import type { StoreDocument, TokenEntry } from "../store/document.ts";
import { seededStore } from "../store/env-seeded.ts";
import type { Context } from "./context.ts";
import { type ProviderClient, type ResolveInput, resolveProvider } from "./provider-client.ts";
import { type DocumentStore, loginRemedy, type Refresher, TokenManager } from "./token-manager.ts";

export const DEFAULT_PROFILE = "default";

/**
 * A refresh holds the store lock for its request (so no other process can spend the same refresh
 * token), so it must end well within the lock timeout other processes wait for.
 */
export const REFRESH_TIMEOUT_MS = 10_000;
/** At most one retry (429/503 with a short Retry-After): worst case ~25 s, under the 30 s lock wait. */
const REFRESH_RETRY = { limit: 1, maxRetryAfterMs: 5_000 };

export interface Session {
  registry: Registry;
  store: DocumentStore;
  manager: TokenManager;
  /** True when the store is the in-memory one seeded from OAUTHX_<ID>_REFRESH_TOKEN. */
  seeded: boolean;
}

export interface SessionOptions {
  /** The provider the command is about: decides CI mode (its seeded refresh token). */
  provider?: string;
  profile?: string;
  /** Hold off SIGINT/SIGTERM/SIGHUP during a refresh (default true; the SDK turns it off). */
  deferSignals?: boolean;
  /** Called when a seeded (CI) refresh token is rotated away. */
  onRotate?: (provider: string, profile: string, refreshToken: string) => Promise<void> | void;
}

export async function openSession(ctx: Context, options: SessionOptions = {}): Promise<Session> {
  const seed = options.provider ? ctx.env[oauthxVar(options.provider, "REFRESH_TOKEN")] : undefined;
  // CI mode writes nothing under OAUTHX_HOME, not even the providers parse memo.
  const registry = await loadRegistry(ctx.home, { remember: !seed });
  let store: DocumentStore;
  if (seed && options.provider) {
    registry.get(options.provider);
    store = seededStore({
      provider: options.provider,
      profile: options.profile ?? DEFAULT_PROFILE,
      refreshToken: seed,
    });
  } else {
    const { openStore } = await import("../store/store.ts");
    store = openStore({ home: ctx.home, env: ctx.env, now: ctx.now });
  }
  const seeded = seed !== undefined && seed !== "";
  const manager = new TokenManager({
    store,
    now: ctx.now,
    // A library must not take over its host's signals; the CLI defers them during a refresh.
    ...(options.deferSignals === false ? {} : { critical: withSignalsDeferred }),
    // Rotation matters only for a seeded token: in the store, the new one replaces the old.
    ...(options.onRotate && seeded ? { onRotate: options.onRotate } : {}),
  });
  return { registry, store, manager, seeded };
}

/** Resolves the provider for a stored profile: its remembered vars and kept client credentials. */
export function clientFor(
  ctx: Context,
  entry: ProviderEntry,
  stored?: TokenEntry,
  extra: Partial<ResolveInput> = {},
) {
  return resolveProvider(entry, {
    env: ctx.env,
    ...(stored?.vars ? { storedVars: stored.vars } : {}),
    ...(stored?.client ? { storedClient: stored.client } : {}),
    ...extra,
  });
}

/**
 * Fills endpoints from discovery for providers described by an issuer. The store caches metadata
 * (login writes it), so later commands need no request; a missing cache entry is fetched.
 */
export async function resolveEndpoints(
  client: ProviderClient,
  document: StoreDocument | undefined,
): Promise<ProviderClient & { metadata?: AuthorizationServerMetadata }> {
  const { issuer, token_endpoint, authorization_endpoint } = client.server;
  if (!issuer || (token_endpoint && authorization_endpoint)) return client;
  const cached = document?.discovery?.[issuer] as AuthorizationServerMetadata | undefined;
  const metadata = cached ?? (await fetchMetadata(issuer, client));
  const server: AuthorizationServer = { ...pickEndpoints(metadata), ...definedOnly(client.server) };
  return { ...client, server, metadata };
}

async function fetchMetadata(issuer: string, client: ProviderClient) {
  const { discover } = await import("../oauth/discovery.ts");
  return discover(issuer, { headers: client.tokenOptions.headers ?? {} });
}

/** The members of discovery metadata that describe the server (RFC 8414 §2, RFC 9207 §3). */
const SERVER_FIELDS = [
  "issuer",
  "authorization_endpoint",
  "token_endpoint",
  "revocation_endpoint",
  "device_authorization_endpoint",
  "userinfo_endpoint",
  "authorization_response_iss_parameter_supported",
] as const;

function pickEndpoints(metadata: AuthorizationServerMetadata): AuthorizationServer {
  const picked = Object.fromEntries(SERVER_FIELDS.map((name) => [name, metadata[name]]));
  return definedOnly(picked) as unknown as AuthorizationServer;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

/** The refresh half of the token manager for one provider: RFC 6749 §6 through src/oauth. */
export function refresherFor(
  ctx: Context,
  session: Session,
  entry: ProviderEntry,
  profile: string,
): Refresher {
  return async (stored) => {
    const { refreshToken } = await import("../oauth/token-endpoint.ts");
    const client = await resolveEndpoints(clientFor(ctx, entry, stored), await session.store.read());
    if (!client.server.token_endpoint) {
      throw new OauthxError("CONFIG_INVALID", `${entry.id} has no token endpoint`, {
        remedy: `set token_endpoint or issuer for ${entry.id} in your providers file`,
      });
    }
    const tokens = await refreshToken(
      client.server,
      client.client,
      { refresh_token: stored.refresh_token ?? "", scope_separator: client.definition.scope_separator },
      {
        ...client.tokenOptions,
        timeoutMs: REFRESH_TIMEOUT_MS,
        retry: REFRESH_RETRY,
        relogin_remedy: loginRemedy(entry.id, profile),
      },
    );
    return {
      access_token: tokens.access_token,
      token_type: tokens.token_type,
      ...(tokens.expires_in !== undefined ? { expires_in: tokens.expires_in } : {}),
      ...(tokens.refresh_token !== undefined ? { refresh_token: tokens.refresh_token } : {}),
      ...(tokens.scope !== undefined ? { scope: tokens.scope } : {}),
      ...(Object.keys(tokens.extra).length > 0 ? { extra: stringValues(tokens.extra) } : {}),
    };
  };
}

export function stringValues(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [
      key,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}
