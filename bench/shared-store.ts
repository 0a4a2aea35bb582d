// The shared store's warm `token` (docs/shared-store.md): connect to PostgreSQL, one SELECT of the
// login's row, decrypt — beside the local file's warm `token`, in one hyperfine run, against a
// private server on 127.0.0.1 (test/support/postgres-server.ts; Debian `postgresql`). Run by
// bench/run.ts; alone: `node bench/shared-store.ts <oauthx binary>` prints the two medians.

import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { hyperfine, medianMs } from "./hyperfine.ts";

const ROOT = join(import.meta.dirname, "..");

export interface SharedStoreTiming {
  /** Milliseconds, medians. */
  sharedMs: number;
  fileMs: number;
}

/**
 * `home` must hold a valid github login in its file store; the same entry is put into the shared
 * store, sealed to a fresh identity.
 */
export async function sharedStoreWarmToken(
  hyperfineTool: string,
  oauthx: string,
  home: string,
  runs: number,
): Promise<SharedStoreTiming> {
  const { startPostgres } = await import("../test/support/postgres-server.ts");
  const { CREATE_TABLE_SQL } = await import("../src/store/postgres/schema.ts");
  const { openStore } = await import("../src/store/file/store.ts");
  const { getEntry } = await import("../src/store/document.ts");
  const { generateX25519Identity } = await import("age-encryption");
  const pg = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), "oauthx-bench-shared-"));
  try {
    pg.psql(
      `CREATE ROLE bench LOGIN PASSWORD 'bench';\n${CREATE_TABLE_SQL}\nGRANT SELECT, INSERT, UPDATE, DELETE ON oauthx_logins TO bench;`,
    );
    const sharedHome = join(dir, "home");
    cpSync(home, sharedHome, { recursive: true });
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      OAUTHX_HOME: sharedHome,
      OAUTHX_STORE: `postgres://bench:bench@127.0.0.1:${pg.port}/postgres?sslmode=disable`,
      OAUTHX_AGE_IDENTITY: await generateX25519Identity(),
    };
    const entry = getEntry(await openStore({ home, env: {} }).read(), "github", "default");
    const put = spawnSync(
      join(ROOT, "node_modules/.bin/bun"),
      [join(ROOT, "test/support/shared-store-child.ts"), "put", "github", "default"],
      {
        env,
        input: JSON.stringify(entry),
        encoding: "utf8",
      },
    );
    if (put.status !== 0) throw new Error(`storing the bench login: ${put.stderr}`);
    const medians = medianMs(
      hyperfine({ tool: hyperfineTool, env, dir, passes: 1, runs }, [
        { name: "shared", command: ["env", `OAUTHX_HOME=${sharedHome}`, oauthx, "token", "github"] },
        {
          name: "file",
          command: [
            "env",
            "-u",
            "OAUTHX_STORE",
            "-u",
            "OAUTHX_AGE_IDENTITY",
            `OAUTHX_HOME=${home}`,
            oauthx,
            "token",
            "github",
          ],
        },
      ]),
    );
    const median = (name: string) => medians.get(name) ?? Number.NaN;
    // Both run through `env` (one exec more each), so the two figures compare like with like.
    return { sharedMs: median("shared"), fileMs: median("file") };
  } finally {
    pg.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const [oauthx = join(ROOT, "dist/oauthx")] = process.argv.slice(2);
  const home = mkdtempSync(join(tmpdir(), "oauthx-bench-home-"));
  try {
    await (await import("./warm-store.ts")).seedWarmStore(home);
    const timing = await sharedStoreWarmToken("hyperfine", oauthx, home, 30);
    process.stdout.write(
      `warm token: shared store ${timing.sharedMs.toFixed(1)} ms, file ${timing.fileMs.toFixed(1)} ms (both through \`env\`)\n`,
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
