// The token manager: "give me a token for (provider, profile) valid for at least N seconds".
//
// This is where rotating refresh tokens are kept safe. With rotation (GitLab, Atlassian, GitHub
// Apps, OAuth 2.1 servers; RFC 9700 §4.14.2) every refresh kills the refresh token it used, and a
// server that sees a used one again revokes the whole grant. So:
//   1. read the store without a lock; a token valid for minTtl (+ skew) is returned at once;
//   2. otherwise take the store lock and read again: another process may have refreshed;
//   3. only if still needed, refresh and write the result before releasing the lock, so no other
//      process can present the refresh token we just spent;
//   4. within one process, concurrent callers share one refresh (one promise per profile).
// A refresh rejected with invalid_grant is checked against a fresh read of the store before it is
// reported: if the refresh token there changed, someone else rotated it and that result is used.

import { isOauthxError, OauthxError } from "../errors.ts";
import { getEntry, type StoreDocument, type TokenEntry, withEntry } from "../store/document.ts";

/** What the manager needs of a store: lock-free reads, and read-modify-write under the lock. */
export interface DocumentStore {
  read(): Promise<StoreDocument>;
  update(change: (document: StoreDocument) => StoreDocument | Promise<StoreDocument>): Promise<StoreDocument>;
  /** Called just before a refresh is sent, when a write will follow: a store may start its setup. */
  prepareWrite?(): void;
}

/** The protocol half of a refresh, for one provider: RFC 6749 §6 through src/oauth. */
export interface Refresher {
  (entry: TokenEntry): Promise<RefreshedTokens>;
  /**
   * Work a refresh needs that needs no lock, such as fetching the server's discovery document: done
   * before the lock is taken, so the lock is held for the refresh request alone.
   */
  prepare?(entry: TokenEntry): Promise<void>;
}

export interface RefreshedTokens {
  access_token: string;
  token_type: string;
  /** Seconds, as the server said; absent when it did not. */
  expires_in?: number;
  /** Present when the server issued a new one (rotation); absent keeps the old one (RFC 6749 §6). */
  refresh_token?: string;
  scope?: string[];
  extra?: Record<string, string>;
  /** A new ID token (OIDC Core §12.2: a refresh may return one); absent keeps the old one. */
  id_token?: string;
  /** The origins the login is bound to (core/origin-binding.ts), for an entry that records none yet. */
  origins?: string[];
}

export interface TokenRequest {
  provider: string;
  profile: string;
  /** The token must stay valid for at least this many seconds. */
  minTtlSeconds?: number;
  /** Refresh even if the stored token is still valid (`oauthx refresh`). */
  force?: boolean;
  refresher: Refresher;
}

export interface TokenManagerOptions {
  store: DocumentStore;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /**
   * Checks a stored entry before getToken hands it out or refreshes it; throws to refuse it (the
   * environment names another issuer than the login's: core/remembered-vars.ts).
   */
  vet?: (provider: string, profile: string, entry: TokenEntry, document: StoreDocument) => void;
  /**
   * Told about every entry getToken hands out, and whether this call rotated its refresh token
   * (CI mode offers a rotated refresh token to OAUTHX_ON_ROTATE until it is saved).
   */
  afterGet?: (provider: string, profile: string, entry: TokenEntry, rotated: boolean) => Promise<void>;
  /**
   * Runs the refresh-and-write section (the CLI defers Ctrl-C and SIGTERM there, so a rotated
   * refresh token is stored before the process ends). Default: just runs it.
   */
  critical?: <T>(section: () => Promise<T>) => Promise<T>;
  /**
   * Called when there is no login for a provider, before AUTH_REQUIRED: throws UNKNOWN_PROVIDER
   * for an id no provider has (a typo deserves "did you mean", not "log in").
   */
  knownProvider?: (provider: string) => Promise<void>;
}

/** Tokens are treated as expiring this much early: clocks differ and requests take time. */
export const CLOCK_SKEW_SECONDS = 30;
export const DEFAULT_MIN_TTL_SECONDS = 60;

export class TokenManager {
  readonly #store: DocumentStore;
  readonly #now: () => number;
  readonly #vet: TokenManagerOptions["vet"];
  readonly #afterGet: TokenManagerOptions["afterGet"];
  readonly #critical: NonNullable<TokenManagerOptions["critical"]>;
  readonly #knownProvider: TokenManagerOptions["knownProvider"];
  readonly #inflight = new Map<string, Promise<TokenEntry>>();

