// The retry rule of src/oauth/http.ts, which protects single-use credentials: a request is sent
// again only when it cannot have reached the server, or when the server refused it with 429/503 and
// said when to come back (Retry-After). Error shapes are those Node (undici), Bun and Deno produce
// for a real refused connection, failed lookup and reset (checked on each runtime).

import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { certificateProblem } from "../../src/oauth/certificate-error.ts";
import { failedBeforeSending, isTimeoutFailure, sendHttp } from "../../src/oauth/http.ts";
import { listenOnLoopback } from "../support/loopback-http.ts";
import { rejection } from "../support/rejection.ts";

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
/** Node's fetch: TypeError("fetch failed") with the system error as its cause. */
const undici = (cause: Error) => new TypeError("fetch failed", { cause });
/** Deno: no codes, the phase is in the message. */
const deno = (detail: string) =>
  new TypeError("fetch failed", {
    cause: new Error(`error sending request for url (https://auth.example.com/token): ${detail}`),
  });

describe("failedBeforeSending: only errors that prove nothing left this machine", () => {
  it.each([
    ["Node, connection refused", undici(coded("connect ECONNREFUSED 127.0.0.1:9", "ECONNREFUSED"))],
    ["Node, unknown host", undici(coded("getaddrinfo ENOTFOUND auth.example", "ENOTFOUND"))],
    ["Node, DNS temporarily failing", undici(coded("getaddrinfo EAI_AGAIN auth.example", "EAI_AGAIN"))],
    ["Node, network unreachable", undici(coded("connect ENETUNREACH 10.0.0.1:443", "ENETUNREACH"))],
    ["Node, host unreachable", undici(coded("connect EHOSTUNREACH 10.0.0.1:443", "EHOSTUNREACH"))],
    ["undici's connect timeout", undici(coded("Connect Timeout Error", "UND_ERR_CONNECT_TIMEOUT"))],
    ["Bun, connection refused", coded("ECONNREFUSED: Unable to connect.", "ECONNREFUSED")],
    ["older Bun, connection refused", coded("Unable to connect.", "ConnectionRefused")],
    ["Bun, socket not opened", coded("Was there a typo in the url or port?", "FailedToOpenSocket")],
    [
      "Deno, connection refused",
      deno("client error (Connect): tcp connect error: Connection refused (os error 111)"),
    ],
    ["Deno, unknown host", deno("client error (Connect): dns error: failed to lookup address information")],
  ])("%s: true", (_, error) => {
    expect(failedBeforeSending(error)).toBe(true);
  });

  it.each([
    ["Node, reset after sending", undici(coded("read ECONNRESET", "ECONNRESET"))],
    ["Node, socket closed by the server", undici(coded("other side closed", "UND_ERR_SOCKET"))],
    ["Node, broken pipe", undici(coded("write EPIPE", "EPIPE"))],
    ["a TCP timeout, which may come after sending", undici(coded("read ETIMEDOUT", "ETIMEDOUT"))],
    ["Bun, reset", coded("ECONNRESET: The socket connection was closed unexpectedly.", "ECONNRESET")],
    [
      "Deno, reset",
      new TypeError("fetch failed", { cause: new Error("Connection reset by peer (os error 104)") }),
    ],
    [
      "Deno, closed mid-answer",
      deno("client error (SendRequest): connection closed before message completed"),
    ],
    [
      "ky's timeout",
      Object.assign(new Error("Request timed out: POST https://auth.example.com/token"), {
        name: "TimeoutError",
      }),
    ],
    ["an abort", new DOMException("This operation was aborted", "AbortError")],
    [
      "a TLS failure",
      undici(coded("unable to verify the first certificate", "UNABLE_TO_VERIFY_LEAF_SIGNATURE")),
    ],
    ["no cause at all", new TypeError("fetch failed")],
    ["something that is not an Error", { code: "ECONNREFUSED" }],
  ])("%s: false", (_, error) => {
    expect(failedBeforeSending(error)).toBe(false);
  });

  it("an AggregateError (one per address tried) counts only when every attempt failed to connect", () => {
    const refused6 = coded("connect ECONNREFUSED ::1:443", "ECONNREFUSED");
    const refused4 = coded("connect ECONNREFUSED 127.0.0.1:443", "ECONNREFUSED");
    const unreachable = coded("connect ENETUNREACH 2001:db8::1:443", "ENETUNREACH");
    const reset = coded("read ECONNRESET", "ECONNRESET");
    expect(failedBeforeSending(undici(new AggregateError([refused6, refused4])))).toBe(true);
    expect(failedBeforeSending(undici(new AggregateError([unreachable, refused4])))).toBe(true);
    expect(failedBeforeSending(undici(new AggregateError([refused6, reset])))).toBe(false);
    expect(failedBeforeSending(undici(new AggregateError([])))).toBe(false);
  });

  it("follows a chain of causes, a bounded number of steps (a cycle ends)", () => {
    const wrapped = (depth: number) => {
      let error: Error = coded("connect ECONNREFUSED 127.0.0.1:443", "ECONNREFUSED");
      for (let i = 0; i < depth; i++) error = new Error(`layer ${i}`, { cause: error });
      return error;
    };
    expect(failedBeforeSending(wrapped(3))).toBe(true);
    expect(failedBeforeSending(wrapped(50))).toBe(false); // too deep to be sure what it means
    const cyclic = new Error("loop");
    (cyclic as { cause?: unknown }).cause = cyclic;
    expect(failedBeforeSending(cyclic)).toBe(false);
  });
});

