// The token store on PostgreSQL: one grant shared by many machines (docs/shared-store.md). It keeps
// the store's interface (read, update, prepareWrite), so the token manager works unchanged:
//   - read(): one SELECT of the login's row (or of all rows, for a command about no login) and the
//     discovery row; each is unsealed (sealing.ts) and checked as the file store's document is.
//   - update(change): one transaction holding a lock for the login (pg_advisory_xact_lock) for the
//     whole change, the refresh request included: a machine that waits re-reads afterwards and finds
//     the token the holder got, as the file store's waiters do (core/token-manager.ts). The server
//     releases the lock with the transaction, and when the holder's connection dies. lock_timeout
//     bounds the wait, idle_in_transaction_session_timeout a holder that hangs
//     (platform/postgres-client.ts). Each changed row is written with a version compare.
//
// CI (a seed): a seed bootstraps the row only when the store has none; afterwards every job uses
// the newest refresh token in the store. When the stored grant is refused and the job's seed is
// not the one that bootstrapped the row, the seed replaces the row and the refresh is tried once
// more with it: a re-seed (docs/ci.md). The seed's fingerprint is kept inside the sealed row.

import { createHash } from "node:crypto";
import { isOauthxError, OauthxError } from "../../errors.ts";
import { seededDocument } from "../ci-cache/env-seeded.ts";
import {
  emptyDocument,
  findDocumentProblem,
  freezeDeep,
  getEntry,
  parseDocument,
  type StoreDocument,
  type TokenEntry,
  withEntry,
} from "../document.ts";
import { type KeptHeader, preloadAge } from "../encryption.ts";
import { ensureSchema, TABLE } from "./schema.ts";
import type { RowSealer } from "./sealing.ts";
import type { SqlClient, SqlQuery } from "./sql.ts";

/** The row of the discovery cache: no provider id is empty. */
const DISCOVERY = { provider: "", profile: "discovery" };

export interface PostgresStoreOptions {
  sql: SqlClient;
  sealer: RowSealer;
  /** The login the command is about: read() fetches its row alone, update() locks it. */
  scope?: { provider: string; profile: string };
  /** CI mode: the seeded refresh token, which bootstraps a missing row. */
  seed?: string;
}

interface Row {
  version: number;
  header: KeptHeader | undefined;
  json: string;
  seed: string | undefined;
  /** The public keys the row says it was sealed to (sealing.ts); undefined in a row from before. */
  sealedTo: string[] | undefined;
}

interface Snapshot {
  document: StoreDocument;
  rows: Map<string, Row>;
}

const keyOf = (provider: string, profile: string) => `${provider}\u0000${profile}`;
const fingerprint = (seed: string) => createHash("sha256").update(`oauthx seed\u0000${seed}`).digest("hex");

export interface PostgresStore {
  read(): Promise<StoreDocument>;
  update(change: (document: StoreDocument) => StoreDocument | Promise<StoreDocument>): Promise<StoreDocument>;
  prepareWrite(): void;
  close(): Promise<void>;
}

