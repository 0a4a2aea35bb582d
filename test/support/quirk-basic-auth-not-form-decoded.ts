// LemonLDAP::NG 2.16 reads HTTP Basic client credentials without form-decoding them (RFC 6749
// §2.3.1 has the client form-encode id and secret before Base64, and the server decode them), so a
// secret with reserved characters never matches: `invalid_client`, while the same secret sent
// with client_secret_post works. Layered on oidc-provider as Koa middleware: a Basic header whose
// parts change when form-decoded is refused as that server refuses it.

import type { AuthServer } from "./auth-server.ts";

interface KoaContext {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  status: number;
  body: unknown;
}

function formDecode(value: string): string {
  return new URLSearchParams(`v=${value}`).get("v") ?? value;
}

export function refuseFormEncodedBasicCredentials(server: AuthServer): { refused: number } {
  const seen = { refused: 0 };
  server.provider.use(async (raw, next) => {
    const ctx = raw as KoaContext;
    const header = ctx.headers.authorization;
    if (ctx.method === "POST" && ctx.path === "/token" && header?.startsWith("Basic ")) {
      const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
      if (formDecode(decoded) !== decoded) {
        seen.refused++;
        ctx.status = 401;
        ctx.body = { error: "invalid_client", error_description: "Authentication failed" };
        return;
      }
    }
    await next();
  });
  return seen;
}
