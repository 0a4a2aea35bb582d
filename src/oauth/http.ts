// One HTTP exchange with an authorization server, through ky. The retry rule protects one-time
// credentials (RFC 6749 §4.1.2: an authorization code is single-use, and a server may revoke the
// grant when it sees one twice, §10.5; rotated refresh tokens likewise, RFC 9700 §4.14.2):
//
//   - retried: failures that happened before the request could leave this machine (connection
//     refused, DNS), and 429/503 answers that carry Retry-After (RFC 9110 §10.2.3, §15.6.4: the
//     server explicitly refused to process the request and said when to come back);
//   - never retried: timeouts, resets, 5xx without Retry-After, anything after the server may have
//     read the body. Such a failure surfaces to the user, who starts over.
//
// Redirects are not followed (`redirect: "manual"`): a 307/308 would replay the body, credentials
// included, to wherever the Location header points.

import ky, { isHTTPError, isTimeoutError } from "ky";
import { OauthxError } from "../errors.ts";
import { untrustedCertificate } from "./certificate-error.ts";
import type { HttpOptions } from "./types.ts";

export const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRY_LIMIT = 2;
const DEFAULT_MAX_RETRY_AFTER_MS = 10_000;

export interface HttpRequest {
  method: "GET" | "HEAD" | "POST" | "DELETE";
  url: URL;
  headers?: Record<string, string>;
  /** A form body (application/x-www-form-urlencoded) or a JSON document. */
  form?: URLSearchParams;
  json?: unknown;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: string;
}

/** Error codes (Node/undici, Bun) that mean no connection was made, so nothing was sent. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "ConnectionRefused",
  "FailedToOpenSocket",
]);
/** Deno reports the connect phase in its message ("client error (Connect)", "dns error"). */
const NOT_SENT_MESSAGE = /client error \(Connect\)|tcp connect error|dns error|failed to lookup address/i;

/** True only when the error chain proves the request never reached a server. */
export function failedBeforeSending(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NOT_SENT_CODES.has(code)) return true;
    if (NOT_SENT_MESSAGE.test(current.message)) return true;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0 && errors.every((inner) => failedBeforeSending(inner))) {
      return true;
    }
    current = current.cause;
  }
  return false;
}

/** The first system error code in the chain (ECONNREFUSED...), safe to show. */
function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Za-z_]{2,40}$/.test(code)) return code;
    // Deno has no codes, only messages.
    if (/connection refused/i.test(current.message)) return "connection refused";
    if (/dns error/i.test(current.message)) return "DNS lookup failed";
    current = current.cause;
  }
  return undefined;
}

const timeouts = new WeakSet<OauthxError>();

/** The NETWORK error was a timeout: the server may have received and processed the request. */
export function isTimeoutFailure(error: unknown): boolean {
  return error instanceof OauthxError && timeouts.has(error);
}

function isRetryableStatus(status: number, headers: Headers): boolean {
  return (status === 429 || status === 503) && headers.get("retry-after") !== null;
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return (
    (signal?.aborted ?? false) ||
    (error instanceof Error && error.name === "AbortError" && !isTimeoutError(error))
  );
}

export async function sendHttp(request: HttpRequest, options: HttpOptions = {}): Promise<HttpResult> {
  const headers = new Headers(options.headers ?? {});
  for (const [name, value] of Object.entries(request.headers ?? {})) headers.set(name, value);
  let body: BodyInit | undefined;
  if (request.form) {
    body = request.form.toString();
    headers.set("content-type", "application/x-www-form-urlencoded;charset=UTF-8");
  } else if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    headers.set("content-type", "application/json");
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const host = request.url.host;
  try {
    const response = await ky(request.url, {
      method: request.method,
      headers,
      ...(body === undefined ? {} : { body }),
      redirect: "manual",
      timeout: timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      // Only these two throw inside ky, so that the retry logic sees them; every other status comes
      // back as a response whose body the caller interprets (OAuth errors arrive as 400/401).
      throwHttpErrors: (status) => status === 429 || status === 503,
      retry: {
        limit: options.retry?.limit ?? DEFAULT_RETRY_LIMIT,
        methods: ["get", "head", "post", "delete"],
        statusCodes: [429, 503],
        afterStatusCodes: [429, 503],
        maxRetryAfter: options.retry?.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
        retryOnTimeout: false,
        shouldRetry: ({ error }) => {
          if (isHTTPError(error)) {
            // undefined = ky's own rule, which waits for Retry-After (capped by maxRetryAfter).
            return isRetryableStatus(error.response.status, error.response.headers) ? undefined : false;
          }
          return failedBeforeSending(error);
        },
      },
    });
    return { status: response.status, headers: response.headers, body: await response.text() };
  } catch (error) {
    if (isHTTPError(error)) {
      // A 429/503 whose retries ran out (or that had no Retry-After): ky already read the body.
      const data: unknown = error.data;
      const text = typeof data === "string" ? data : data === undefined ? "" : JSON.stringify(data);
      return { status: error.response.status, headers: error.response.headers, body: text };
    }
    // No `cause`: ky's errors hold the Request, whose headers may carry client credentials.
    if (isAbort(error, options.signal)) {
      throw new OauthxError("INTERRUPTED", `request to ${host} was cancelled`);
    }
    if (isTimeoutError(error)) {
      const timeout = new OauthxError(
        "NETWORK",
        `no answer from ${host} within ${Math.round(timeoutMs / 1000)} s`,
        {
          remedy: "check your connection and try again",
        },
      );
      timeouts.add(timeout);
      throw timeout;
    }
    const untrusted = untrustedCertificate(host, error);
    if (untrusted) throw untrusted;
    const detail = networkErrorCode(error);
    throw new OauthxError("NETWORK", `could not reach ${host}${detail ? ` (${detail})` : ""}`, {
      remedy: "check your connection, proxy settings and the endpoint's host name",
    });
  }
}

/** Parses a body as a JSON object; undefined when it is not one. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function mediaType(headers: Headers): string {
  return (headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}
