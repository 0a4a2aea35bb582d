// A provider described by an issuer gets the endpoints its entry does not list from discovery
// (RFC 8414 §3, OIDC Discovery §4). The store caches the metadata (login writes it), so later
// commands need no request; a missing cache entry is fetched.

import type { AuthorizationServerMetadata } from "../oauth/discovery.ts";
import type { AuthorizationServer, HttpOptions } from "../oauth/types.ts";
import type { StoreDocument } from "../store/document.ts";
import type { ProviderClient } from "./provider-client.ts";

export type ResolvedClient = ProviderClient & { metadata?: AuthorizationServerMetadata };

/** Where cached metadata is looked up: a store document's `discovery`, by issuer. */
export type DiscoveryCache = Pick<StoreDocument, "discovery"> | undefined;

export async function resolveEndpoints(
  client: ProviderClient,
  cache: DiscoveryCache,
  options: Pick<HttpOptions, "timeoutMs" | "retry"> = {},
): Promise<ResolvedClient> {
  const { issuer } = client.server;
  if (!issuer || !needsDiscovery(client)) return client;
  const cached = cache?.discovery?.[issuer] as AuthorizationServerMetadata | undefined;
  const metadata = cached ?? (await fetchMetadata(issuer, client, options));
  const server: AuthorizationServer = { ...pickEndpoints(metadata), ...definedOnly(client.server) };
  return { ...client, server, metadata };
}

/** An issuer-described provider whose entry leaves out an endpoint a flow needs. */
export function needsDiscovery(client: ProviderClient): boolean {
  const { issuer, token_endpoint, authorization_endpoint } = client.server;
  return issuer !== undefined && !(token_endpoint && authorization_endpoint);
}

async function fetchMetadata(
  issuer: string,
  client: ProviderClient,
  options: Pick<HttpOptions, "timeoutMs" | "retry">,
) {
  const { discover } = await import("../oauth/discovery.ts");
  return discover(issuer, { ...options, headers: client.tokenOptions.headers ?? {} });
}

/** The members of discovery metadata that describe the server (RFC 8414 §2, RFC 9207 §3, RFC 7009 §5). */
const SERVER_FIELDS = [
  "issuer",
  "authorization_endpoint",
  "token_endpoint",
  "revocation_endpoint",
  "revocation_endpoint_auth_methods_supported",
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
