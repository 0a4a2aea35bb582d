// The device authorization grant (RFC 8628): for machines without a browser. Start (§3.1, §3.2),
// show the user code, then poll the token endpoint (§3.4, §3.5) until the user approves, denies,
// or the code expires. Sleep and clock are injectable so tests do not wait in real time.

import * as v from "valibot";
import { OauthxError } from "../errors.ts";
import { describeEndpoint, isSecureEndpoint, requireSecureEndpoint } from "./endpoint-url.ts";
import { isTimeoutFailure } from "./http.ts";
import { describeInvalidMember } from "./invalid-member.ts";
import { describeOAuthError } from "./oauth-error.ts";
import { postClientRequest, postToTokenEndpoint, tokenEndpointError } from "./token-endpoint.ts";
import { decodeTokenEndpointBody, readTokenResponse } from "./token-response.ts";
import type { AuthorizationServer, Client, ScopeSeparator, TokenRequestOptions, TokenSet } from "./types.ts";

export const DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";
/** RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
const DEFAULT_INTERVAL_S = 5;
/** RFC 8628 §3.5: slow_down → "the interval MUST be increased by 5 seconds". */
const SLOW_DOWN_STEP_S = 5;

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  /** Seconds the device code stays valid. */
  expires_in: number;
  /** Seconds to wait between polls. */
  interval: number;
}

export interface DeviceAuthorizationRequest {
  scopes: readonly string[];
  scope_separator?: ScopeSeparator;
  extra_params?: Readonly<Record<string, string>>;
}

const seconds = (name: string) =>
  v.pipe(
    v.union(
      [v.number(), v.pipe(v.string(), v.regex(/^\d{1,9}$/), v.transform(Number))],
      `${name} must be a number`,
    ),
    v.check((value) => Number.isFinite(value) && value > 0, `${name} must be positive`),
  );

