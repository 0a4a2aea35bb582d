// Which store a command uses: OAUTHX_STORE=postgres://… (or postgresql://) selects the shared store
// on PostgreSQL (docs/shared-store.md) for every command; unset, the local age file, as always.
// The PostgreSQL modules load only when it is set: the warm `token` path of the file store does not
// pay for them.

import { OauthxError } from "../errors.ts";
import { homeFiles } from "../store/home-files.ts";
import type { Context } from "./context.ts";
import type { DocumentStore } from "./token-manager.ts";

export const STORE_ENV = "OAUTHX_STORE";

/** Bounds of every wait on the database; the lock wait follows OAUTHX_LOCK_TIMEOUT_MS. */
export const CONNECT_TIMEOUT_SECONDS = 8;

/** The shared store's URL, checked; undefined when OAUTHX_STORE is unset (the local file). */
export function sharedStoreUrl(env: Context["env"]): URL | undefined {
  const value = env[STORE_ENV];
  if (value === undefined || value === "") return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "postgres:" && url.protocol !== "postgresql:") || url.hostname === "") {
    throw new OauthxError("CONFIG_INVALID", `${STORE_ENV} is not a postgres:// URL`, {
      remedy: `set ${STORE_ENV}=postgres://user@host:5432/database?sslmode=verify-full, or unset it for the local store`,
    });
  }
  return url;
}

export interface SharedStoreRequest {
  /** The login a command is about: its row alone is read, and locked for a refresh. */
  scope?: { provider: string; profile: string };
  /** CI mode: the seed that bootstraps a missing row; nothing is written under OAUTHX_HOME. */
  seed?: string;
  /** Milliseconds a refresh waits for another machine's (OAUTHX_LOCK_TIMEOUT_MS). */
  lockTimeoutMs: number;
}

export type SharedStore = DocumentStore & { close(): Promise<void>; where: string };

export async function openSharedStore(
  ctx: Context,
  url: URL,
  request: SharedStoreRequest,
): Promise<SharedStore> {
  const [{ openPostgresStore }, { rowSealer }] = await Promise.all([
    import("../store/postgres/store.ts"),
    import("../store/postgres/sealing.ts"),
  ]);
  const sql = await connect(ctx, url, request.lockTimeoutMs);
  const store = openPostgresStore({
    sql,
    sealer: rowSealer({
      env: ctx.env,
      identityFile: homeFiles(ctx.home).identity,
      createIdentity: request.seed === undefined,
      now: ctx.now,
    }),
    ...(request.scope ? { scope: request.scope } : {}),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
  });
  return Object.assign(store, { where: sql.where });
}

async function connect(ctx: Context, url: URL, lockTimeoutMs: number) {
  const { connectPostgres } = await import("../platform/postgres-client.ts");
  return connectPostgres(url, ctx.env, {
    connectSeconds: CONNECT_TIMEOUT_SECONDS,
    lockMs: lockTimeoutMs,
    // A statement may wait for the lock and then some; never forever.
    statementMs: lockTimeoutMs + 10_000,
    // The lock holder sits idle in its transaction while the token endpoint answers
    // (REFRESH_TIMEOUT_MS with a retry); a holder that hangs longer loses its lock.
    idleInTransactionMs: 60_000,
  });
}

/**
 * `doctor`: the store answers, its table has a schema this oauthx knows, and the role holds the four
 * privileges. Reads only: a missing table is reported, not created. Throws what a command would.
 */
export async function checkSharedStore(
  ctx: Context,
  url: URL,
): Promise<{ detail: string; missing: string[]; schema: number | undefined }> {
  const { lockTimeout } = await import("../store/lock-timeout.ts");
  const { schemaVersion, missingPrivileges, PRIVILEGES, SCHEMA_VERSION } = await import(
    "../store/postgres/schema.ts"
  );
  const sql = await connect(ctx, url, lockTimeout(undefined, ctx.env));
  try {
    const schema = await schemaVersion(sql);
    const missing = schema === undefined ? [...PRIVILEGES] : await missingPrivileges(sql);
    const known = schema !== undefined && schema <= SCHEMA_VERSION;
    const detail =
      schema === undefined
        ? `${sql.where} answers; no table oauthx_logins yet`
        : `${sql.where} answers; schema ${schema}${known ? "" : " (newer than this oauthx)"}; ` +
          (missing.length === 0
            ? `${PRIVILEGES.join(", ")} granted`
            : `the role lacks ${missing.join(", ")}`);
    return { detail, missing, schema };
  } finally {
    await sql.close();
  }
}

/** The store a command reads and writes: the shared one when OAUTHX_STORE is set, else the file. */
export async function openConfiguredStore(
  ctx: Context,
  scope?: { provider: string; profile: string },
): Promise<DocumentStore> {
  const url = sharedStoreUrl(ctx.env);
  if (url) {
    const { lockTimeout } = await import("../store/lock-timeout.ts");
    return openSharedStore(ctx, url, {
      ...(scope ? { scope } : {}),
      lockTimeoutMs: lockTimeout(undefined, ctx.env),
    });
  }
  const { openStore } = await import("../store/file/store.ts");
  return openStore({ home: ctx.home, env: ctx.env, now: ctx.now });
}
