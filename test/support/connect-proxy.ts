// A minimal HTTP CONNECT proxy (RFC 9110 §9.3.6) on 127.0.0.1, as a company's egress proxy is to
// an HTTPS client: it records each tunnel's target and relays bytes, seeing nothing inside TLS.
// Plain-HTTP requests through it (absolute-form) are refused with 502, so a test sees them.
// Test infrastructure, not a quirk.

import { createServer, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { listenOnLoopback } from "./loopback-http.ts";

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`, for HTTPS_PROXY. */
  url: string;
  /** `host:port` of every CONNECT, and the absolute URLs of plain requests. */
  tunnels: string[];
  plain: string[];
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const plain: string[] = [];
  const open = new Set<Socket>();
  const server = createServer((request, response) => {
    plain.push(request.url ?? "");
    response.writeHead(502).end();
  });
  server.on("connect", (request: IncomingMessage, client: Socket, head: Buffer) => {
    const target = request.url ?? "";
    tunnels.push(target);
    const [host, port] = [
      target.slice(0, target.lastIndexOf(":")),
      Number(target.slice(target.lastIndexOf(":") + 1)),
    ];
    const upstream = connect(port, host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  const listening = await listenOnLoopback(server, () => {
    for (const socket of open) socket.destroy();
  });
  return { url: listening.url, tunnels, plain, close: listening.close };
}
