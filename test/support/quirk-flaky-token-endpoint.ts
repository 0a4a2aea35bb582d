// A token endpoint that misbehaves on cue — the failures no real server reproduces on demand:
// 503/429 with Retry-After, a 500, an answer slower than the client's timeout, a dropped
// connection, RFC 8628 slow_down. Each request is recorded, so a test can count how many times a
// one-time credential reached the server. Binds 127.0.0.1 on an ephemeral port.

import { createServer, type IncomingMessage } from "node:http";
import { listenOnLoopback } from "./loopback-http.ts";

export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Wait this long before answering (to trigger client timeouts). */
  delayMs?: number;
  /** Drop the connection without answering. */
  destroy?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface FlakyTokenEndpoint {
  /** Base URL, `http://127.0.0.1:<port>`; every path is answered from the script. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Answers request n with replies[n]; once the script runs out, the last reply repeats. */
export async function startFlakyTokenEndpoint(replies: ScriptedReply[]): Promise<FlakyTokenEndpoint> {
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const index = requests.length;
      requests.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const reply = replies[Math.min(index, replies.length - 1)] ?? {};
      const answer = () => {
        if (reply.destroy) {
          request.socket.destroy();
          return;
        }
        const isText = typeof reply.body === "string";
        const body =
          reply.body === undefined ? "" : isText ? (reply.body as string) : JSON.stringify(reply.body);
        response.writeHead(reply.status ?? 200, {
          ...(reply.body !== undefined && !isText ? { "content-type": "application/json" } : {}),
          ...reply.headers,
        });
        response.end(body);
      };
      if (reply.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!response.destroyed) answer();
        }, reply.delayMs);
        timers.add(timer);
      } else {
        answer();
      }
    });
  });
  const listening = await listenOnLoopback(server, () => {
    for (const timer of timers) clearTimeout(timer);
  });
  return { url: listening.url, requests, close: listening.close };
}
