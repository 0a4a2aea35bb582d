// `exec --serve`: for the child's lifetime, an endpoint on 127.0.0.1 that answers a fresh token on
// each GET (like aws-vault's --ecs-server), for children that outlive one access token.
//
//   GET http://127.0.0.1:<port>/<provider>   Authorization: Bearer <per-run secret>
//   → 200 {"access_token","token_type","expires_at"}
//   otherwise 401 (secret), 405 (method), 400 (undecodable path), 404 (provider not served),
//   503 {"error": <oauthx error code>} (no token to be had), 500 (a bug): JSON, never a secret.
//
// The secret is random per run and handed only to the child (OAUTHX_SERVE_SECRET); other local
// users and processes cannot ask for tokens without it. Compared in constant time.

import { isOauthxError } from "../../errors.ts";
import type { TokenEntry } from "../../store/document.ts";

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
  const server = createServer((request, response) => {
    const reply = (status: number, body: object, headers: Record<string, string> = {}) => {
      response.writeHead(status, {
        "content-type": "application/json",
        "cache-control": "no-store",
        ...headers,
      });
      response.end(`${JSON.stringify(body)}\n`);
    };
    const answer = async () => {
      const given = Buffer.from(request.headers.authorization ?? "");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        reply(401, { error: "unauthorized" });
        return;
      }
      if (request.method !== "GET") {
        reply(405, { error: "method_not_allowed" }, { allow: "GET" });
        return;
      }
      const provider = providerIn(request.url);
      if (provider === undefined) {
        reply(400, { error: "bad_request" });
        return;
      }
      if (!providers.includes(provider)) {
        reply(404, { error: "not_found", providers });
        return;
      }
      let token: TokenEntry;
      try {
        token = await fresh(provider);
      } catch (error) {
        // The code only: messages may name the provider's answer, and the child needs no more.
        reply(503, { error: isOauthxError(error) ? error.code : "INTERNAL" });
        return;
      }
      reply(200, {
        access_token: token.access_token,
        token_type: token.token_type,
        expires_at: token.expires_at === undefined ? null : new Date(token.expires_at * 1000).toISOString(),
      });
    };
    // Nothing may escape the handler: Node would exit (orphaning the child and leaving its token
    // files), Bun would leave the request hanging. The error's text is never sent, it may hold a token.
    answer().catch(() => {
      if (response.headersSent) response.destroy();
      else reply(500, { error: "internal" });
    });
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

/** The provider named by a request path ("/my%20provider"); undefined when it cannot be decoded. */
function providerIn(requestUrl: string | undefined): string | undefined {
  try {
    return decodeURIComponent(new URL(requestUrl ?? "/", "http://127.0.0.1").pathname.slice(1));
  } catch {
    return undefined; // "//" is no URL; "%E0%A4%A" is no UTF-8 percent-encoding (URIError)
  }
}
