// Ending a stored login's grant at the provider (RFC 7009 §2.1: the refresh token first, which ends
// the grant on most servers, then the access token), for `logout` and for the login a new login
// replaces. Styles that take only an access token (GitHub's DELETE, `bearer_post`) are never sent
// the refresh token.
//
// What happened is said as it is: a provider with no revocation, or a revocation endpoint that
// discovery says public clients cannot use (`revocation_endpoint_auth_methods_supported` without
// "none", RFC 8414 §2), leaves the grant active at the provider, and the caller tells the user where
// to end it by hand. A request that cannot succeed is not sent.

import { isOauthxError, type OauthxError } from "../errors.ts";
import type { RevocationRequest } from "../oauth/revoke.ts";
import type { TokenEntry } from "../store/document.ts";
import type { ResolvedClient } from "./endpoints.ts";
import { assertBoundOrigin } from "./origin-binding.ts";
import { revocationOptions } from "./provider-client.ts";

export type RevocationOutcome =
  /** The server confirmed: the grant is over. */
  | { kind: "revoked" }
  /** The provider offers no revocation: the grant lasts until it expires or the user ends it. */
  | { kind: "unsupported" }
  /** The endpoint accepts authenticated clients only, and this login has no client secret. */
  | { kind: "refused" }
  /** Tried and failed (network, an error answer): the grant may still be active. */
  | { kind: "failed"; error: OauthxError };

export interface RevokeLoginOptions {
  /**
   * A current access token, for the styles that revoke only an access token: it is their one handle
   * on the grant, so logout refreshes an expired one first. Default: the stored one.
   */
  currentAccessToken?: () => Promise<string>;
}

/**
 * Revokes what `stored` holds at `client`'s revocation endpoint. Throws ORIGIN_MISMATCH (before
 * anything is sent) when that endpoint is not on an origin the login is bound to; every other
 * failure is a `failed` outcome.
 */
export async function revokeLogin(
  provider: string,
  client: ResolvedClient,
  stored: TokenEntry,
  options: RevokeLoginOptions = {},
): Promise<RevocationOutcome> {
  const style = client.definition.revocation;
  const endpoint = client.server.revocation_endpoint;
  if (style === "none" || !endpoint) return { kind: "unsupported" };
  if (refusesPublicClients(client)) return { kind: "refused" };
  assertBoundOrigin(provider, stored, endpoint, "the tokens");
  try {
    const { revokeToken, revokesAccessTokenOnly } = await import("../oauth/revoke.ts");
    const requests: (() => Promise<RevocationRequest>)[] = [];
    if (stored.refresh_token && !revokesAccessTokenOnly(style)) {
      const token = stored.refresh_token;
      requests.push(async () => ({ token, token_type_hint: "refresh_token" }));
    }
    if (stored.access_token) {
      requests.push(async () => ({
        token:
          revokesAccessTokenOnly(style) && options.currentAccessToken
            ? await options.currentAccessToken()
            : stored.access_token,
        token_type_hint: "access_token",
      }));
    }
    for (const request of requests) {
      await revokeToken(client.server, client.client, await request(), revocationOptions(client));
    }
    return { kind: "revoked" };
  } catch (error) {
    if (!isOauthxError(error) || error.code === "ORIGIN_MISMATCH") throw error;
    return { kind: "failed", error };
  }
}

/** Discovery says the revocation endpoint authenticates clients, and this client cannot. */
function refusesPublicClients(client: ResolvedClient): boolean {
  const methods = client.server.revocation_endpoint_auth_methods_supported;
  const isPublic = client.client.client_auth === "none" && !client.client.client_secret;
  return isPublic && methods !== undefined && !methods.includes("none");
}

/** Where a person ends the app's access by hand, for messages. */
export function whereToRevoke(definition: ResolvedClient["definition"]): string {
  return (
    definition.revoke_access_url ??
    definition.docs_url ??
    `${definition.name}'s account settings (connected apps)`
  );
}