// The user code and verification URIs (RFC 8628 §3.2) reach the user's terminal as the server chose
// them, so they are made printable here: a terminal acts on escape sequences (clearing the screen,
// retitling the window, hiding or disguising text), and bidirectional controls reorder what is shown.
/** ECMA-48 CSI: ESC [ or C1 CSI, parameter and intermediate bytes, a final byte (colours, cursor, erase). */
const CSI = String.raw`(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]`;
/** OSC, DCS, SOS, PM, APC (ESC or C1 form): a string up to BEL, ST or the end (window title, links). */
const CONTROL_STRING = String.raw`(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?`;
/** Any other ESC sequence: intermediate bytes and a final byte (reset, charset switches). */
const OTHER_ESCAPE = String.raw`\x1b[ -/]*[0-~]?`;
const ESCAPE_SEQUENCE = new RegExp([CSI, CONTROL_STRING, OTHER_ESCAPE].join("|"), "g");
/** Whatever is left of C0, DEL and C1, and the Unicode bidirectional controls. */
const UNPRINTABLE = /[^\x20-\x7e\xa0-\uffff]|[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function printable(value: string): string {
  return value.replace(ESCAPE_SEQUENCE, "").replace(UNPRINTABLE, "");
}

const userFacingUrl = (name: string) =>
  v.pipe(
    v.string(`${name} must be a string`),
    v.check(
      (value) => URL.canParse(value) && isSecureEndpoint(new URL(value)),
      `${name} must be an https URL`,
    ),
    // The WHATWG URL serialisation percent-encodes controls; one that kept any is refused.
    v.transform((value) => new URL(value).href),
    v.check((href) => printable(href) === href, `${name} contains control characters`),
  );

const deviceResponseSchema = v.object({
  device_code: v.pipe(v.string("device_code must be a string"), v.nonEmpty("device_code is empty")),
  user_code: v.pipe(
    v.string("user_code must be a string"),
    v.transform((value) => printable(value).trim()),
    v.nonEmpty("user_code is empty"),
  ),
  verification_uri: v.optional(userFacingUrl("verification_uri")),
  /** Google's pre-RFC name for verification_uri. */
  verification_url: v.optional(userFacingUrl("verification_url")),
  verification_uri_complete: v.optional(userFacingUrl("verification_uri_complete")),
  expires_in: seconds("expires_in"),
  interval: v.nullish(seconds("interval")),
});

function invalid(host: string, detail: string): OauthxError {
  return new OauthxError(
    "INVALID_RESPONSE",
    `the device authorization response of ${host} is invalid: ${detail}`,
    {
      remedy: "check the provider's device_authorization_endpoint",
    },
  );
}

/** RFC 8628 §3.1: asks for a device code and user code. */
export async function startDeviceAuthorization(
  server: AuthorizationServer,
  client: Client,
  request: DeviceAuthorizationRequest,
  options: TokenRequestOptions = {},
): Promise<DeviceAuthorization> {
  const url = requireSecureEndpoint(server.device_authorization_endpoint, "device authorization endpoint");
  const params: Record<string, string> = { ...(request.extra_params ?? {}) };
  if (request.scopes.length > 0) params.scope = request.scopes.join(request.scope_separator ?? " ");
  const result = await postClientRequest(url, client, params, options);
  const body = decodeTokenEndpointBody(result);
  const ok = result.status >= 200 && result.status < 300;
  if (body !== undefined && typeof body.error === "string") {
    // RFC 8628 §3.2 errors use the §5.2 format (GitHub: device_flow_disabled, with HTTP 200 or 4xx).
    const outcome = readTokenResponse(result);
    if (outcome.kind === "oauth-error") {
      throw new OauthxError(
        "TOKEN_EXCHANGE_FAILED",
        `${url.host} refused the device authorization (${describeOAuthError(outcome.error)})`,
        {
          remedy: "check that the device flow is enabled for your OAuth app and the client id is right",
        },
      );
    }
  }
  if (!ok) {
    throw new OauthxError(
      "TOKEN_EXCHANGE_FAILED",
      `the device authorization endpoint ${describeEndpoint(url)} answered HTTP ${result.status}`,
      {
        remedy: "check the provider's device_authorization_endpoint and client settings",
      },
    );
  }
  if (body === undefined) throw invalid(url.host, "the body is not JSON");
  const parsed = v.safeParse(deviceResponseSchema, body);
  if (!parsed.success) {
    throw invalid(url.host, describeInvalidMember(parsed.issues[0], "a member"));
  }
  const member = parsed.output;
  const verification_uri = member.verification_uri ?? member.verification_url;
  if (verification_uri === undefined) throw invalid(url.host, "verification_uri is missing");
  return {
    device_code: member.device_code,
    user_code: member.user_code,
    verification_uri,
    ...(member.verification_uri_complete
      ? { verification_uri_complete: member.verification_uri_complete }
      : {}),
    expires_in: member.expires_in,
    interval: member.interval ?? DEFAULT_INTERVAL_S,
  };
}

export interface DevicePollOptions extends TokenRequestOptions {
  /** Waits `ms`; rejects when `signal` aborts. Default: a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Milliseconds since the epoch. Default Date.now. */
  now?: () => number;
  /** When the device authorization was received (ms); default: when polling starts. */
  started_at?: number;
  /** Separator the start request used for `scope`. */
  scope_separator?: ScopeSeparator;
  /** Told about every wait, e.g. to update a spinner: the interval in seconds and why. */
  on_wait?: (interval: number, reason: "pending" | "slow_down" | "timeout") => void;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** RFC 8628 §3.4/§3.5: polls until tokens, denial or expiry. */
export async function pollDeviceToken(
  server: AuthorizationServer,
  client: Client,
  authorization: DeviceAuthorization,
  options: DevicePollOptions = {},
): Promise<TokenSet> {
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const deadline = (options.started_at ?? now()) + authorization.expires_in * 1000;
  const host = requireSecureEndpoint(server.token_endpoint, "token endpoint").host;
  let interval = authorization.interval;
  let reason: "pending" | "slow_down" | "timeout" = "pending";
  for (;;) {
    options.on_wait?.(interval, reason);
    try {
      await sleep(interval * 1000, options.signal);
    } catch {
      throw new OauthxError("INTERRUPTED", "the device login was cancelled");
    }
    if (now() >= deadline) break;
    let result: Awaited<ReturnType<typeof postToTokenEndpoint>>;
    try {
      result = await postToTokenEndpoint(
        server,
        client,
        { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: authorization.device_code },
        options,
      );
    } catch (error) {
      // RFC 8628 §3.5: on a connection timeout, back off (exponentially) and keep polling.
      if (isTimeoutFailure(error)) {
        interval *= 2;
        reason = "timeout";
        continue;
      }
      throw error;
    }
    const outcome = readTokenResponse(result, options.response, options.scope_separator);
    if (outcome.kind === "tokens") return outcome.tokens;
    if (outcome.kind === "http-error") throw tokenEndpointError(outcome, { grant: "device_code", host });
    switch (outcome.error.error) {
      case "authorization_pending":
        reason = "pending";
        continue;
      case "slow_down": {
        // A server may also say the new interval (GitHub does); never poll faster than +5 s.
        const said = Number(decodeTokenEndpointBody(result)?.interval);
        interval = Math.max(interval + SLOW_DOWN_STEP_S, Number.isFinite(said) ? said : 0);
        reason = "slow_down";
        continue;
      }
      case "access_denied":
        throw new OauthxError("AUTH_DENIED", "the device login was denied", {
          remedy: "run the login again and approve it on the verification page",
        });
      case "expired_token":
        throw expired();
      default:
        throw tokenEndpointError(outcome, { grant: "device_code", host });
    }
  }
  throw expired();
}

function expired(): OauthxError {
  return new OauthxError("DEVICE_CODE_EXPIRED", "the device code expired before the login was approved", {
    remedy: "run the login again and enter the code before it expires",
  });
}
