// The shared store's settings, in-process: OAUTHX_STORE's URL, the password from ~/.pgpass as libpq
// reads it, how a URL is named in messages (never its password), and the clear error where there
// is no Bun.sql (this test runs on Node).

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sharedStoreUrl } from "../../src/core/shared-store.ts";
import { isOauthxError } from "../../src/errors.ts";
import {
  connectPostgres,
  describePostgresUrl,
  passwordFromPgpass,
} from "../../src/platform/postgres-client.ts";
import { rejection } from "../support/rejection.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function pgpass(text: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "oauthx-pgpass-"));
  dirs.push(dir);
  writeFileSync(join(dir, "pgpass"), text, { mode: 0o600 });
  return { PGPASSFILE: join(dir, "pgpass") };
}

describe("OAUTHX_STORE", () => {
  it("takes postgres:// and postgresql:// URLs; unset or empty means the local store", () => {
    expect(sharedStoreUrl({})).toBeUndefined();
    expect(sharedStoreUrl({ OAUTHX_STORE: "" })).toBeUndefined();
    expect(sharedStoreUrl({ OAUTHX_STORE: "postgres://u@db:5433/x" })?.hostname).toBe("db");
    expect(
      sharedStoreUrl({ OAUTHX_STORE: "postgresql://u@db/x?sslmode=require" })?.searchParams.get("sslmode"),
    ).toBe("require");
  });

  it("refuses anything else, without repeating the value (it may hold a password)", () => {
    for (const value of ["mysql://u:hunter2@db/x", "hunter2", "postgres:///socket-only"]) {
      let caught: unknown;
      try {
        sharedStoreUrl({ OAUTHX_STORE: value });
      } catch (error) {
        caught = error;
      }
      expect(isOauthxError(caught, "CONFIG_INVALID")).toBe(true);
      expect((caught as Error).message).not.toContain("hunter2");
      // The remedy's example verifies the server's certificate, as docs/shared-store.md's does:
      // sslmode=require encrypts but accepts any certificate.
      expect((caught as { remedy?: string }).remedy).toContain("?sslmode=verify-full");
    }
  });

  it("is named host:port/database in messages", () => {
    expect(describePostgresUrl(new URL("postgres://u:secret@db.internal/oauthx"))).toBe(
      "db.internal:5432/oauthx",
    );
    expect(describePostgresUrl(new URL("postgres://u:secret@10.0.0.1:6432"))).toBe("10.0.0.1:6432/postgres");
  });
});

describe("~/.pgpass", () => {
  const url = new URL("postgres://oauthx@db.internal:5432/tokens");

  it("finds the line for host, port, database and user, with * wildcards and escapes", () => {
    const env = pgpass(
      [
        "# comment",
        "other:5432:tokens:oauthx:wrong",
        "db.internal:5432:*:someone:wrong",
        "db.internal:*:tokens:oauthx:pa\\:ss\\\\word:with:colons",
        "*:*:*:*:fallback",
      ].join("\n"),
    );
    expect(passwordFromPgpass(url, env)).toBe("pa:ss\\word:with:colons");
    expect(passwordFromPgpass(new URL("postgres://else@h/x"), env)).toBe("fallback");
  });

  it("ignores a file that group or others may read, as libpq does", () => {
    const env = pgpass("*:*:*:*:secret\n");
    expect(passwordFromPgpass(url, env)).toBe("secret");
    chmodSync(env.PGPASSFILE as string, 0o640);
    expect(passwordFromPgpass(url, env)).toBeUndefined();
  });

  it("reads a database or user with a malformed %-escape as written, without throwing", () => {
    const odd = new URL("postgres://o%zz@db.internal:5432/t%zz");
    expect(describePostgresUrl(odd)).toBe("db.internal:5432/t%zz");
    expect(passwordFromPgpass(odd, pgpass("db.internal:5432:t%zz:o%zz:pw\n"))).toBe("pw");
  });

  it("gives nothing when the file is missing or no line matches", () => {
    expect(passwordFromPgpass(url, { PGPASSFILE: "/nonexistent/pgpass" })).toBeUndefined();
    expect(passwordFromPgpass(url, pgpass("other:*:*:*:x\n"))).toBeUndefined();
  });
});

describe("without Bun", () => {
  it("opening the shared store is a typed error saying it needs the binary", async () => {
    const error = await rejection(
      (async () =>
        connectPostgres(
          new URL("postgres://u:hunter2@db/x"),
          {},
          {
            connectSeconds: 1,
            statementMs: 1000,
            lockMs: 1000,
            idleInTransactionMs: 1000,
          },
        ))(),
    );
    expect(isOauthxError(error, "CONFIG_INVALID")).toBe(true);
    expect((error as Error).message).toContain("needs the oauthx binary (Bun)");
    expect((error as Error).message).not.toContain("hunter2");
  });
});
