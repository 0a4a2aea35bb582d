// What every token-handling command opens: the provider registry, the store (the encrypted file,
// the shared store when OAUTHX_STORE is set: shared-store.ts, or in CI mode the per-job cache
// seeded from the environment: ci-mode.ts), and the token manager
// wired to them. A warm `oauthx token` reads the store and nothing else, so the registry and the
// refresher (refresher.ts, with the protocol code behind it) load only when something asks.

import { withSignalsDeferred } from "../platform/defer-signals.ts";
import { oauthxVar } from "../providers/env-names.ts";
import { mayBeFederated } from "../providers/federated-hint.ts";
import type { Registry } from "../providers/registry.ts";
import type { TokenEntry } from "../store/document.ts";
import type { Seed } from "./ci-seed.ts";
import type { Context } from "./context.ts";
import type { Federation } from "./federation/federated-mode.ts";
import { assertEnvAgrees } from "./remembered-vars.ts";
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
  /** Set in federated CI mode: the provider's tokens come from the job's identity token. */
  federation?: Federation;
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
  // A seed wins over a federation source (federation/federated-mode.ts says why).
  // Under GitHub Actions, a provider that cannot be federated loads no registry here
  // (providers/federated-hint.ts): a warm `token` of a stored login stays a read and a decrypt.
  const maybeFederated = provider !== undefined && !ciMode && mayBeFederated(ctx.home, ctx.env, provider);
  let registry: Promise<Registry> | undefined;
  const loadRegistry = () => {
    // CI mode writes nothing under OAUTHX_HOME, not even the providers parse memo.
    registry ??= import("../providers/registry.ts").then((module) =>
      module.loadRegistry(ctx.home, { remember: !ciMode && !maybeFederated, env: ctx.env }),
    );
    return registry;
  };
  let seed: Seed | undefined;
  let store: DocumentStore | undefined;
  let afterGet: TokenManagerOptions["afterGet"];
  // A library must not take over its host's signals; the CLI defers them during a refresh.
  const critical = options.deferSignals === false ? undefined : withSignalsDeferred;
  if (ciMode) {
    // The registry is not loaded here: a call that finds its token in the CI cache sends nothing
    // and needs none, and the first call, which refreshes, checks the provider id before anything.
    try {
      seed = (await import("./ci-seed.ts")).readSeed(ctx.env, provider, profile);
      if (seed) {
        const ci = await import("./ci-mode.ts");
        const shared = await ci.openSharedSeededStore(ctx, seed);
        store = shared ?? (await ci.openSeededStore(ctx, seed));
        // Rotation matters only for a seed: in the store, the new refresh token replaces the old.
        // With a shared store the next job finds the newest one there: the hook is optional.
        afterGet = ci.rotationSaver(ctx, seed, store, critical, { shared: shared !== undefined });
      }
    } catch (error) {
      // A bad seed or cache setting is reported for a provider that exists; a misspelt id first.
      (await loadRegistry()).get(provider);
      throw error;
    }
  }
  let federation: Federation | undefined;
  if (maybeFederated) {
    const federated = await (await import("./federation/federated-mode.ts")).detectFederation(
      ctx,
      provider,
      profile,
      loadRegistry,
    );
    if (federated) ({ federation, store } = federated);
  }
  if (!store) {
    const { openConfiguredStore } = await import("./shared-store.ts");
    store = await openConfiguredStore(ctx, provider === undefined ? undefined : { provider, profile });
  }
  const manager = new TokenManager({
    store,
    now: ctx.now,
    ...(critical ? { critical } : {}),
    ...(afterGet ? { afterGet } : {}),
    // The environment naming another issuer (host, tenant) than the login's: refused, not overridden.
    vet: (id, login, entry, document) =>
      assertEnvAgrees(
        ctx.env,
        id,
        login,
        entry,
        Object.hasOwn(document.profiles, id) ? document.profiles[id] : {},
      ),
    // No login for an id the registry does not know: say it is unknown, not that a login is missing.
    knownProvider: async (id) => void (await loadRegistry()).get(id),
  });
  const session: Session = {
    registry: loadRegistry,
    store,
    manager,
    refresher: (id, login) => lazyRefresher(ctx, session, id, login),
    ...(seed ? { seed } : {}),
    ...(federation ? { federation } : {}),
  };
  return session;
}

/** A Refresher whose code (core/refresher.ts) and provider entry load on first use. */
function lazyRefresher(ctx: Context, session: Session, provider: string, profile: string): Refresher {
  let loaded: Promise<Refresher> | undefined;
  const load = () => {
    const { federation } = session;
    if (federation && federation.provider === provider && federation.profile === profile) {
      loaded ??= Promise.all([import("./federation/exchange.ts"), session.registry()]).then(
        ([module, registry]) => module.federationRefresher(ctx, federation, registry.get(provider)),
      );
    }
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
