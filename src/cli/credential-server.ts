// `exec --serve`: for the child's lifetime, an endpoint on 127.0.0.1 that answers a fresh token on
// each GET (like aws-vault's --ecs-server), for children that outlive one access token.
//
//   GET http://127.0.0.1:<port>/<provider>   Authorization: Bearer <per-run secret>
//   → 200 {"access_token","token_type","expires_at"}
//
// The secret is random per run and handed only to the child (OAUTHX_SERVE_SECRET); other local
// users and processes cannot ask for tokens without it. Compared in constant time.

import type { TokenEntry } from "../store/document.ts";

export interface CredentialServer {
  url: string;
  secret: string;
  close(): Promise<void>;
}

export async function startCredentialServer(
  providers: readonly string[],
  fresh: (provider: string) => Promise<TokenEntry>,
): Promise<CredentialServer> {
  // Imported on use: static imports of built-ins are hoisted to the bundle's start-up, where
  // node:http and node:crypto would cost every `token` and `exec` run, --serve or not.
  const [{ timingSafeEqual }, { createServer }] = await Promise.all([
    import("node:crypto"),
    import("node:http"),
  ]);
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const expected = Buffer.from(`Bearer ${secret}`);
  const server = createServer(async (request, response) => {
    const reply = (status: number, body: object) => {
      response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      response.end(`${JSON.stringify(body)}\n`);
    };
    const given = Buffer.from(request.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      reply(401, { error: "unauthorized" });
      return;
    }
    const provider = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname.slice(1));
    if (request.method !== "GET" || !providers.includes(provider)) {
      reply(404, { error: "not_found", providers });
      return;
    }
    try {
      const token = await fresh(provider);
      reply(200, {
        access_token: token.access_token,
        token_type: token.token_type,
        expires_at: token.expires_at === undefined ? null : new Date(token.expires_at * 1000).toISOString(),
      });
    } catch (error) {
      const code = (error as { code?: string }).code ?? "INTERNAL";
      reply(503, { error: code });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    secret,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
