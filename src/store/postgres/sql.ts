// What the shared store needs of a PostgreSQL connection (platform/postgres-client.ts gives it).

export interface SqlQuery {
  query(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

export interface SqlClient extends SqlQuery {
  /** Runs `work` in one transaction; a throw rolls it back. */
  transaction<T>(work: (tx: SqlQuery) => Promise<T>): Promise<T>;
  /** `host:port/database`, for messages; never the password. */
  readonly where: string;
  close(): Promise<void>;
}