  constructor(options: TokenManagerOptions) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#vet = options.vet;
    this.#afterGet = options.afterGet;
    this.#critical = options.critical ?? ((section) => section());
    this.#knownProvider = options.knownProvider;
  }

  /** The stored entry, without refreshing; AUTH_REQUIRED when there is none. */
  async peek(provider: string, profile: string): Promise<TokenEntry> {
    return this.#requireLogin(await this.#readFor(provider), provider, profile);
  }

  /** The store, read for `provider`: a store that does not open (no identity, damaged) is
   * reported for a provider that exists; a misspelt id is told so first. */
  async #readFor(provider: string): Promise<StoreDocument> {
    try {
      return await this.#store.read();
    } catch (error) {
      await this.#knownProvider?.(provider);
      throw error;
    }
  }

  async #requireLogin(document: StoreDocument, provider: string, profile: string): Promise<TokenEntry> {
    if (getEntry(document, provider, profile) === undefined) await this.#knownProvider?.(provider);
    return requireEntry(document, provider, profile);
  }

  async getToken(request: TokenRequest): Promise<TokenEntry> {
    const minTtl = request.minTtlSeconds ?? DEFAULT_MIN_TTL_SECONDS;
    const { provider, profile } = request;
    let seen: TokenEntry | undefined;
    if (!request.force) {
      seen = await this.#vetted(provider, profile);
      if (isFresh(seen, minTtl, this.#now())) {
        await this.#afterGet?.(provider, profile, seen, false);
        return seen;
      }
    }
    const key = `${provider}\u0000${profile}`;
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const refresh = this.#refreshUnderLock(request, minTtl, seen).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, refresh);
    return refresh;
  }

  /** The stored entry, refused by `vet` if it must not be handed out here. */
  async #vetted(provider: string, profile: string): Promise<TokenEntry> {
    const document = await this.#readFor(provider);
    const entry = await this.#requireLogin(document, provider, profile);
    this.#vet?.(provider, profile, entry, document);
    return entry;
  }

  async #refreshUnderLock(
    request: TokenRequest,
    minTtl: number,
    seen: TokenEntry | undefined,
  ): Promise<TokenEntry> {
    const { provider, profile } = request;
    let used: string | undefined;
    let rotated: string | undefined;
    await request.refresher.prepare?.(seen ?? (await this.#vetted(provider, profile)));
    try {
      const document = await this.#critical(() =>
        this.#store.update(async (current) => {
          const entry = requireEntry(current, provider, profile);
          // Re-checked under the lock: another process may have refreshed while we waited.
          if (!request.force && isFresh(entry, minTtl, this.#now())) return current;
          // Refreshed by someone else since our unlocked read: take it whenever it is still valid,
          // whatever minTtl asks. Refreshing again would only spend another refresh token, and
          // with a lifetime shorter than minTtl every waiter would do so, one after the other.
          if (seen && entry.access_token !== seen.access_token && isUnexpired(entry, this.#now()))
            return current;
          if (!entry.refresh_token) throw noRefreshToken(provider, profile, entry, this.#now());
          used = entry.refresh_token;
          this.#store.prepareWrite?.();
          const tokens = await request.refresher(entry);
          const next = mergeRefreshed(entry, tokens, this.#now());
          if (next.refresh_token !== entry.refresh_token) rotated = next.refresh_token;
          return withEntry(current, provider, profile, next);
        }),
      );
      const entry = requireEntry(document, provider, profile);
      await this.#afterGet?.(provider, profile, entry, rotated !== undefined);
      return entry;
    } catch (error) {
      if (isOauthxError(error, "REFRESH_REJECTED") && used !== undefined) {
        // Someone else may have rotated the token between our read and our refresh (another host
        // sharing this home, or a store edited by hand): prefer their result to a re-login.
        const latest = getEntry(await this.#store.read(), provider, profile);
        if (latest && latest.refresh_token !== used && isFresh(latest, minTtl, this.#now())) return latest;
        await this.#recordRefusal(provider, profile, used);
      }
      throw error;
    }
  }

  /**
   * Notes in the entry that the server refused its refresh token, so that `status` and `doctor`
   * show the login as ending rather than as one a refresh will renew. Only if the entry still
   * holds the token that was refused; a failure to note it never hides the refusal itself.
   */
  async #recordRefusal(provider: string, profile: string, refused: string): Promise<void> {
    try {
      await this.#store.update((current) => {
        const entry = getEntry(current, provider, profile);
        if (entry?.refresh_token !== refused) return current;
        const at = Math.floor(this.#now() / 1000);
        return withEntry(current, provider, profile, { ...entry, refresh_refused_at: at });
      });
    } catch {
      // The store is locked or unwritable: the error being reported says what matters.
    }
  }
}

/**
 * A refresh asked of a login that holds no refresh token: the server issued none (a login without
 * offline_access, or a server that drops it without prompt=consent). Said as such; while the
 * access token is valid, "expired" would be wrong.
 */
function noRefreshToken(provider: string, profile: string, entry: TokenEntry, nowMs: number): OauthxError {
  const left = entry.expires_at === undefined ? undefined : entry.expires_at - nowMs / 1000;
  const state =
    entry.access_token !== "" && (left === undefined || left > 0)
      ? `its token is valid${left === undefined ? "" : ` for ${left < 120 ? `${Math.round(left)} s` : `${Math.round(left / 60)} min`} more`}`
      : "its token has expired";
  return new OauthxError(
    "AUTH_REQUIRED",
    `the ${provider} login has no refresh token (the server issued none); ${state}`,
    {
      remedy: `${loginRemedy(provider, profile)} when it expires; a refresh token needs the offline_access scope, and some servers also prompt=consent`,
    },
  );
}

function requireEntry(document: StoreDocument, provider: string, profile: string): TokenEntry {
  const entry = getEntry(document, provider, profile);
  if (entry) return entry;
  throw new OauthxError(
    "AUTH_REQUIRED",
    `not logged in to ${provider}${profile === "default" ? "" : ` (profile ${profile})`}`,
    { remedy: loginRemedy(provider, profile) },
  );
}

export function loginRemedy(provider: string, profile: string): string {
  return `run \`${loginCommand(provider, profile)}\``;
}

/**
 * A refused refresh of a login whose refresh token was exported: most likely its other holder (a CI
 * secret) refreshed first and the provider rotated. A new login, and CI a grant of its own.
 */
export function exportedRemedy(provider: string, profile: string): string {
  return `this login's refresh token was exported, and its other holder may have refreshed first: run \`${loginCommand(provider, profile)}\`, and give CI a login of its own: oauthx seed ${provider}`;
}

/** The command that logs in to a provider's profile, for remedies. */
export function loginCommand(provider: string, profile: string): string {
  return `oauthx login ${provider}${profile === "default" ? "" : ` --profile ${profile}`}`;
}

/**
 * Valid long enough to hand out: at least `requiredSeconds` left. No known expiry counts as valid
 * until the API says 401.
 */
export function isFresh(entry: TokenEntry, minTtlSeconds: number, nowMs: number): boolean {
  if (entry.access_token === "") return false;
  if (entry.expires_at === undefined) return true;
  return entry.expires_at - nowMs / 1000 >= requiredSeconds(entry, minTtlSeconds);
}

/**
 * The life a token must have left to be handed out: minTtl plus the clock skew margin, capped at
 * half the lifetime the server issued it with. Without the cap, a server whose tokens live less
 * than minTtl + skew (Keycloak's 5 minutes against exec's 5-minute default; 60-second tokens
 * against token's 60 s) would make every call refresh; with it, a token serves the first half of
 * its life and is refreshed in the second.
 */
export function requiredSeconds(entry: TokenEntry, minTtlSeconds: number): number {
  const wanted = minTtlSeconds + CLOCK_SKEW_SECONDS;
  const lifetime = issuedLifetime(entry);
  return lifetime === undefined ? wanted : Math.min(wanted, lifetime / 2);
}

/** Seconds between when the token was obtained and when it expires; undefined when unknown. */
export function issuedLifetime(entry: TokenEntry): number | undefined {
  if (entry.expires_at === undefined) return undefined;
  const lifetime = entry.expires_at - entry.obtained_at;
  return lifetime > 0 ? lifetime : undefined;
}

function isUnexpired(entry: TokenEntry, nowMs: number): boolean {
  if (entry.access_token === "") return false;
  return entry.expires_at === undefined || entry.expires_at > nowMs / 1000;
}

/** When a token response says nothing of expiry, a JWT access token's `exp` is the next best. */
export function expiresAt(
  tokens: { access_token: string; expires_in?: number },
  nowMs: number,
): number | undefined {
  if (tokens.expires_in !== undefined) return Math.floor(nowMs / 1000 + tokens.expires_in);
  return jwtExpiry(tokens.access_token);
}

/** The `exp` claim of a JWT, unverified: it only schedules a refresh, it grants nothing. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1] as string, "base64url").toString("utf8")) as {
      exp?: unknown;
    };
    return typeof payload.exp === "number" && Number.isFinite(payload.exp)
      ? Math.floor(payload.exp)
      : undefined;
  } catch {
    return undefined;
  }
}

function mergeRefreshed(entry: TokenEntry, tokens: RefreshedTokens, nowMs: number): TokenEntry {
  const next: TokenEntry = {
    ...entry,
    access_token: tokens.access_token,
    token_type: tokens.token_type,
    // RFC 6749 §6: without a new refresh token in the response, the old one stays valid.
    refresh_token: tokens.refresh_token ?? entry.refresh_token,
    scopes: tokens.scope ?? entry.scopes,
    obtained_at: Math.floor(nowMs / 1000),
    refreshed_at: Math.floor(nowMs / 1000),
    extra: { ...entry.extra, ...tokens.extra },
    ...(entry.origins === undefined && tokens.origins !== undefined ? { origins: tokens.origins } : {}),
    ...(tokens.id_token !== undefined ? { id_token: tokens.id_token } : {}),
  };
  const expiry = expiresAt(tokens, nowMs);
  if (expiry === undefined) delete next.expires_at;
  else next.expires_at = expiry;
  if (next.refresh_token === undefined) delete next.refresh_token;
  // Another process's refresh may follow a refusal seen here: a working refresh token again.
  delete next.refresh_refused_at;
  if (Object.keys(next.extra ?? {}).length === 0) delete next.extra;
  return next;
}