/** A fetch that plays `answers` in order (a function throws, a Response is returned) and counts calls. */
function scripted(...answers: (Response | (() => never))[]) {
  const bodies: string[] = [];
  const fetch = (async (input: Request | URL | string, init?: RequestInit) => {
    bodies.push(await new Request(input, init).text());
    const answer = answers[Math.min(bodies.length, answers.length) - 1]!;
    return typeof answer === "function" ? answer() : answer.clone();
  }) as typeof globalThis.fetch;
  return { fetch, calls: () => bodies.length, bodies };
}

const refused = () => {
  throw undici(coded("connect ECONNREFUSED 203.0.113.1:443", "ECONNREFUSED"));
};
const resetAfterSending = () => {
  throw undici(coded("read ECONNRESET", "ECONNRESET"));
};
const status = (code: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ status: code }), {
    status: code,
    headers: { "content-type": "application/json", ...headers },
  });

const tokenRequest = {
  method: "POST" as const,
  url: new URL("https://auth.example.com/token"),
  form: new URLSearchParams({ grant_type: "refresh_token", refresh_token: "rt-once" }),
};

describe("sendHttp: when a request is sent again", () => {
  it("retries a connection that was refused, with the same body, and returns the answer", async () => {
    const server = scripted(refused, status(200));
    const result = await sendHttp(tokenRequest, { fetch: server.fetch });
    expect(result.status).toBe(200);
    expect(server.calls()).toBe(2);
    expect(server.bodies[1]).toBe(server.bodies[0]);
    expect(new URLSearchParams(server.bodies[1]).get("refresh_token")).toBe("rt-once");
  });

  it("gives up after the retry limit with NETWORK naming the cause, not the request", async () => {
    const server = scripted(refused);
    const error = await rejection(sendHttp(tokenRequest, { fetch: server.fetch, retry: { limit: 1 } }));
    expect(server.calls()).toBe(2);
    expect(error.code).toBe("NETWORK");
    expect(error.message).toBe("could not reach auth.example.com (ECONNREFUSED)");
    expect(error.cause).toBeUndefined();
    expect(isTimeoutFailure(error)).toBe(false);
  });

  it.each([429, 503])("retries %i with Retry-After after the time it says", async (code) => {
    const server = scripted(status(code, { "retry-after": "0" }), status(200));
    const result = await sendHttp(tokenRequest, { fetch: server.fetch });
    expect(result.status).toBe(200);
    expect(server.calls()).toBe(2);
    expect(server.bodies[1]).toBe(server.bodies[0]);
  });

  it("returns the last 429/503 when the server keeps refusing", async () => {
    const server = scripted(status(503, { "retry-after": "0" }));
    const result = await sendHttp(tokenRequest, { fetch: server.fetch, retry: { limit: 2 } });
    expect(server.calls()).toBe(3);
    expect(result.status).toBe(503);
    expect(JSON.parse(result.body)).toEqual({ status: 503 });
  });

  it.each([
    ["429 without Retry-After", status(429)],
    ["429 with only a rate-limit reset header", status(429, { "x-ratelimit-reset": "0" })],
    ["503 without Retry-After", status(503)],
    ["500 with Retry-After", status(500, { "retry-after": "0" })],
    ["502 with Retry-After", status(502, { "retry-after": "0" })],
    ["504", status(504)],
  ])("never retries %s: the server may have processed it", async (_, response) => {
    const server = scripted(response, status(200));
    const result = await sendHttp(tokenRequest, { fetch: server.fetch });
    expect(server.calls()).toBe(1);
    expect(result.status).toBe(response.status);
  });

  it("never retries a reset: the request may have arrived", async () => {
    const server = scripted(resetAfterSending, status(200));
    const error = await rejection(sendHttp(tokenRequest, { fetch: server.fetch }));
    expect(server.calls()).toBe(1);
    expect(error.code).toBe("NETWORK");
    expect(isTimeoutFailure(error)).toBe(false);
  });

  it("never retries a timeout, and says it was one", async () => {
    let calls = 0;
    const silent = ((input: Request | URL | string, init?: RequestInit) => {
      calls++;
      const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
      return new Promise<Response>((_, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    }) as typeof globalThis.fetch;
    const error = await rejection(sendHttp(tokenRequest, { fetch: silent, timeoutMs: 50 }));
    expect(calls).toBe(1);
    expect(error.code).toBe("NETWORK");
    expect(isTimeoutFailure(error)).toBe(true);
  });
});

describe("sendHttp over real sockets", () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  const counting = () => {
    let calls = 0;
    const fetch = ((...args: Parameters<typeof globalThis.fetch>) => {
      calls++;
      return globalThis.fetch(...args);
    }) as typeof globalThis.fetch;
    return { fetch, calls: () => calls };
  };

  it("retries a refused connection (nothing listens on the port)", async () => {
    const spare: Server = createTcpServer();
    await new Promise<void>((resolve) => spare.listen(0, "127.0.0.1", () => resolve()));
    const { port } = spare.address() as { port: number };
    await new Promise((resolve) => spare.close(resolve));
    const client = counting();
    const request = { ...tokenRequest, url: new URL(`http://127.0.0.1:${port}/token`) };
    const error = await rejection(sendHttp(request, { fetch: client.fetch, retry: { limit: 1 } }));
    expect(client.calls()).toBe(2);
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("sends once when the server reads the request and resets the connection", async () => {
    let received = 0;
    const server = createHttpServer((request) => {
      request.resume();
      request.on("end", () => {
        received++;
        request.socket.resetAndDestroy();
      });
    });
    const listening = await listenOnLoopback(server);
    closers.push(() => listening.close());
    const client = counting();
    const request = { ...tokenRequest, url: new URL(`${listening.url}/token`) };
    const error = await rejection(sendHttp(request, { fetch: client.fetch }));
    expect(error.code).toBe("NETWORK");
    expect(client.calls()).toBe(1);
    expect(received).toBe(1);
  });

  it("sends a 503 with Retry-After again, and a 503 without it only once", async () => {
    let received = 0;
    const server = createHttpServer((request, response) => {
      request.resume();
      received++;
      response.writeHead(503, received === 1 ? { "retry-after": "0" } : {});
      response.end();
    });
    const listening = await listenOnLoopback(server);
    closers.push(() => listening.close());
    const request = { ...tokenRequest, url: new URL(`${listening.url}/token`) };
    expect((await sendHttp(request)).status).toBe(503);
    expect(received).toBe(2); // the first 503 said when to come back, the second did not
  });
});

describe("certificateProblem", () => {
  const chain = (outer: string, inner: Error) => Object.assign(new TypeError(outer), { cause: inner });
  it("names the certificate failures of Node, Bun and Deno, and nothing else", () => {
    // Node (undici): the OpenSSL code on the cause.
    const node = chain(
      "fetch failed",
      Object.assign(new Error("unable to verify the first certificate"), {
        code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      }),
    );
    expect(certificateProblem(node)).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    // Bun: the same names, on the error itself.
    const bun = Object.assign(new Error("self signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    expect(certificateProblem(bun)).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    expect(
      certificateProblem(
        Object.assign(new Error("Hostname/IP does not match"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" }),
      ),
    ).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    // Deno: words in the message only.
    const deno = chain(
      "fetch failed",
      new Error("error sending request: client error (Connect): invalid peer certificate: UnknownIssuer"),
    );
    expect(certificateProblem(deno)).toBe("UnknownIssuer");
    expect(
      certificateProblem(
        chain("fetch failed", Object.assign(new Error("refused"), { code: "ECONNREFUSED" })),
      ),
    ).toBe(undefined);
  });
});
