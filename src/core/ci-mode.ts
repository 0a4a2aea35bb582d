// CI mode (README "CI"): a provider whose OAUTHX_<ID>_REFRESH_TOKEN is set works from that refresh
// token, the seed, with no login and nothing written under OAUTHX_HOME. Every call of a job shares
// one per-job cache (store/ci-cache/ci-cache.ts), so a job makes one refresh while the access token is fresh
// and, with a rotating provider, always presents the newest refresh token. OAUTHX_CI_CACHE=off
// keeps the tokens in memory only: each call starts from the seed.
//
// Rotation: each new refresh token is handed on stdin (never argv or env) to the command in
// OAUTHX_ON_ROTATE, e.g. `gh secret set OAUTHX_GITHUB_REFRESH_TOKEN`, again on every call until the
// hook succeeds, so the CI secret holds the newest one when the job ends (rotationSaver); with no
// hook, a warning says the seed is spent.

import { tmpdir } from "node:os";
import { isOauthxError, OauthxError, severityLabel } from "../errors.ts";
import { scrubbedEnv } from "../platform/child-env.ts";
import { ciCacheParent } from "../platform/paths.ts";
import { runHook } from "../platform/run-hook.ts";
import { getEntry, type TokenEntry, withEntry } from "../store/document.ts";
import { toHex } from "../store/hex.ts";
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

export function ciCacheParentOf(env: Context["env"]): string {
  return ciCacheParent({ env, tmpdir: tmpdir() });
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
    const { seededStore } = await import("../store/ci-cache/env-seeded.ts");
    return seededStore({ provider: seed.provider, profile: seed.profile, refreshToken: seed.value });
  }
  const { openCiCache } = await import("../store/ci-cache/ci-cache.ts");
  return openCiCache({
    parent: ciCacheParentOf(ctx.env),
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

/**
 * With OAUTHX_STORE set, the seeded provider's tokens live in the shared store (docs/shared-store.md):
 * the seed bootstraps its row only when there is none, and every job on every runner then uses the
 * newest refresh token there. Undefined when OAUTHX_STORE is unset.
 */
export async function openSharedSeededStore(ctx: Context, seed: Seed): Promise<DocumentStore | undefined> {
  const { sharedStoreUrl, openSharedStore } = await import("./shared-store.ts");
  const url = sharedStoreUrl(ctx.env);
  if (!url) return undefined;
  return openSharedStore(ctx, url, {
    scope: { provider: seed.provider, profile: seed.profile },
    seed: seed.value,
    lockTimeoutMs: lockTimeout(undefined, ctx.env),
  });
}

/** How long OAUTHX_ON_ROTATE may run: it holds the CI cache's lock, which others wait 30 s for. */
export const HOOK_TIMEOUT_MS = 20_000;

/**
 * Told about every entry a seeded provider hands out (the token manager's afterGet). A refresh
 * token that is neither the seed nor the one the hook last saved is a rotation the CI secret does
 * not hold yet: it is offered to OAUTHX_ON_ROTATE, on this call and every later one until the hook
 * succeeds ("not yet saved" is the absence of its digest in the cache entry, written with the
 * rotation itself, so no crash can lose it). The hook runs under the cache's lock, so two calls
 * never save in the wrong order, and with signals deferred (`critical`), so a Ctrl-C cannot cut
 * it short or lose the record that it succeeded. With a shared store (OAUTHX_STORE) the next job
 * reads the newest refresh token there, so a missing hook is no cause for warning.
 */
export function rotationSaver(
  ctx: Context,
  seed: Seed,
  store: DocumentStore,
  critical: (<T>(section: () => Promise<T>) => Promise<T>) | undefined,
  options: { shared?: boolean } = {},
) {
  return async (provider: string, profile: string, entry: TokenEntry, rotated: boolean): Promise<void> => {
    if (!(await unsaved(entry, seed))) return;
    maskForGitHubActions(ctx, entry.refresh_token);
    const hook = ctx.env.OAUTHX_ON_ROTATE;
    if (!hook && options.shared) return;
    if (!hook) {
      // Said once, by the call that rotated: there is nothing to retry.
      if (rotated && !options.shared) warnSpent(ctx, provider, seed);
      return;
    }
    const save = () =>
      store.update(async (current) => {
        const latest = getEntry(current, provider, profile);
        // Saved meanwhile by another call of the job, or rotated again (that call saves its own).
        if (latest === undefined || !(await unsaved(latest, seed))) return current;
        const token = latest.refresh_token as string;
        const status = await runHook(hook, token, {
          env: {
            ...scrubbedEnv(ctx.env),
            OAUTHX_ROTATED_PROVIDER: provider,
            OAUTHX_ROTATED_VARIABLE: seed.variable,
          },
          output: (text) => ctx.stderr.write(text),
          timeoutMs: HOOK_TIMEOUT_MS,
        });
        if (status !== 0) {
          const failed = status === 124 ? "timed out" : `exited with ${status}`;
          ctx.stderr.write(
            `${severityLabel("warning", ctx.color)} OAUTHX_ON_ROTATE ${failed}: the rotated ${provider} refresh token is not saved yet, and ${seed.variable} is spent; ${retried(ctx)}.\n`,
          );
          return current;
        }
        return withEntry(current, provider, profile, { ...latest, rotation_saved: await digest(token) });
      });
    try {
      await (critical ? critical(save) : save());
    } catch (error) {
      // The token in hand is good; saving the rotation is retried by the next call.
      if (!isOauthxError(error)) throw error;
      ctx.stderr.write(
        `${severityLabel("warning", ctx.color)} the rotated ${provider} refresh token could not be offered to OAUTHX_ON_ROTATE now (${error.message}); ${retried(ctx)}.\n`,
      );
    }
  };
}

/** What becomes of a rotation the hook did not save. */
function retried(ctx: Context): string {
  return ciCacheEnabled(ctx.env)
    ? "the next oauthx call of this job offers it again"
    : `with ${CI_CACHE_ENV}=off it is lost when this call ends`;
}

async function unsaved(entry: TokenEntry, seed: Seed): Promise<boolean> {
  const token = entry.refresh_token;
  if (token === undefined || token === seed.value) return false;
  return entry.rotation_saved !== (await digest(token));
}

/** SHA-256 of a refresh token, hex: says which token was saved without keeping a second copy. */
async function digest(token: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  return toHex(hash);
}

function warnSpent(ctx: Context, provider: string, seed: Seed): void {
  const later = ciCacheEnabled(ctx.env)
    ? "later oauthx calls in this job use its cached successor, but the next job will fail"
    : "the next oauthx call will fail";
  ctx.stderr.write(
    `${severityLabel("warning", ctx.color)} ${provider} rotated its refresh token: the one in ${seed.variable} is now spent; ${later}.\n` +
      "  → set OAUTHX_ON_ROTATE to a command that stores the new token from its stdin (`oauthx help ci`).\n",
  );
}
