// The shared store's one table (docs/shared-store.md "The schema"). One row per login (provider,
// profile): the ids, the access token's expiry, a version and the sealed tokens. The row whose
// provider is '' holds the discovery cache. The table's comment carries the schema version, so
// that a later oauthx can migrate it and an older one refuses a newer table instead of damaging it;
// the role that runs oauthx needs SELECT, INSERT, UPDATE and DELETE on this table and nothing else.

import { OauthxError } from "../../errors.ts";
import type { SqlClient, SqlQuery } from "./sql.ts";

export const TABLE = "oauthx_logins";
export const SCHEMA_VERSION = 1;
const COMMENT_PREFIX = "oauthx store schema ";

/** The DDL, as docs/shared-store.md gives it to a database administrator. */
export const CREATE_TABLE_SQL = `CREATE TABLE ${TABLE} (
  provider   text        NOT NULL,
  profile    text        NOT NULL,
  version    bigint      NOT NULL,
  expires_at bigint,
  sealed     bytea       NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, profile)
);
COMMENT ON TABLE ${TABLE} IS '${COMMENT_PREFIX}${SCHEMA_VERSION}';`;

export const PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;

/** The table's schema version; undefined when there is no table. */
export async function schemaVersion(sql: SqlQuery): Promise<number | undefined> {
  const [row] = await sql.query(
    `SELECT to_regclass('${TABLE}') IS NOT NULL AS present, obj_description(to_regclass('${TABLE}'), 'pg_class') AS comment`,
  );
  if (row?.present !== true) return undefined;
  const comment = typeof row.comment === "string" ? row.comment : "";
  const version = comment.startsWith(COMMENT_PREFIX)
    ? Number(comment.slice(COMMENT_PREFIX.length))
    : Number.NaN;
  if (!Number.isInteger(version) || version < 1) {
    throw new OauthxError("STORE_CORRUPT", `the table ${TABLE} was not made by oauthx (no schema version)`, {
      remedy: `let oauthx create ${TABLE}, or create it with the SQL in docs/shared-store.md`,
    });
  }
  return version;
}

/**
 * Creates the table on first use when the role may (a role with only the four privileges cannot:
 * then an administrator runs CREATE_TABLE_SQL), and refuses a newer schema.
 */
export async function ensureSchema(sql: SqlClient, where: string): Promise<void> {
  let version = await schemaVersion(sql);
  if (version === undefined) {
    try {
      await sql.transaction(async (tx) => {
        // Two machines creating it at once: the second waits here, then finds it made.
        await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('oauthx schema', 0))");
        if ((await schemaVersion(tx)) === undefined) await tx.query(CREATE_TABLE_SQL);
      });
    } catch (error) {
      if (error instanceof OauthxError && error.code === "STORE_PERMISSIONS") {
        throw new OauthxError(
          "STORE_PERMISSIONS",
          `the store at ${where} has no table ${TABLE}, and this role may not create it`,
          {
            remedy:
              "have a database administrator run the CREATE TABLE in docs/shared-store.md, or connect once as a role that may",
          },
        );
      }
      throw error;
    }
    version = SCHEMA_VERSION;
  }
  if (version > SCHEMA_VERSION) {
    throw new OauthxError(
      "STORE_VERSION",
      `the store at ${where} has schema ${version}, newer than this oauthx knows (${SCHEMA_VERSION})`,
      {
        remedy: "upgrade oauthx on this machine",
      },
    );
  }
}

/** The privileges the connected role lacks on the table (doctor). */
export async function missingPrivileges(sql: SqlQuery): Promise<string[]> {
  const missing: string[] = [];
  for (const privilege of PRIVILEGES) {
    const [row] = await sql.query(`SELECT has_table_privilege('${TABLE}', '${privilege}') AS granted`);
    if (row?.granted !== true) missing.push(privilege);
  }
  return missing;
}
