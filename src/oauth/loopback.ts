// The loopback redirect server of a native app (RFC 8252 §7.3, §8.3): it binds the loopback
// interface only — never 0.0.0.0 — on an ephemeral port unless the provider insists on fixed ones,
// waits for the one valid authorization response, shows a small page, and closes.
//
//   - 127.0.0.1 (or [::1]) as registered; for `localhost` both 127.0.0.1 and ::1 on the same port,
//     since browsers may resolve localhost to ::1 first.
//   - Only `GET <path>` with the right Host is considered. Anything else (favicon, other paths, a
//     response with a missing or wrong state) gets an error page and the flow goes on; the first
//     response carrying our state ends it (authorization-response.ts has the rules).
//   - A timeout (default 5 min) → CALLBACK_TIMEOUT; an AbortSignal (Ctrl-C) → INTERRUPTED; either
//     way the server is closed before the promise settles.

import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { OauthxError } from "../errors.ts";
import {
  type AuthorizationCode,
  type CallbackExpectation,
  judgeAuthorizationResponse,
} from "./authorization-response.ts";
import { CALLBACK_PAGE_HEADERS, renderCallbackPage } from "./callback-page.ts";

export type LoopbackHost = "127.0.0.1" | "localhost" | "[::1]";

export interface LoopbackOptions {
  /** The redirect host as registered with the provider; default 127.0.0.1. */
  host?: LoopbackHost;
  /** Exact redirect path; default /callback. */
  path?: string;
  /** Fixed ports, tried in order (providers that only accept registered ports). Default: ephemeral. */
  ports?: readonly number[];
}

export interface WaitForCallbackOptions extends CallbackExpectation {
  /** Default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface LoopbackServer {
  /** `http://<host>:<port><path>`, to send as redirect_uri. */
  readonly redirect_uri: string;
  readonly port: number;
  /** Resolves with the code of the first valid response; the server is closed when it settles. */
  waitForCallback(options: WaitForCallbackOptions): Promise<AuthorizationCode>;
  /** Idempotent; a pending waitForCallback rejects with INTERRUPTED. */
  close(): Promise<void>;
}

export const DEFAULT_CALLBACK_TIMEOUT_MS = 5 * 60_000;
const EPHEMERAL_ATTEMPTS = 5;

