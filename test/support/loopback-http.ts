// Starts a test's HTTP server the one way the standards allow: 127.0.0.1, an ephemeral port, and a
// close that also ends kept-alive connections (so no test waits on a socket the client left open).

import type { Server } from "node:http";
import { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface ListeningServer {
  /** `http://127.0.0.1:<port>` (`https://` for an HTTPS server) */
  url: string;
  /** Stops listening and ends open connections; safe to call more than once. */
  close(): Promise<void>;
}

export async function listenOnLoopback(
  server: Server | HttpsServer,
  beforeClose?: () => void,
): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `${server instanceof HttpsServer ? "https" : "http"}://127.0.0.1:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        beforeClose?.();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
