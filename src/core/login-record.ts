// What a new login stores, and what it does to the login it replaces. The flows themselves (code,
// device) are the CLI's; turning their tokens into a stored entry is the core's.

import type { OauthxError } from "../errors.ts";
import type { TokenSet } from "../oauth/types.ts";
import type { TokenEntry } from "../store/document.ts";
import type { ResolvedClient } from "./endpoints.ts";
import { credentialOrigins } from "./origin-binding.ts";
import { stringValues } from "./refresher.ts";
import { revokeLogin } from "./revocation.ts";
import { expiresAt } from "./token-manager.ts";

/**
 * The scopes a login asks for when --scope is not given: the provider's defaults, or for an entry
 * that names only an issuer, `openid` (OIDC Core §3.1.2.1 requires it) plus `offline_access`
 * when discovery lists it (§11: the way to a refresh token) — servers that require a scope would
 * otherwise refuse after the user signed in.
 */
export function defaultScopes(client: ResolvedClient): string[] {
  const { definition } = client;
  if (definition.scopes.length > 0 || definition.issuer === undefined) return [...definition.scopes];
  const offline = client.metadata?.scopes_supported?.includes("offline_access") === true;
  return ["openid", ...(offline ? ["offline_access"] : [])];
}

export interface NewLogin {
  client: ResolvedClient;
  tokens: TokenSet;
  /** The scopes asked for: the stored scopes when the server does not say what it granted. */
  scopes: string[];
  nowMs: number;
  account: { label: string | undefined; claims: Record<string, unknown> | undefined };
  /** A client secret to keep with the login (given to this login, or kept from the last). */
  clientSecret: string | undefined;
}

export function loginEntry({ client, tokens, scopes, nowMs, account, clientSecret }: NewLogin): TokenEntry {
  const expiry = expiresAt(tokens, nowMs);
  const extra = stringValues(tokens.extra);
  return {
    access_token: tokens.access_token,
    token_type: tokens.token_type,
    ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
    ...(expiry === undefined ? {} : { expires_at: expiry }),
    scopes: tokens.scope ?? scopes,
    obtained_at: Math.floor(nowMs / 1000),
    ...(account.label ? { account: account.label } : {}),
    ...(account.claims ? { id_token_claims: account.claims } : {}),
    ...(tokens.id_token ? { id_token: tokens.id_token } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
    // The client id is remembered so refreshes work without flags.
    client: { client_id: client.client.client_id, ...(clientSecret ? { client_secret: clientSecret } : {}) },
    ...(Object.keys(client.vars).length > 0 ? { vars: client.vars } : {}),
    origins: credentialOrigins(client, extra),
  };
}

/** A label for people: from the id_token's claims (not verified: display only) or userinfo. */
export async function accountLabel(client: ResolvedClient, tokens: TokenSet): Promise<NewLogin["account"]> {
  const { decodeIdTokenClaimsUnverified, accountLabelFromClaims } = await import("../oauth/id-token.ts");
  const claims = tokens.id_token ? decodeIdTokenClaimsUnverified(tokens.id_token) : undefined;
  // An ID token often carries only `sub`; userinfo usually has a name a person recognises.
  const humanLabel = claims && ["email", "preferred_username", "name", "login"].some((name) => claims[name]);
  let label = humanLabel ? accountLabelFromClaims(claims) : undefined;
  if (!label && client.server.userinfo_endpoint) {
    const { fetchUserInfo } = await import("../oauth/userinfo.ts");
    // Best effort: a login is not failed for want of a name.
    const info = await fetchUserInfo(client.server, tokens.access_token, {
      headers: client.tokenOptions.headers ?? {},
      timeoutMs: 10_000,
    }).catch(() => undefined);
    label = accountLabelFromClaims(info) ?? accountLabelFromClaims(claims);
  } else {
    label ??= accountLabelFromClaims(claims);
  }
  return { label, claims };
}

/**
 * A new login to a profile replaces the old one in the store, but not at the provider: its grant
 * would stay alive with nobody holding it. Revoke it, best effort, once the new tokens are stored;
 * never when revoking would end the new login too (`revocation_ends: client_authorization`, or a
 * server that handed out the same token again). Returns why it did not, when it did not.
 */
export async function revokeReplaced(
  provider: string,
  client: ResolvedClient,
  old: TokenEntry,
  next: TokenEntry,
): Promise<OauthxError | undefined> {
  if (client.definition.revocation_ends !== "grant") return undefined;
  if (old.access_token === next.access_token) return undefined;
  if (old.refresh_token !== undefined && old.refresh_token === next.refresh_token) return undefined;
  // The old tokens go only where the old login is bound (ORIGIN_MISMATCH otherwise).
  const outcome = await revokeLogin(provider, client, old).catch((error: OauthxError) => ({
    kind: "failed" as const,
    error,
  }));
  return outcome.kind === "failed" ? outcome.error : undefined;
}
