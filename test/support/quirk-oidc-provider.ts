// Quirks of real deployments that oidc-provider does not have, layered on it as Koa middleware so
// everything else stays the real server's behaviour. Each is named after the quirk.

import type { AuthServer } from "./auth-server.ts";

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  headers: Record<string, string | undefined>;
  status: number;
  type: string;
  body: unknown;
}

/**
 * The server matches redirect URIs exactly, port included (against RFC 8252 §7.3, but common):
 * an authorization request with any other redirect_uri gets the server's own error page, and the
 * browser never comes back to the client.
 */
export function matchRedirectUriExactly(server: AuthServer, registered: string): { refused: number } {
  const seen = { refused: 0 };
  server.provider.use(async (raw, next) => {
    const ctx = raw as KoaContext;
    if (ctx.method === "GET" && ctx.path === "/auth" && ctx.query.redirect_uri !== registered) {
      seen.refused++;
      ctx.status = 400;
      ctx.type = "html";
      ctx.body =
        "<!doctype html><h1>Error</h1><p>invalid_request: redirect_uri did not match a registered one</p>";
      return;
    }
    await next();
  });
  return seen;
}

/**
 * The revocation endpoint accepts only authenticated clients, as its discovery document says
 * (`revocation_endpoint_auth_methods_supported` without "none", RFC 8414 §2): a public client's
 * revocation request is answered 401 invalid_client and revokes nothing.
 */
export function revocationRefusesPublicClients(server: AuthServer): { attempts: number } {
  const seen = { attempts: 0 };
  server.provider.use(async (raw, next) => {
    const ctx = raw as KoaContext;
    if (ctx.method === "POST" && ctx.path === "/token/revocation" && !ctx.headers.authorization) {
      seen.attempts++;
      ctx.status = 401;
      ctx.type = "json";
      ctx.body = { error: "invalid_client", error_description: "client authentication is required" };
      return;
    }
    await next();
    if (ctx.path === "/.well-known/openid-configuration" && typeof ctx.body === "object" && ctx.body) {
      (ctx.body as Record<string, unknown>).revocation_endpoint_auth_methods_supported = [
        "client_secret_basic",
        "client_secret_post",
      ];
    }
  });
  return seen;
}