export function openPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const { sql, sealer, scope } = options;
  const seed =
    options.seed === undefined ? undefined : { value: options.seed, id: fingerprint(options.seed) };
  let schema: Promise<void> | undefined;
  /** The last snapshot read, for prepareWrite. */
  let lastRead: Snapshot | undefined;
  const ready = () => {
    schema ??= ensureSchema(sql, sql.where);
    schema.catch(() => (schema = undefined));
    return schema;
  };

  async function load(runner: SqlQuery, lock: boolean): Promise<Snapshot> {
    const rows = await runner.query(
      scope
        ? `SELECT provider, profile, version, sealed FROM ${TABLE} WHERE (provider = $1 AND profile = $2) OR provider = ''${lock ? " FOR UPDATE" : ""}`
        : `SELECT provider, profile, version, sealed FROM ${TABLE}${lock ? " FOR UPDATE" : ""}`,
      scope ? [scope.provider, scope.profile] : [],
    );
    const document = emptyDocument();
    const seen = new Map<string, Row>();
    for (const row of rows) {
      const provider = String(row.provider);
      const profile = String(row.profile);
      const label =
        provider === ""
          ? `the discovery row in ${sql.where}`
          : `the ${provider}/${profile} row in ${sql.where}`;
      const { text, header } = await sealer.open(toBytes(row.sealed), label);
      const parsed = parseRow(text, label, provider, profile);
      seen.set(keyOf(provider, profile), {
        version: Number(row.version),
        header,
        json: text,
        seed: parsed.seed,
        sealedTo: parsed.sealedTo,
      });
      if (provider === "") document.discovery = parsed.discovery ?? {};
      else {
        document.profiles[provider] ??= {};
        (document.profiles[provider] as Record<string, TokenEntry>)[profile] = parsed.entry as TokenEntry;
      }
    }
    // The document is checked as a whole, as a store file's is.
    lastRead = { document: freezeDeep(parseDocument(JSON.stringify(document), sql.where)), rows: seen };
    return lastRead;
  }

  /** With a seed and no row yet: the seed, as the CI cache starts. */
  function seeded(snapshot: Snapshot): StoreDocument {
    if (!seed || !scope || getEntry(snapshot.document, scope.provider, scope.profile))
      return snapshot.document;
    const entry = getEntry(
      seededDocument({ ...scope, refreshToken: seed.value }),
      scope.provider,
      scope.profile,
    );
    return freezeDeep(withEntry(snapshot.document, scope.provider, scope.profile, entry as TokenEntry));
  }

  async function write(
    tx: SqlQuery,
    before: Snapshot,
    next: StoreDocument,
    seedOf: (key: string) => string | undefined,
  ) {
    const problem = findDocumentProblem(next);
    if (problem !== undefined) {
      throw new OauthxError("INTERNAL", `refusing to write an invalid store document (at ${problem})`, {
        remedy: "report this bug; the store was left unchanged",
      });
    }
    // Every row written names the recipients it is sealed to, so the next write can tell whether
    // OAUTHX_STORE_RECIPIENTS changed (an age header does not name X25519 recipients).
    const sealedTo = await sealer.recipients();
    const wanted = new Map<string, string>();
    for (const [provider, profiles] of Object.entries(next.profiles))
      for (const [profile, entry] of Object.entries(profiles)) {
        const key = keyOf(provider, profile);
        const rowSeed = seedOf(key);
        wanted.set(
          key,
          JSON.stringify({
            login: [provider, profile],
            entry,
            ...(rowSeed ? { seed: rowSeed } : {}),
            sealedTo,
          }),
        );
      }
    if (Object.keys(next.discovery ?? {}).length > 0)
      wanted.set(
        keyOf(DISCOVERY.provider, DISCOVERY.profile),
        JSON.stringify({
          login: [DISCOVERY.provider, DISCOVERY.profile],
          discovery: next.discovery,
          sealedTo,
        }),
      );
    for (const [key, json] of wanted) {
      const [provider, profile] = key.split("\u0000") as [string, string];
      const old = before.rows.get(key);
      if (old?.json === json) continue;
      // The same recipients: the row's header is kept. Others (a key added to or dropped from
      // OAUTHX_STORE_RECIPIENTS, or a row from before the list was kept): sealed afresh to them.
      const same = old?.sealedTo !== undefined && old.sealedTo.join(" ") === sealedTo.join(" ");
      const sealed = await sealer.seal(json, same ? old?.header : undefined);
      const expires = provider === "" ? null : (getEntry(next, provider, profile)?.expires_at ?? null);
      if (provider === "") {
        // The discovery cache is a cache: the last writer wins, and no refresh fails over it.
        await tx.query(
          `INSERT INTO ${TABLE} (provider, profile, version, expires_at, sealed) VALUES ($1, $2, 1, NULL, $3)
           ON CONFLICT (provider, profile) DO UPDATE SET version = ${TABLE}.version + 1, sealed = EXCLUDED.sealed, updated_at = now()`,
          [provider, profile, sealed],
        );
        continue;
      }
      const changed = old
        ? await tx.query(
            `UPDATE ${TABLE} SET version = version + 1, expires_at = $3, sealed = $4, updated_at = now()
             WHERE provider = $1 AND profile = $2 AND version = $5 RETURNING version`,
            [provider, profile, expires, sealed, old.version],
          )
        : await tx.query(
            `INSERT INTO ${TABLE} (provider, profile, version, expires_at, sealed) VALUES ($1, $2, 1, $3, $4)
             ON CONFLICT (provider, profile) DO NOTHING RETURNING version`,
            [provider, profile, expires, sealed],
          );
      if (changed.length !== 1) throw conflict(provider, profile, sql.where);
    }
    for (const [key, old] of before.rows) {
      if (wanted.has(key)) continue;
      const [provider, profile] = key.split("\u0000") as [string, string];
      const gone = await tx.query(
        `DELETE FROM ${TABLE} WHERE provider = $1 AND profile = $2 AND version = $3 RETURNING version`,
        [provider, profile, old.version],
      );
      if (gone.length !== 1 && provider !== "") throw conflict(provider, profile, sql.where);
    }
  }

  return {
    async read() {
      // The warm path: one SELECT, no schema check first. A missing table is set up, then read;
      // a newer schema is refused before any write (update).
      try {
        return seeded(await load(sql, false));
      } catch (error) {
        if (
          !isOauthxError(error, "STORE_UNREACHABLE") ||
          (error.cause as { sqlstate?: string })?.sqlstate !== "42P01"
        )
          throw error;
      }
      await ready();
      return seeded(await load(sql, false));
    },

    prepareWrite() {
      // A row this identity opened is rewritten under its header without the age library (the
      // recipient list is compared by WebCrypto, sealing.ts); a new row (a seed's bootstrap, a
      // re-seed) or one that names no list yet needs it: load it while the refresh is on the wire.
      // A changed list is rare enough to load it then.
      const row = scope ? lastRead?.rows.get(keyOf(scope.provider, scope.profile)) : undefined;
      if (row?.header === undefined || row.sealedTo === undefined) preloadAge();
    },

    async update(change) {
      await ready();
      return sql.transaction(async (tx) => {
        // One refresh of a login at a time, across machines; released by the server at COMMIT,
        // ROLLBACK, or when this connection dies. Without a scope (logout, export), the lock of
        // every login, taken in one order before any row lock: a refresh holds only its login's
        // advisory lock while its request is on the wire, reading the row unlocked, so row locks
        // alone would let this change commit under it and make its write a conflict, losing the
        // refresh token the server just rotated.
        const logins = scope
          ? [[scope.provider, scope.profile]]
          : (
              await tx.query(
                `SELECT provider, profile FROM ${TABLE} WHERE provider <> '' ORDER BY provider COLLATE "C", profile COLLATE "C"`,
              )
            ).map((row) => [String(row.provider), String(row.profile)]);
        for (const login of logins)
          await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
            `oauthx login ${JSON.stringify(login)}`,
          ]);
        const before = await load(tx, !scope);
        const start = seeded(before);
        const rowKey = scope ? keyOf(scope.provider, scope.profile) : "";
        const bootstrapped = start !== before.document;
        let reseeded = false;
        let next: StoreDocument;
        try {
          next = await change(start);
        } catch (error) {
          const stored = before.rows.get(rowKey);
          if (
            !(
              seed &&
              scope &&
              stored &&
              !bootstrapped &&
              stored.seed !== seed.id &&
              isOauthxError(error, "REFRESH_REJECTED")
            )
          )
            throw error;
          // The grant in the store is dead and this job brings another seed: a re-seed.
          reseeded = true;
          const entry = getEntry(
            seededDocument({ ...scope, refreshToken: seed.value }),
            scope.provider,
            scope.profile,
          );
          next = await change(
            freezeDeep(withEntry(before.document, scope.provider, scope.profile, entry as TokenEntry)),
          );
        }
        // Nothing changed (another machine's token was taken); a seed alone is never stored.
        if (next === start) return start;
        await write(tx, before, next, (key) =>
          key === rowKey && seed && (bootstrapped || reseeded) ? seed.id : before.rows.get(key)?.seed,
        );
        return freezeDeep(next);
      });
    },

    close: () => sql.close(),
  };
}

