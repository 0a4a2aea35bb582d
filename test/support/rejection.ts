// The OauthxError a promise rejects with: the assertion helper of tests on error paths.

import { isOauthxError, type OauthxError } from "../../src/errors.ts";

/** Awaits `promise` and returns its OauthxError; anything else (or no rejection) fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<OauthxError> {
  try {
    await promise;
  } catch (error) {
    if (isOauthxError(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}
