// RFC 6749 §5.2 / §4.1.2.1 error members, made safe to print: the server chooses these strings, so
// they are reduced to the characters the RFC allows (no control characters or terminal escapes) and
// capped in length before they reach a message.

import type { OAuthErrorResponse } from "./types.ts";

/** RFC 6749 §5.2: error = 1*( %x20-21 / %x23-5B / %x5D-7E ); the description uses the same set. */
const DISALLOWED = /[^\x20-\x21\x23-\x5B\x5D-\x7E]/g;
const MAX_DESCRIPTION = 200;
const MAX_CODE = 64;

export function sanitizeOAuthText(value: string, maxLength = MAX_DESCRIPTION): string {
  const cleaned = value.replace(DISALLOWED, "?").trim();
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength - 1)}…` : cleaned;
}

/** Reads the error members of a parsed body; undefined when there is no string `error`. */
export function readOAuthError(body: Record<string, unknown>): OAuthErrorResponse | undefined {
  const { error, error_description, error_uri } = body;
  if (typeof error !== "string" || error === "") return undefined;
  return {
    error: sanitizeOAuthText(error, MAX_CODE),
    ...(typeof error_description === "string" && error_description !== ""
      ? { error_description: sanitizeOAuthText(error_description) }
      : {}),
    ...(typeof error_uri === "string" && error_uri !== "" ? { error_uri: sanitizeOAuthText(error_uri) } : {}),
  };
}

/** "invalid_grant: the code has expired" — the code and description only, nothing the client sent. */
export function describeOAuthError(error: OAuthErrorResponse): string {
  return error.error_description ? `${error.error}: ${error.error_description}` : error.error;
}
