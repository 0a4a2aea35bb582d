// What every token-handling command opens: the provider registry, the store (the encrypted file,
// or in CI mode the per-job cache seeded from the environment: ci-mode.ts), and the token manager
// wired to them. The refresh itself is refresher.ts.

import { withSignalsDeferred } from "../platform/defer-signals.ts";
import { oauthxVar } from "../providers/env-names.ts";
import { loadRegistry, type Registry } from "../providers/registry.ts";
import { openSeededStore, readSeed, rotationHandler, type Seed } from "./ci-mode.ts";
import type { Context } from "./context.ts";
import { type DocumentStore, TokenManager } from "./token-manager.ts";

export const DEFAULT_PROFILE = "default";

export interface Session {
  registry: Registry;
  store: DocumentStore;
  manager: TokenManager;
  /** Set in CI mode: the provider's refresh token came from OAUTHX_<ID>_REFRESH_TOKEN. */
  seed?: Seed;
}

export interface SessionOptions {
  /** The provider the command is about: decides CI mode (its seeded refresh token). */
  provider?: string;
  profile?: string;
  /** Hold off SIGINT/SIGTERM/SIGHUP during a refresh (default true; the SDK turns it off). */
  deferSignals?: boolean;
}

export async function openSession(ctx: Context, options: SessionOptions = {}): Promise<Session> {
  const { provider } = options;
  const profile = options.profile ?? DEFAULT_PROFILE;
  const ciMode = provider !== undefined && ctx.env[oauthxVar(provider, "REFRESH_TOKEN")] !== undefined;
  // CI mode writes nothing under OAUTHX_HOME, not even the providers parse memo.
  const registry = await loadRegistry(ctx.home, { remember: !ciMode });
  let store: DocumentStore;
  let seed: Seed | undefined;
  if (ciMode) {
    registry.get(provider);
    seed = readSeed(ctx.env, provider, profile);
  }
  if (seed) {
    store = await openSeededStore(ctx, seed);
  } else {
    const { openStore } = await import("../store/store.ts");
    store = openStore({ home: ctx.home, env: ctx.env, now: ctx.now });
  }
  const manager = new TokenManager({
    store,
    now: ctx.now,
    // A library must not take over its host's signals; the CLI defers them during a refresh.
    ...(options.deferSignals === false ? {} : { critical: withSignalsDeferred }),
    // Rotation matters only for a seed: in the store, the new refresh token replaces the old.
    ...(seed ? { onRotate: rotationHandler(ctx, seed) } : {}),
  });
  return { registry, store, manager, ...(seed ? { seed } : {}) };
}
