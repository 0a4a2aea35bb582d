// The error model (docs/architecture.md "Errors"): every failure a user can meet is an OauthxError
// with a stable code, a one-line message and a one-line remedy. Codes map to exit statuses in
// families, so scripts can branch on `$?` without parsing text.
//
// Rule for every caller: a message or remedy never contains a token, code, verifier, secret or
// identity. Put what was wrong and what to run, not the value that was wrong.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  config: 3,
  authRequired: 4,
  auth: 5,
  token: 6,
  network: 7,
  store: 8,
  failed: 9,
  interrupted: 130,
} as const;

/** Every code, with the exit status of its family. The table in README.md mirrors this. */
export const ERROR_CODES = {
  USAGE: EXIT.usage,
  CONFIG_MISSING: EXIT.config,
  CONFIG_INVALID: EXIT.config,
  UNKNOWN_PROVIDER: EXIT.config,
  ORIGIN_MISMATCH: EXIT.config,
  AUTH_REQUIRED: EXIT.authRequired,
  ID_TOKEN_UNAVAILABLE: EXIT.authRequired,
  AUTH_DENIED: EXIT.auth,
  STATE_MISMATCH: EXIT.auth,
  ISSUER_MISMATCH: EXIT.auth,
  CALLBACK_TIMEOUT: EXIT.auth,
  PORT_IN_USE: EXIT.auth,
  DEVICE_CODE_EXPIRED: EXIT.auth,
  TOKEN_EXCHANGE_FAILED: EXIT.token,
  REFRESH_REJECTED: EXIT.token,
  FEDERATION_REFUSED: EXIT.token,
  INVALID_RESPONSE: EXIT.token,
  NETWORK: EXIT.network,
  TLS_UNTRUSTED: EXIT.network,
  STORE_LOCKED: EXIT.store,
  STORE_CORRUPT: EXIT.store,
  STORE_PERMISSIONS: EXIT.store,
  STORE_VERSION: EXIT.store,
  STORE_UNREACHABLE: EXIT.store,
  DECRYPT_FAILED: EXIT.store,
  KEYCHAIN_UNAVAILABLE: EXIT.store,
  API_ERROR: EXIT.failed,
  CHECK_FAILED: EXIT.failed,
  INTERRUPTED: EXIT.interrupted,
  INTERNAL: EXIT.internal,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class OauthxError extends Error {
  override readonly name = "OauthxError";
  readonly code: ErrorCode;
  readonly remedy: string | undefined;

  constructor(code: ErrorCode, message: string, options: { remedy?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remedy = options.remedy;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code];
  }

  toJSON(): { error: { code: ErrorCode; message: string; remedy?: string } } {
    return {
      error: { code: this.code, message: this.message, ...(this.remedy ? { remedy: this.remedy } : {}) },
    };
  }
}

/**
 * The word that opens an error or warning line on stderr: "error:" or "warning:", in red or yellow
 * when colour is allowed (Context.color). Only these are coloured; information is plain text.
 */
export function severityLabel(kind: "error" | "warning", color: boolean): string {
  if (!color) return `${kind}:`;
  return `${kind === "error" ? "\x1b[1;31m" : "\x1b[1;33m"}${kind}:\x1b[0m`;
}

export function isOauthxError(value: unknown, code?: ErrorCode): value is OauthxError {
  return value instanceof OauthxError && (code === undefined || value.code === code);
}

/** Wraps anything thrown into an OauthxError without carrying its (possibly secret-bearing) text. */
export function toOauthxError(error: unknown): OauthxError {
  if (error instanceof OauthxError) return error;
  const detail = error instanceof Error ? error.name : typeof error;
  return new OauthxError("INTERNAL", `unexpected internal error (${detail})`, {
    remedy: "run again with OAUTHX_DEBUG=1 and report the stack trace (it holds no secrets)",
    cause: error,
  });
}