function listen(server: Server, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      const bound = server.address();
      resolve(typeof bound === "object" && bound !== null ? bound.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, address);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    // Browsers keep connections alive; close them so close() completes now (Node 18.2+, Bun, Deno).
    const withClose = server as Server & { closeAllConnections?: () => void };
    withClose.closeAllConnections?.();
  });
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Addresses to bind for a redirect host. The first is required, the others best effort. */
function addressesFor(host: LoopbackHost): string[] {
  if (host === "[::1]") return ["::1"];
  if (host === "localhost") return ["127.0.0.1", "::1"];
  return ["127.0.0.1"];
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** Binds every address of `host` on one port; undefined when the port is taken on any of them. */
async function bindAll(
  addresses: string[],
  port: number,
  handler: Handler,
): Promise<{ servers: Server[]; port: number } | undefined> {
  // Imported here, not at the top: the single-file bundle hoists a static `node:http` import to
  // start-up, where it costs every command (token, exec) several milliseconds; only login needs it.
  const { createServer } = await import("node:http");
  const servers: Server[] = [];
  let actualPort = port;
  for (const [index, address] of addresses.entries()) {
    const server = createServer(handler);
    try {
      actualPort = await listen(server, actualPort, address);
      servers.push(server);
    } catch (error) {
      const code = errorCode(error);
      // ::1 unavailable (IPv6 disabled): 127.0.0.1 alone still works for most browsers.
      if (index > 0 && (code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT")) continue;
      await Promise.all(servers.map(closeServer));
      if (code === "EADDRINUSE" || code === "EACCES") return undefined;
      throw new OauthxError(
        "PORT_IN_USE",
        `cannot listen on ${address}:${actualPort} (${code ?? "unknown error"})`,
        {
          remedy: "check that the loopback interface is available",
        },
      );
    }
  }
  return { servers, port: actualPort };
}

export async function startLoopbackServer(options: LoopbackOptions = {}): Promise<LoopbackServer> {
  const host = options.host ?? "127.0.0.1";
  const path = options.path ?? "/callback";
  if (!path.startsWith("/")) throw new OauthxError("CONFIG_INVALID", "the redirect path must start with /");
  const addresses = addressesFor(host);

  let waiter: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  let port = 0;
  const handler: Handler = (request, response) => {
    const send = (
      status: number,
      outcome: "success" | "error",
      title: string,
      detail: string,
      extra = {},
    ) => {
      response.writeHead(status, { ...CALLBACK_PAGE_HEADERS, ...extra });
      response.end(renderCallbackPage(outcome, title, detail));
    };
    // DNS rebinding: a web page that made its own name resolve to 127.0.0.1 sends its own Host.
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    if (!allowedHosts.includes((request.headers.host ?? "").toLowerCase())) {
      send(400, "error", "Bad request", "This address only answers the oauthx login in progress.");
      return;
    }
    if (request.method !== "GET") {
      send(405, "error", "Method not allowed", "The login answer arrives as a GET request.", {
        allow: "GET",
      });
      return;
    }
    const url = new URL(request.url ?? "/", `http://127.0.0.1:${port}`);
    if (url.pathname !== path) {
      send(404, "error", "Not found", "This is not the login redirect address.");
      return;
    }
    if (!waiter) {
      send(503, "error", "Not ready", "oauthx is not waiting for a login answer.");
      return;
    }
    waiter(request, response);
  };

  const fixed = options.ports !== undefined && options.ports.length > 0;
  const candidates = fixed ? [...(options.ports ?? [])] : Array.from({ length: EPHEMERAL_ATTEMPTS }, () => 0);
  let bound: { servers: Server[]; port: number } | undefined;
  for (const candidate of candidates) {
    bound = await bindAll(addresses, candidate, handler);
    if (bound) break;
  }
  if (!bound) {
    throw new OauthxError(
      "PORT_IN_USE",
      fixed
        ? `the redirect port${candidates.length > 1 ? "s" : ""} ${candidates.join(", ")} ${candidates.length > 1 ? "are" : "is"} in use`
        : "no free loopback port was found",
      {
        remedy: fixed
          ? "stop the program using that port (the provider accepts only these redirect ports), then try again"
          : "try again",
      },
    );
  }
  const servers = bound.servers;
  port = bound.port;
  const redirect_uri = `http://${host}:${port}${path}`;

  let closing: Promise<void> | undefined;
  /** Settles a pending waitForCallback when close() comes first. */
  let cancelWait: (() => void) | undefined;
  const close = () => {
    cancelWait?.();
    closing ??= Promise.all(servers.map(closeServer)).then(() => undefined);
    return closing;
  };
  let waited = false;

  const waitForCallback = (wait: WaitForCallbackOptions): Promise<AuthorizationCode> => {
    if (waited) return Promise.reject(new OauthxError("INTERNAL", "waitForCallback may be called once"));
    waited = true;
    return new Promise<AuthorizationCode>((resolve, reject) => {
      let settled = false;
      let ignored: string | undefined;
      const timeoutMs = wait.timeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        cancelWait = undefined;
        clearTimeout(timer);
        wait.signal?.removeEventListener("abort", onAbort);
        waiter = undefined;
        void close().then(outcome);
      };
      const timer = setTimeout(() => {
        const minutes =
          timeoutMs >= 60_000 ? `${Math.round(timeoutMs / 60_000)} min` : `${Math.round(timeoutMs / 1000)} s`;
        finish(() =>
          reject(
            new OauthxError(
              "CALLBACK_TIMEOUT",
              `no authorization response arrived within ${minutes}${ignored ? ` (a response was ignored: ${ignored})` : ""}`,
              { remedy: "run the login again and complete it in the browser" },
            ),
          ),
        );
      }, timeoutMs);
      const onAbort = () => finish(() => reject(new OauthxError("INTERRUPTED", "the login was cancelled")));
      cancelWait = onAbort;
      if (wait.signal?.aborted) {
        onAbort();
        return;
      }
      wait.signal?.addEventListener("abort", onAbort, { once: true });

      waiter = (request, response) => {
        const url = new URL(request.url ?? "/", `http://127.0.0.1:${port}`);
        const verdict = judgeAuthorizationResponse(url.searchParams, wait);
        const send = (status: number, outcome: "success" | "error", title: string, detail: string) => {
          response.writeHead(status, CALLBACK_PAGE_HEADERS);
          response.end(renderCallbackPage(outcome, title, detail));
        };
        if (verdict.kind === "ignore") {
          ignored = verdict.reason;
          send(
            400,
            "error",
            "Not this login",
            `This response was ignored: ${verdict.reason}. oauthx is still waiting.`,
          );
          return;
        }
        // Final: stop judging further requests, answer, then close once the page is out.
        waiter = undefined;
        const settle =
          verdict.kind === "fail"
            ? () => finish(() => reject(verdict.error))
            : () => finish(() => resolve(verdict.result));
        response.once("finish", settle);
        response.once("close", settle);
        if (verdict.kind === "fail") {
          send(400, "error", "Login failed", `${verdict.error.message}. You can close this tab.`);
        } else {
          send(
            200,
            "success",
            "Signed in",
            "oauthx received the authorization. You can close this tab and return to the terminal.",
          );
        }
      };
    });
  };

  return { redirect_uri, port, waitForCallback, close };
}
