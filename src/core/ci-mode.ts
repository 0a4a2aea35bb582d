// CI mode (README "CI"): a provider whose OAUTHX_<ID>_REFRESH_TOKEN is set works from that refresh
// token, the seed, with no login and nothing written under OAUTHX_HOME. Every call of a job shares
// one per-job cache (store/ci-cache.ts), so a job makes one refresh while the access token is fresh
// and, with a rotating provider, always presents the newest refresh token. OAUTHX_CI_CACHE=off
// keeps the tokens in memory only: each call starts from the seed.
//
// Rotation: each new refresh token is handed on stdin (never argv or env) to the command in
// OAUTHX_ON_ROTATE, e.g. `gh secret set OAUTHX_GITHUB_REFRESH_TOKEN`, so the CI secret holds the
// newest one when the job ends; with no hook, a warning says the seed is spent.

import { tmpdir } from "node:os";
import process from "node:process";
import { isOauthxError, OauthxError } from "../errors.ts";
import { scrubbedEnv } from "../platform/child-env.ts";
import { ciCacheDirectory } from "../platform/paths.ts";
import { runHook } from "../platform/run-hook.ts";
import { lockTimeout } from "../store/lock-timeout.ts";
import { reseedRemedy } from "./ci-remedy.ts";
import type { Seed } from "./ci-seed.ts";
import type { Context } from "./context.ts";
import { maskForGitHubActions } from "./github-actions.ts";
import type { DocumentStore } from "./token-manager.ts";

export const CI_CACHE_ENV = "OAUTHX_CI_CACHE";

/** OAUTHX_CI_CACHE: unset or `on` keeps the per-job cache; `off` keeps tokens in memory only. */
export function ciCacheEnabled(env: Context["env"]): boolean {
  const value = env[CI_CACHE_ENV];
  if (value === undefined || value === "" || value === "on") return true;
  if (value === "off") return false;
  throw new OauthxError("CONFIG_INVALID", `${CI_CACHE_ENV} must be "on" or "off"`, {
    remedy: `set ${CI_CACHE_ENV}=off to keep CI tokens in memory only, or unset it`,
  });
}

export function ciCacheDirectoryOf(env: Context["env"]): string {
  return ciCacheDirectory({ env, tmpdir: tmpdir(), uid: process.getuid?.() });
}

/**
 * Where a seeded provider's tokens live: the per-job cache, or memory when it is off. (The store
 * modules load here, on use: a call that is not in CI mode never needs them.)
 */
export async function openSeededStore(
  ctx: Context,
  seed: Seed,
): Promise<DocumentStore & { cached?(): Promise<boolean> }> {
  if (!ciCacheEnabled(ctx.env)) {
    const { seededStore } = await import("../store/env-seeded.ts");
    return seededStore({ provider: seed.provider, profile: seed.profile, refreshToken: seed.value });
  }
  const { openCiCache } = await import("../store/ci-cache.ts");
  return openCiCache({
    directory: ciCacheDirectoryOf(ctx.env),
    provider: seed.provider,
    profile: seed.profile,
    seed: seed.value,
    seedName: seed.variable,
    lockTimeoutMs: lockTimeout(undefined, ctx.env),
    now: ctx.now,
  });
}

/**
 * A refused refresh in CI mode, said in CI terms: which refresh token was refused (the seed itself,
 * or a successor the cache held) and what a pipeline can do. `oauthx login` is no remedy there.
 */
export function explainRefusedSeed(error: OauthxError, seed: Seed, presentedSeed: boolean): OauthxError {
  const remedy = reseedRemedy(seed.provider);
  const what = presentedSeed
    ? `the refresh token in ${seed.variable} is spent or revoked (rotated away by an earlier run, or used by another job sharing it)`
    : `the refresh token cached for ${seed.variable} was refused: the grant was revoked`;
  return new OauthxError("REFRESH_REJECTED", `${what}: ${error.message}`, { remedy, cause: error });
}

/** Wraps a CI refresher so that a refused seed is explained as such. */
export function withSeedExplained<T>(
  seed: Seed,
  presented: string | undefined,
  refresh: () => Promise<T>,
): Promise<T> {
  return refresh().catch((error: unknown) => {
    if (isOauthxError(error, "REFRESH_REJECTED"))
      throw explainRefusedSeed(error, seed, presented === seed.value);
    throw error;
  });
}

/** Told about every new refresh token a seeded provider issues (the token manager's onRotate). */
export function rotationHandler(ctx: Context, seed: Seed) {
  return async (provider: string, _profile: string, refreshToken: string): Promise<void> => {
    maskForGitHubActions(ctx, refreshToken);
    const hook = ctx.env.OAUTHX_ON_ROTATE;
    if (!hook) {
      const later = ciCacheEnabled(ctx.env)
        ? "later oauthx calls in this job use its cached successor, but the next job will fail"
        : "the next oauthx call will fail";
      ctx.stderr.write(
        `warning: ${provider} rotated its refresh token: the one in ${seed.variable} is now spent; ${later}.\n` +
          "  → set OAUTHX_ON_ROTATE to a command that stores the new token from its stdin (README, CI).\n",
      );
      return;
    }
    const status = await runHook(hook, refreshToken, {
      ...scrubbedEnv(ctx.env),
      OAUTHX_ROTATED_PROVIDER: provider,
      OAUTHX_ROTATED_VARIABLE: seed.variable,
    });
    if (status !== 0) {
      ctx.stderr.write(
        `warning: OAUTHX_ON_ROTATE exited with ${status}: the rotated ${provider} refresh token may not have been saved, and ${seed.variable} is spent.\n`,
      );
    }
  };
}
