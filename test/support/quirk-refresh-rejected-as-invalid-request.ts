// LemonLDAP::NG 2.16 answers a dead refresh token (revoked, expired, reused) with `invalid_request`
// where RFC 6749 §5.2 says `invalid_grant`. Layered on oidc-provider as Koa middleware, so the
// grant, rotation and revocation stay the real server's: only the error name is the quirk.

import type { AuthServer } from "./auth-server.ts";

interface KoaContext {
  method: string;
  path: string;
  body: unknown;
  oidc?: { params?: Record<string, unknown> };
}

/** Renames `invalid_grant` to `invalid_request` in refresh answers; counts how often it did. */
export function rejectDeadRefreshAsInvalidRequest(server: AuthServer): { renamed: number } {
  const seen = { renamed: 0 };
  server.provider.use(async (raw, next) => {
    await next();
    const ctx = raw as KoaContext;
    const body = ctx.body as { error?: unknown } | undefined;
    if (
      ctx.method === "POST" &&
      ctx.path === "/token" &&
      ctx.oidc?.params?.grant_type === "refresh_token" &&
      body?.error === "invalid_grant"
    ) {
      seen.renamed++;
      ctx.body = { error: "invalid_request", error_description: "Invalid request" };
    }
  });
  return seen;
}
