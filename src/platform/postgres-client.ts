// A PostgreSQL connection for the shared store (docs/shared-store.md), through Bun's built-in
// client (`Bun.sql`), so the binary needs no dependency. Deno and the library on Node have no such
// client: opening the shared store there is a typed error saying it needs the Bun binary.
//
// Every wait is bounded: the connection (CONNECT_TIMEOUT_S), each statement (statement_timeout)
// and each lock wait (lock_timeout) — a stuck holder cannot wedge the others. Errors name the host
// and database, never the password; the driver's text is not passed on.

import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { OauthxError } from "../errors.ts";

declare const Bun: { SQL: new (url: string, options: Record<string, unknown>) => BunSql } | undefined;

interface BunSql {
  unsafe(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  begin<T>(run: (tx: BunSql) => Promise<T>): Promise<T>;
  close(options?: { timeout?: number }): Promise<void>;
}

export interface PostgresRunner {
  query(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

export interface PostgresClient extends PostgresRunner {
  /** Runs `work` in one transaction on one connection; a throw rolls it back. */
  transaction<T>(work: (tx: PostgresRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** `host:port/database`, for messages. */
  readonly where: string;
}

export interface PostgresTimeouts {
  /** Seconds to connect (TCP, TLS, authentication). */
  connectSeconds: number;
  /** Milliseconds any one statement may run, lock waits included. */
  statementMs: number;
  /** Milliseconds to wait for a lock (another machine's refresh of the same login). */
  lockMs: number;
  /** Milliseconds a transaction may sit idle (a holder that hangs between statements). */
  idleInTransactionMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `host:port/database` of a postgres URL: what messages may say about it. */
export function describePostgresUrl(url: URL): string {
  const database = decoded(url.pathname.replace(/^\//, "")) || "postgres";
  return `${url.hostname}:${url.port || "5432"}/${database}`;
}

export function connectPostgres(url: URL, env: Env, timeouts: PostgresTimeouts): PostgresClient {
  const where = describePostgresUrl(url);
  if (typeof Bun === "undefined" || typeof Bun.SQL !== "function") {
    throw new OauthxError(
      "CONFIG_INVALID",
      "the PostgreSQL store (OAUTHX_STORE) needs the oauthx binary (Bun)",
      {
        remedy: "run the oauthx binary, or the library under Bun; unset OAUTHX_STORE to use the local store",
      },
    );
  }
  const withPassword = new URL(url.href);
  if (withPassword.password === "") {
    const password = env.PGPASSWORD ?? passwordFromPgpass(withPassword, env);
    if (password !== undefined) withPassword.password = encodeURIComponent(password);
  }
  const sql = new Bun.SQL(withPassword.href, {
    max: 1,
    connectionTimeout: timeouts.connectSeconds,
    idleTimeout: 0,
    // Unnamed statements: a pooler in transaction mode (PgBouncer) may hand each transaction to
    // another server connection, where a named prepared statement does not exist.
    prepare: false,
    connection: {
      statement_timeout: String(timeouts.statementMs),
      lock_timeout: String(timeouts.lockMs),
      idle_in_transaction_session_timeout: String(timeouts.idleInTransactionMs),
      application_name: "oauthx",
    },
  });
  // statement_timeout and lock_timeout are the server's: a server that stops answering, or a
  // network that drops packets once connected (a failover, a NAT that forgot the connection), would
  // leave a query waiting for TCP to give up, a quarter of an hour on Linux. So each query, and each
  // transaction as a whole, also has a bound of its own here; when it passes, the connection is
  // closed (the server then rolls the transaction back) and the command fails.
  const bounded = <T>(work: () => Promise<T>, ms: number): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void sql.close({ timeout: 0 }).catch(() => undefined);
        reject(noAnswer(where, ms));
      }, ms);
    });
    return Promise.race([work(), expired]).finally(() => clearTimeout(timer));
  };
  const guard = <T>(work: () => Promise<T>, ms: number): Promise<T> =>
    bounded(work, ms).catch((error: unknown) => {
      throw postgresError(error, where);
    });
  const queryMs = timeouts.statementMs + ANSWER_MARGIN_MS;
  const transactionMs = timeouts.idleInTransactionMs + timeouts.statementMs + ANSWER_MARGIN_MS;
  const runner = (target: BunSql): PostgresRunner => ({
    query: (text, params = []) => guard(() => target.unsafe(text, params).then((rows) => [...rows]), queryMs),
  });
  return {
    where,
    ...runner(sql),
    transaction: (work) => guard(() => sql.begin((tx) => work(runner(tx))), transactionMs),
    close: () => sql.close({ timeout: 0 }).catch(() => undefined),
  };
}

/** Beyond the server's own statement_timeout, which answers first when the server can answer. */
const ANSWER_MARGIN_MS = 5_000;

function noAnswer(where: string, ms: number): OauthxError {
  return new OauthxError(
    "STORE_UNREACHABLE",
    `the PostgreSQL store at ${where} did not answer within ${Math.ceil(ms / 1000)} s`,
    {
      remedy: "check that the server is up and the network to it works, then retry",
    },
  );
}

/** An OauthxError already made (by the work inside a transaction) passes through unchanged. */
function postgresError(error: unknown, where: string): unknown {
  if (error instanceof OauthxError) return error;
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  const state = typeof errno === "string" ? errno : "";
  if (state === "55P03" || state === "57014") {
    return new OauthxError(
      "STORE_LOCKED",
      `the PostgreSQL store at ${where} kept a lock or a query waiting too long`,
      {
        remedy:
          "another machine is refreshing this login: retry; if it persists, look for a stuck session in pg_stat_activity",
      },
    );
  }
  if (state === "28P01" || state === "28000") {
    return new OauthxError("STORE_PERMISSIONS", `the PostgreSQL store at ${where} refused the login`, {
      remedy: "check the user and password in OAUTHX_STORE, PGPASSWORD or ~/.pgpass",
    });
  }
  if (state === "42501") {
    return new OauthxError(
      "STORE_PERMISSIONS",
      `the PostgreSQL role lacks a privilege on the store at ${where}`,
      {
        remedy:
          "grant it SELECT, INSERT, UPDATE, DELETE on oauthx_logins (docs/shared-store.md); `oauthx doctor` checks",
      },
    );
  }
  if (state !== "") {
    return new OauthxError(
      "STORE_UNREACHABLE",
      `the PostgreSQL store at ${where} failed a query (SQLSTATE ${state})`,
      {
        remedy: "check the server's log for this SQLSTATE; `oauthx doctor` checks the store",
        // The SQLSTATE alone, never the driver's text: the store acts on 42P01 (no table yet).
        cause: { sqlstate: state },
      },
    );
  }
  const tls = typeof code === "string" && code.includes("TLS");
  return new OauthxError(
    "STORE_UNREACHABLE",
    `cannot reach the PostgreSQL store at ${where}${tls ? " over TLS" : ""}`,
    {
      remedy: tls
        ? "check sslmode in OAUTHX_STORE against the server's TLS setup"
        : "check that the server is up and reachable from here; nothing was changed",
    },
  );
}

/**
 * The password of ~/.pgpass (or PGPASSFILE) for this connection, as libpq reads it: lines of
 * host:port:database:user:password, `*` matching anything, `\:` and `\\` escaped; the file must not
 * be readable by group or others.
 */
export function passwordFromPgpass(url: URL, env: Env): string | undefined {
  const file = env.PGPASSFILE ?? join(env.HOME ?? homedir(), ".pgpass");
  let text: string;
  try {
    // As libpq: a file that group or others may read (or write) is ignored, not trusted.
    if (process.platform !== "win32" && (statSync(file).mode & 0o077) !== 0) return undefined;
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const wanted = [
    url.hostname,
    url.port || "5432",
    decoded(url.pathname.replace(/^\//, "")) || "postgres",
    decoded(url.username),
  ];
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const parts = splitPgpassLine(line);
    if (parts.length < 5) continue;
    if (wanted.every((value, i) => parts[i] === "*" || parts[i] === value)) return parts[4];
  }
  return undefined;
}

/** A URL part, percent-decoded; as written when it holds a malformed escape (never a throw). */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function splitPgpassLine(line: string): string[] {
  const parts: string[] = [];
  let field = "";
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (char === "\\" && i + 1 < line.length) field += line[++i];
    else if (char === ":" && parts.length < 4) {
      parts.push(field);
      field = "";
    } else field += char;
  }
  parts.push(field);
  return parts;
}
