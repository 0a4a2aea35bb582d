// A real PostgreSQL for the shared-store tests: its own data directory and a free port on
// 127.0.0.1, run as the `postgres` system user (initdb refuses root), started once per test file
// and stopped by it. The server's superuser is `postgres` (trust on the private socket directory
// only); the store's role gets exactly the privileges docs/shared-store.md documents.

import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresBin } from "../../scripts/test-setup.ts";
import { requireFile } from "./require-tool.ts";

/** The newest PostgreSQL installed, whichever major version the system has. */
export const PG_BIN = postgresBin();

export interface PostgresServer {
  port: number;
  /** Runs SQL as the superuser through psql; returns its output (unaligned, tuples only). */
  psql(sql: string, database?: string): string;
  /** pg_dump of the database as plain SQL. */
  dump(database?: string): string;
  start(): void;
  stop(): void;
  close(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function ids(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
  return { uid, gid };
}

export async function startPostgres(): Promise<PostgresServer> {
  requireFile(`${PG_BIN}/initdb`);
  const root = mkdtempSync(join(tmpdir(), "oauthx-pg-"));
  chmodSync(root, 0o755);
  const data = join(root, "data");
  const socket = join(root, "socket");
  mkdirSync(data, { mode: 0o700 });
  mkdirSync(socket, { mode: 0o755 });
  const { uid, gid } = ids("postgres");
  chownSync(data, uid, gid);
  chownSync(socket, uid, gid);
  const port = await freePort();
  const asPostgres = (program: string, args: string[], input?: string) =>
    execFileSync("runuser", ["-u", "postgres", "--", join(PG_BIN, program), ...args], {
      encoding: "utf8",
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      ...(input === undefined ? {} : { input }),
      timeout: 60_000,
    });
  asPostgres("initdb", [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    "-E",
    "UTF8",
  ]);
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${socket} -c fsync=off`;
  const server: PostgresServer = {
    port,
    psql: (sql, database = "postgres") =>
      asPostgres(
        "psql",
        ["-h", socket, "-p", String(port), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt"],
        sql,
      ),
    dump: (database = "postgres") =>
      asPostgres("pg_dump", ["-h", socket, "-p", String(port), "-U", "postgres", database]),
    start: () =>
      void asPostgres("pg_ctl", [
        "-D",
        data,
        "-o",
        options,
        "-w",
        "-t",
        "30",
        "-l",
        join(data, "log"),
        "start",
      ]),
    stop: () => void asPostgres("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]),
    close() {
      try {
        server.stop();
      } catch {
        // Already stopped.
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  server.start();
  return server;
}