/**
 * A row's plaintext names the login it belongs to, and a row that names another is refused. The
 * key columns are in the clear, and age authenticates no writer: without this, anyone who may
 * write the table could move one login's sealed tokens into another's row (a profile's, another
 * provider's), and `oauthx token <that one>` would hand them to a program that sends them to the
 * wrong account or origin.
 */
function parseRow(
  text: string,
  label: string,
  provider: string,
  profile: string,
): { entry?: unknown; discovery?: StoreDocument["discovery"]; seed?: string; sealedTo?: string[] } {
  let value: {
    login?: unknown;
    entry?: unknown;
    discovery?: StoreDocument["discovery"];
    seed?: unknown;
    sealedTo?: unknown;
  };
  try {
    value = JSON.parse(text);
  } catch {
    value = {};
  }
  if (
    typeof value === "object" &&
    value !== null &&
    (value.entry !== undefined || value.discovery !== undefined)
  ) {
    const login = value.login;
    if (!Array.isArray(login) || login.length !== 2 || login[0] !== provider || login[1] !== profile) {
      throw new OauthxError("STORE_CORRUPT", `${label} holds sealed tokens made for another row`, {
        remedy:
          "someone who may write the table moved them there: delete the row and log in again (or re-seed it in CI), and check who may write the table",
      });
    }
    const sealedTo =
      Array.isArray(value.sealedTo) && value.sealedTo.every((key) => typeof key === "string")
        ? (value.sealedTo as string[])
        : undefined;
    return { ...value, seed: typeof value.seed === "string" ? value.seed : undefined, sealedTo };
  }
  throw new OauthxError("STORE_CORRUPT", `${label} does not hold an oauthx login`, {
    remedy: "delete the row and log in again (or re-seed it in CI)",
  });
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new OauthxError("STORE_CORRUPT", "a row of the shared store has no sealed tokens", {
    remedy: "delete the row and log in again",
  });
}

function conflict(provider: string, profile: string, where: string): OauthxError {
  return new OauthxError(
    "STORE_LOCKED",
    `the ${provider}/${profile} login in ${where} was changed by another machine meanwhile`,
    {
      remedy: "retry the command",
    },
  );
}
