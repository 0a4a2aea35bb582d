// Django OAuth Toolkit's discovery (1.7, Debian bookworm): the document is served only at
// `…/.well-known/openid-configuration/`, with a trailing slash; the address OIDC Discovery §4
// names answers 301 to it, and the RFC 8414 address answers 404. Its document lists neither
// scopes_supported nor code_challenge_methods_supported nor a revocation endpoint (that second
// quirk is quirk-metadata-without-scopes.ts). Binds 127.0.0.1 on an ephemeral port.

import { createServer } from "node:http";
import { listenOnLoopback } from "./loopback-http.ts";

export interface TrailingSlashDiscovery {
  /** The issuer, `http://127.0.0.1:<port>/o` (DOT's usual mount point). */
  issuer: string;
  /** Every path asked for, in order. */
  paths: string[];
  close(): Promise<void>;
}

/**
 * Serves `metadata(issuer)` at the slash-terminated address. `redirectTo` overrides the 301's
 * Location (to test a redirect to another origin or a loop); `withoutQuirk` serves the document
 * at the address without the slash too (the bench's baseline).
 */
export async function startTrailingSlashDiscovery(
  metadata: (issuer: string) => Record<string, unknown>,
  options: { redirectTo?: (path: string) => string; withoutQuirk?: boolean } = {},
): Promise<TrailingSlashDiscovery> {
  const paths: string[] = [];
  let issuer = "";
  const server = createServer((request, response) => {
    const path = request.url ?? "/";
    paths.push(path);
    if (path === "/o/.well-known/openid-configuration" && options.withoutQuirk) {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(metadata(issuer)));
    } else if (path === "/o/.well-known/openid-configuration") {
      response.writeHead(301, { location: options.redirectTo?.(path) ?? `${path}/` }).end();
    } else if (path === "/o/.well-known/openid-configuration/") {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(metadata(issuer)));
    } else {
      response.writeHead(404, { "content-type": "text/html" }).end("<h1>Not Found</h1>");
    }
  });
  const listening = await listenOnLoopback(server);
  issuer = `${listening.url}/o`;
  return { issuer, paths, close: listening.close };
}
