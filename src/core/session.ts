// What every token-handling command opens: the provider registry, the store (the encrypted file,
// or in CI mode the per-job cache seeded from the environment: ci-mode.ts), and the token manager
// wired to them. A warm `oauthx token` reads the store and nothing else, so the registry and the
// refresher (refresher.ts, with the protocol code behind it) load only when something asks.

import { withSignalsDeferred } from "../platform/defer-signals.ts";
import { oauthxVar } from "../providers/env-names.ts";
import type { Registry } from "../providers/registry.ts";
import type { TokenEntry } from "../store/document.ts";
import type { Seed } from "./ci-seed.ts";
import type { Context } from "./context.ts";
import {
  type DocumentStore,
  type Refresher,
  TokenManager,
  type TokenManagerOptions,
} from "./token-manager.ts";

export const DEFAULT_PROFILE = "default";

export interface Session {
  /** The providers, built-in and the user's file; loaded on first use. */
  registry(): Promise<Registry>;
  store: DocumentStore;
  manager: TokenManager;
  /** The refresh half of the token manager for a provider's login; its code loads when a refresh is due. */
  refresher(provider: string, profile: string): Refresher;
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
  let registry: Promise<Registry> | undefined;
  const loadRegistry = () => {
    // CI mode writes nothing under OAUTHX_HOME, not even the providers parse memo.
    registry ??= import("../providers/registry.ts").then((module) =>
      module.loadRegistry(ctx.home, { remember: !ciMode, env: ctx.env }),
    );
    return registry;
  };
  let seed: Seed | undefined;
  let store: DocumentStore | undefined;
  let onRotate: TokenManagerOptions["onRotate"];
  if (ciMode) {
    // The registry is not loaded here: a call that finds its token in the CI cache sends nothing
    // and needs none, and the first call, which refreshes, checks the provider id before anything.
    try {
      seed = (await import("./ci-seed.ts")).readSeed(ctx.env, provider, profile);
      if (seed) {
        const ci = await import("./ci-mode.ts");
        store = await ci.openSeededStore(ctx, seed);
        // Rotation matters only for a seed: in the store, the new refresh token replaces the old.
        onRotate = ci.rotationHandler(ctx, seed);
      }
    } catch (error) {
      // A bad seed or cache setting is reported for a provider that exists; a misspelt id first.
      (await loadRegistry()).get(provider);
      throw error;
    }
  }
  if (!store) {
    const { openStore } = await import("../store/store.ts");
    store = openStore({ home: ctx.home, env: ctx.env, now: ctx.now });
  }
  const manager = new TokenManager({
    store,
    now: ctx.now,
    // A library must not take over its host's signals; the CLI defers them during a refresh.
    ...(options.deferSignals === false ? {} : { critical: withSignalsDeferred }),
    ...(onRotate ? { onRotate } : {}),
    // No login for an id the registry does not know: say it is unknown, not that a login is missing.
    knownProvider: async (id) => void (await loadRegistry()).get(id),
  });
  const session: Session = {
    registry: loadRegistry,
    store,
    manager,
    refresher: (id, login) => lazyRefresher(ctx, session, id, login),
    ...(seed ? { seed } : {}),
  };
  return session;
}

/** A Refresher whose code (core/refresher.ts) and provider entry load on first use. */
function lazyRefresher(ctx: Context, session: Session, provider: string, profile: string): Refresher {
  let loaded: Promise<Refresher> | undefined;
  const load = () => {
    loaded ??= Promise.all([import("./refresher.ts"), session.registry()]).then(([module, registry]) =>
      module.refresherFor(ctx, session, registry.get(provider), profile),
    );
    return loaded;
  };
  const refresh = async (entry: TokenEntry) => (await load())(entry);
  return Object.assign(refresh, {
    prepare: async (entry: TokenEntry) => (await load()).prepare?.(entry),
  });
}
