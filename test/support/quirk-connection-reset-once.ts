// A server whose first connection is reset before the request on it is read: what a client meets
// when a server (or the proxy before it) drops a connection as the request arrives: a kept-alive
// one closed at its idle timeout, a listen backlog overflowing, a worker restarting. The server
// never sees that request ("it answered every request"); later connections are answered. Raw
// HTTP/1.1 on a socket, so the test decides every byte. Binds 127.0.0.1 on an ephemeral port.

import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";

export interface ConnectionResetOnce {
  url: string;
  /** Requests answered, and connections reset. */
  answered: number;
  reset: number;
  /** Reset the next connection again. */
  rearm(): void;
  close(): Promise<void>;
}

export async function startConnectionResetOnce(): Promise<ConnectionResetOnce> {
  const state = { answered: 0, reset: 0, armed: true };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    if (state.armed) {
      state.armed = false;
      state.reset++;
      socket.resetAndDestroy();
      return;
    }
    let buffered = "";
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      if (!buffered.includes("\r\n\r\n")) return;
      buffered = "";
      state.answered++;
      socket.write(
        `HTTP/1.1 404 Not Found\r\nDate: ${new Date().toUTCString()}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      socket.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get answered() {
      return state.answered;
    },
    get reset() {
      return state.reset;
    },
    rearm: () => {
      state.armed = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
