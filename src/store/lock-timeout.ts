// How long a writer waits for the store lock (or the CI cache's): OAUTHX_LOCK_TIMEOUT_MS, else 30 s,
// which is longer than a refresh may hold the lock (core/session.ts REFRESH_TIMEOUT_MS).

import { OauthxError } from "../errors.ts";

export const LOCK_TIMEOUT_ENV = "OAUTHX_LOCK_TIMEOUT_MS";
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

export function lockTimeout(
  explicit: number | undefined,
  env: Readonly<Record<string, string | undefined>>,
): number {
  if (explicit !== undefined) return explicit;
  const text = env[LOCK_TIMEOUT_ENV];
  if (!text) return DEFAULT_LOCK_TIMEOUT_MS;
  if (!/^\d{1,9}$/.test(text)) {
    throw new OauthxError("CONFIG_INVALID", `${LOCK_TIMEOUT_ENV} must be a whole number of milliseconds`, {
      remedy: `set ${LOCK_TIMEOUT_ENV}=10000, or unset it`,
    });
  }
  return Number(text);
}
