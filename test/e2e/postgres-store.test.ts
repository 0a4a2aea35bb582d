// The shared store on a real PostgreSQL (docs/shared-store.md), through the compiled binary: three
// "machines" (each its own OAUTHX_HOME, HOME and age identity; the rows sealed to all three) share
// one store on a private server this file starts (test/support/postgres-server.ts), reached as a
// role holding only the documented privileges, against oidc-provider rotating refresh tokens with
// reuse detection.

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from "node:net";
import { join } from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CREATE_TABLE_SQL } from "../../src/store/postgres/schema.ts";
import {
  type AuthServer,
  localProviderYaml,
  NATIVE_CLIENT_ID,
  startAuthServer,
} from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { type PostgresServer, startPostgres } from "../support/postgres-server.ts";
import { BIN, type Ran, ROOT, run } from "../support/run-node.ts";

const PASSWORD = "pg:pa ss/w@rd#1";
const ROLE = "oauthx_app";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A TCP path to the server that goes silent once the session is ready (after the first
 * ReadyForQuery, 'Z' of length 5): a network that drops every packet after the connection was
 * made, which the server's own statement_timeout cannot bound.
 */
async function silentAfterConnecting(port: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const proxy = createTcpServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    let silent = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
    }
    upstream.on("data", (chunk: Buffer) => {
      if (silent) return;
      client.write(chunk);
      if (chunk.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) silent = true;
    });
    client.on("data", (chunk: Buffer) => {
      if (!silent) upstream.write(chunk);
    });
  });
  proxy.listen(0, "127.0.0.1");
  await once(proxy, "listening");
  return {
    port: (proxy.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

/** The documented grants (docs/shared-store.md "The role"), in a database of their own. */
function prepareDatabase(pg: PostgresServer, database: string): void {
  if (database !== "postgres") pg.psql(`CREATE DATABASE ${database};`);
  pg.psql(`${CREATE_TABLE_SQL}\nGRANT SELECT, INSERT, UPDATE, DELETE ON oauthx_logins TO ${ROLE};`, database);
}

describe("the token store on PostgreSQL, three machines, dist/oauthx", () => {
  let pg: PostgresServer;
  let server: AuthServer;
  let slow: Server;
  /** Token requests the slow endpoint received, and answered. */
  let slowReceived = 0;
  let slowAnswered = 0;
  let hanging = 0;
  let delayed: Server;
  let delayedBase = "";
  let delayedReceived = 0;
  const machines: CliHarness[] = [];
  const identities: string[] = [];
  const children: ChildProcess[] = [];
  /** Every token the tests saw: none may be in the database dump. */
  const seenTokens = new Set<string>();
  let storeUrl: (database?: string) => string;

  beforeAll(async () => {
    pg = await startPostgres();
    pg.psql(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}';`);
    prepareDatabase(pg, "postgres");
    prepareDatabase(pg, "ci");
    prepareDatabase(pg, "slow");
    prepareDatabase(pg, "reseed");
    prepareDatabase(pg, "hang");
    prepareDatabase(pg, "swap");
    prepareDatabase(pg, "race");
    prepareDatabase(pg, "reseal");
    storeUrl = (database = "postgres") =>
      `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${pg.port}/${database}?sslmode=disable`;
    server = await startAuthServer({ accessTokenTtl: 3600, rotateRefreshToken: true });

    // A token endpoint that never answers its first request (the lock holder's) and answers the
    // others at once, for the kill -9 test: nothing the killed holder sent was spent.
    slow = createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      request.on("end", () => {
        // A holder that hangs: its refresh token says so, and it is never answered.
        if (body.includes("hang")) return void hanging++;
        slowReceived++;
        if (slowReceived === 1) return;
        slowAnswered++;
        response.writeHead(200, { "content-type": "application/json" });
        response.end(
          JSON.stringify({ access_token: `at-slow-${slowAnswered}`, token_type: "Bearer", expires_in: 3600 }),
        );
      });
    });
    slow.listen(0, "127.0.0.1");
    await once(slow, "listening");
    const slowBase = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    // A token endpoint that takes 1.5 s to rotate rt-1 into rt-2: a refresh with a window to race.
    delayed = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        delayedReceived++;
        setTimeout(() => {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(
            JSON.stringify({
              access_token: "at-delayed-2",
              refresh_token: "rt-2",
              token_type: "Bearer",
              expires_in: 3600,
            }),
          );
        }, 1500);
      });
    });
    delayed.listen(0, "127.0.0.1");
    await once(delayed, "listening");
    delayedBase = `http://127.0.0.1:${(delayed.address() as AddressInfo).port}`;
    const yaml =
      `${localProviderYaml(server)}  slow:\n    name: Slow\n    authorization_endpoint: ${slowBase}/authorize\n    token_endpoint: ${slowBase}/token\n    client_id: slow-client\n` +
      `  delayed:\n    name: Delayed\n    authorization_endpoint: ${delayedBase}/authorize\n    token_endpoint: ${delayedBase}/token\n    client_id: delayed-client\n`;

    for (let i = 0; i < 3; i++) identities.push(await generateX25519Identity());
    const recipients = await Promise.all(identities.map((identity) => identityToRecipient(identity)));
    for (let i = 0; i < 3; i++) {
      const machine = cliHarness(server, { providerYaml: yaml });
      Object.assign(machine.env, {
        OAUTHX_STORE: storeUrl(),
        OAUTHX_AGE_IDENTITY: identities[i],
        OAUTHX_STORE_RECIPIENTS: recipients.filter((_, j) => j !== i).join(" "),
        OAUTHX_CI_CACHE_DIR: `${machine.home}/../ci-cache`,
      });
      machines.push(machine);
    }
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    for (const machine of machines) machine.cleanup();
    slow?.closeAllConnections();
    await new Promise((resolve) => slow?.close(resolve));
    delayed?.closeAllConnections();
    await new Promise((resolve) => delayed?.close(resolve));
    await server?.close();
    pg?.close();
  });

  /** Acts on the store as a test's hands (test/support/shared-store-child.ts, under Bun). */
  async function storeChild(
    machine: CliHarness,
    args: string[],
    env: Record<string, string> = {},
  ): Promise<string> {
    const result = await run(BIN.bun, [`${ROOT}/test/support/shared-store-child.ts`, ...args], {
      env: { ...machine.env, ...env },
    });
    if (result.code !== 0) throw new Error(`shared-store-child ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  }

  const tokenOf = (ran: Ran) => {
    const token = ran.stdout.trim();
    if (token) seenTokens.add(token);
    return token;
  };

  it("3 machines × 8 processes on an expired rotating token: exactly one refresh, nothing revoked", async () => {
    const login = await machines[0]!.oauthx(["login", "local", "--timeout", "30s"]);
    expect(login.code, login.stderr).toBe(0);
    // Each machine opens the row with its own key.
    for (const machine of machines) {
      const ran = await machine.oauthx(["token", "local"]);
      expect(ran.code, ran.stderr).toBe(0);
      tokenOf(ran);
    }
    const before = JSON.parse(await storeChild(machines[0]!, ["show", "local", "default"]));
    seenTokens.add(before.refresh_token);
    await storeChild(machines[0]!, ["expire", "local", "default"]);

    const refreshes = server.counters.refreshRequests;
    const revoked = server.counters.grantsRevoked;
    const runs = await Promise.all(
      machines.flatMap((machine) => Array.from({ length: 8 }, () => machine.oauthx(["token", "local"]))),
    );
    for (const ran of runs) expect(ran.code, ran.stderr).toBe(0);
    const tokens = new Set(runs.map(tokenOf));
    expect(tokens.size).toBe(1);
    expect(tokens.has(before.access_token)).toBe(false);
    expect(server.counters.refreshRequests - refreshes).toBe(1);
    expect(server.counters.grantsRevoked - revoked).toBe(0);

    const after = JSON.parse(await storeChild(machines[1]!, ["show", "local", "default"]));
    seenTokens.add(after.refresh_token);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    // The newest refresh token still works: the grant is alive.
    await storeChild(machines[2]!, ["expire", "local", "default"]);
    const again = await machines[2]!.oauthx(["token", "local"]);
    expect(again.code, again.stderr).toBe(0);
    expect(server.counters.grantsRevoked - revoked).toBe(0);
    tokenOf(again);
  }, 180_000);

  it("kill -9 of the process holding the lock mid-refresh: the others proceed", async () => {
    const slowEnv = (i: number) => ({
      ...machines[i]!.env,
      OAUTHX_STORE: storeUrl("slow"),
      OAUTHX_SLOW_REFRESH_TOKEN: "rt-slow-seed",
    });
    const holder = spawn(BIN.oauthx, ["token", "slow"], { env: slowEnv(0), stdio: "ignore" });
    children.push(holder);
    for (let waited = 0; slowReceived === 0; waited += 20) {
      if (waited > 20_000) throw new Error("the first refresh never reached the token endpoint");
      await sleep(20);
    }
    // The holder's request hangs at the token endpoint, under the lock; three machines wait for it.
    const waiting = [0, 1, 2].map((i) => run(BIN.oauthx, ["token", "slow"], { env: slowEnv(i) }));
    for (let waited = 0; ; waited += 50) {
      const blocked = Number(
        pg.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted;", "slow"),
      );
      if (blocked === 3) break;
      if (waited > 20_000) throw new Error(`${blocked} processes wait for the lock, not 3`);
      await sleep(50);
    }
    holder.kill("SIGKILL");
    const runs = await Promise.all(waiting);
    for (const ran of runs) expect(ran.code, ran.stderr).toBe(0);
    expect(new Set(runs.map((ran) => ran.stdout.trim()))).toEqual(new Set(["at-slow-1"]));
    expect(slowReceived).toBe(2);
  }, 60_000);

  it("a holder that hangs cannot wedge the others: they give up after the lock timeout", async () => {
    const hangEnv = (i: number, more: Record<string, string> = {}) => ({
      ...machines[i]!.env,
      OAUTHX_STORE: storeUrl("hang"),
      OAUTHX_SLOW_REFRESH_TOKEN: "rt-hang-seed",
      ...more,
    });
    const holder = spawn(BIN.oauthx, ["token", "slow"], { env: hangEnv(0), stdio: "ignore" });
    children.push(holder);
    try {
      for (let waited = 0; hanging === 0; waited += 20) {
        if (waited > 20_000) throw new Error("the hanging refresh never reached the token endpoint");
        await sleep(20);
      }
      const started = performance.now();
      const waiter = await run(BIN.oauthx, ["token", "slow"], {
        env: hangEnv(1, { OAUTHX_LOCK_TIMEOUT_MS: "1500" }),
      });
      const tookMs = performance.now() - started;
      expect(waiter.code).toBe(8);
      expect(waiter.stderr).toContain("STORE_LOCKED");
      expect(waiter.stderr).toContain(`127.0.0.1:${pg.port}/hang`);
      expect(tookMs).toBeGreaterThan(1400);
      expect(tookMs).toBeLessThan(6_000);
    } finally {
      holder.kill("SIGKILL");
    }
  }, 60_000);

  it("two CI jobs on different runners, seeded with the same value, share its successors: no revocation", async () => {
    // The seed: a refresh token exported from a workstation's own login (file store), never used there again.
    const workstation = cliHarness(server);
    try {
      expect((await workstation.oauthx(["login", "local", "--timeout", "30s"])).code).toBe(0);
      const exported = await workstation.oauthx(["export", "local", "--refresh-token"]);
      expect(exported.code, exported.stderr).toBe(0);
      const seed = exported.stdout.trim();
      seenTokens.add(seed);
      // Two runners: their own homes and caches; the CI key and the seed are the pipeline's secrets.
      const job = (i: number) => (args: string[]) =>
        machines[i]!.oauthx(args, {
          env: {
            OAUTHX_STORE: storeUrl("ci"),
            OAUTHX_LOCAL_REFRESH_TOKEN: seed,
            OAUTHX_AGE_IDENTITY: identities[0],
            OAUTHX_STORE_RECIPIENTS: "",
          },
        });
      const refreshes = server.counters.refreshRequests;
      const revoked = server.counters.grantsRevoked;
      const first = await Promise.all([job(0)(["token", "local"]), job(1)(["token", "local"])]);
      for (const ran of first) expect(ran.code, ran.stderr).toBe(0);
      expect(new Set(first.map(tokenOf)).size).toBe(1);
      expect(server.counters.refreshRequests - refreshes).toBe(1);
      // The rotation hook is optional with a shared store: no warning that the seed is spent.
      for (const ran of first) expect(ran.stderr).not.toMatch(/OAUTHX_ON_ROTATE/);

      // A later run on either runner, seeded with the same (now spent) value, uses the successor.
      await storeChild(machines[0]!, ["expire", "local", "default"], {
        OAUTHX_STORE: storeUrl("ci"),
        OAUTHX_AGE_IDENTITY: identities[0]!,
      });
      const second = await job(1)(["token", "local"]);
      expect(second.code, second.stderr).toBe(0);
      const third = await job(0)(["token", "local"]);
      expect(third.code, third.stderr).toBe(0);
      expect(tokenOf(third)).toBe(tokenOf(second));
      expect(server.counters.refreshRequests - refreshes).toBe(2);
      expect(server.counters.grantsRevoked - revoked).toBe(0);
      const stored = JSON.parse(
        await storeChild(machines[0]!, ["show", "local", "default"], {
          OAUTHX_STORE: storeUrl("ci"),
          OAUTHX_AGE_IDENTITY: identities[0]!,
        }),
      );
      seenTokens.add(stored.refresh_token);
      expect(stored.refresh_token).not.toBe(seed);
    } finally {
      workstation.cleanup();
    }
  }, 180_000);

  it("a dead grant is re-seeded by a new seed, never by the seed the row started from", async () => {
    const workstation = cliHarness(server);
    const ci = {
      OAUTHX_STORE: storeUrl("reseed"),
      OAUTHX_AGE_IDENTITY: identities[0]!,
      OAUTHX_STORE_RECIPIENTS: "",
    };
    const exportSeed = async () => {
      expect((await workstation.oauthx(["login", "local", "--timeout", "30s"])).code).toBe(0);
      const exported = await workstation.oauthx(["export", "local", "--refresh-token"]);
      expect(exported.code, exported.stderr).toBe(0);
      seenTokens.add(exported.stdout.trim());
      return exported.stdout.trim();
    };
    const job = (seed: string) =>
      machines[1]!.oauthx(["token", "local"], { env: { ...ci, OAUTHX_LOCAL_REFRESH_TOKEN: seed } });
    try {
      const first = await exportSeed();
      expect((await job(first)).code).toBe(0);
      // The grant dies at the server (revoked by an administrator, or expired).
      const stored = JSON.parse(await storeChild(machines[0]!, ["show", "local", "default"], ci));
      const revoked = await fetch(server.endpoints.revocation_endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: stored.refresh_token, client_id: NATIVE_CLIENT_ID }),
      });
      expect(revoked.status).toBe(200);
      await storeChild(machines[0]!, ["expire", "local", "default"], ci);

      const refreshes = server.counters.refreshRequests;
      const sameSeed = await job(first);
      expect(sameSeed.code).toBe(6);
      expect(sameSeed.stderr).toContain("REFRESH_REJECTED");
      // Only the stored refresh token was tried: the spent seed is not presented again.
      expect(server.counters.refreshRequests - refreshes).toBe(1);

      const second = await exportSeed();
      const reseeded = await job(second);
      expect(reseeded.code, reseeded.stderr).toBe(0);
      tokenOf(reseeded);
      const after = JSON.parse(await storeChild(machines[0]!, ["show", "local", "default"], ci));
      seenTokens.add(after.refresh_token);
      expect(after.refresh_token).not.toBe(second);
      // Later jobs with the new seed use its successor from the store.
      expect((await job(second)).stdout).toBe(reseeded.stdout);
    } finally {
      workstation.cleanup();
    }
  }, 120_000);

  it("the server stopped: a clear error within ~10 s naming the host, never the password; restarted: all there", async () => {
    const before = await machines[1]!.oauthx(["token", "local"]);
    expect(before.code, before.stderr).toBe(0);
    pg.stop();
    try {
      const started = performance.now();
      const down = await machines[1]!.oauthx(["token", "local"]);
      expect(performance.now() - started).toBeLessThan(12_000);
      expect(down.code).toBe(8);
      expect(down.stderr).toContain(`127.0.0.1:${pg.port}/postgres`);
      expect(down.stderr).toContain("STORE_UNREACHABLE");
      for (const text of [down.stderr, down.stdout]) {
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(encodeURIComponent(PASSWORD));
      }
    } finally {
      pg.start();
    }
    const after = await machines[2]!.oauthx(["token", "local"]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toBe(before.stdout);
    const status = await machines[0]!.oauthx(["status"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("local");
  }, 60_000);

  it("the library takes the store as an option under Bun; under Node and Deno a typed error says it needs Bun", async () => {
    const script = [
      `import { TokenManager } from ${JSON.stringify(`${ROOT}/src/sdk.ts`)};`,
      "const { OAUTHX_STORE: url, ...env } = process.env;",
      'const manager = new TokenManager({ provider: "local", store: url, env });',
      "try { console.log(await manager.getToken()); } catch (error) { console.log(error.code + ': ' + error.message); }",
    ].join("\n");
    const expected = await machines[0]!.oauthx(["token", "local"]);
    const underBun = await run(BIN.bun, ["-e", script], { env: machines[1]!.env, timeoutMs: 20_000 });
    expect(underBun.code, underBun.stderr).toBe(0);
    expect(underBun.stdout).toBe(expected.stdout);
    const underNode = await run(BIN.node, ["--input-type=module", "-e", script], {
      env: machines[1]!.env,
      timeoutMs: 20_000,
    });
    expect(underNode.stdout).toMatch(
      /^CONFIG_INVALID: the PostgreSQL store \(OAUTHX_STORE\) needs the oauthx binary \(Bun\)/,
    );
    // The CLI from source under Deno: the same typed error, exit 3, and nothing else tried.
    const underDeno = await run(BIN.deno, ["run", "-A", `${ROOT}/src/main.ts`, "token", "local"], {
      env: machines[1]!.env,
      timeoutMs: 60_000,
    });
    expect(underDeno.code).toBe(3);
    expect(underDeno.stderr).toContain("the PostgreSQL store (OAUTHX_STORE) needs the oauthx binary (Bun)");
    expect(underDeno.stderr).not.toContain(PASSWORD);
  });

  it("the table is created on first use by a role that may, and named to an administrator otherwise", async () => {
    pg.psql("CREATE DATABASE fresh;");
    const fresh = { OAUTHX_STORE: storeUrl("fresh") };
    const refused = await machines[0]!.oauthx(["status"], { env: fresh });
    expect(refused.code).toBe(8);
    expect(refused.stderr).toContain("has no table oauthx_logins, and this role may not create it");
    pg.psql(`GRANT CREATE ON SCHEMA public TO ${ROLE};`, "fresh");
    const created = await machines[0]!.oauthx(["status"], { env: fresh });
    expect(created.code, created.stderr).toBe(0);
    expect(pg.psql("SELECT obj_description('oauthx_logins'::regclass, 'pg_class');", "fresh").trim()).toBe(
      "oauthx store schema 1",
    );
  });

  it("the password may come from PGPASSWORD or ~/.pgpass; sslmode is honoured", async () => {
    const bare = `postgres://${ROLE}@127.0.0.1:${pg.port}/postgres`;
    const expected = (await machines[0]!.oauthx(["token", "local"])).stdout;
    const fromEnv = await machines[0]!.oauthx(["token", "local"], {
      env: { OAUTHX_STORE: bare, PGPASSWORD: PASSWORD },
    });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(fromEnv.stdout).toBe(expected);
    const pgpass = join(machines[0]!.home, "..", "pgpass");
    writeFileSync(pgpass, `127.0.0.1:${pg.port}:postgres:${ROLE}:${PASSWORD.replaceAll(":", "\\:")}\n`, {
      mode: 0o600,
    });
    const fromFile = await machines[0]!.oauthx(["token", "local"], {
      env: { OAUTHX_STORE: bare, PGPASSFILE: pgpass },
    });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toBe(expected);
    // This server has no TLS: sslmode=require must refuse rather than fall back to plaintext.
    const tls = await machines[0]!.oauthx(["token", "local"], {
      env: { OAUTHX_STORE: `${bare}?sslmode=require`, PGPASSWORD: PASSWORD },
    });
    expect(tls.code).toBe(8);
    expect(tls.stderr).toContain(
      `cannot reach the PostgreSQL store at 127.0.0.1:${pg.port}/postgres over TLS`,
    );
    expect(tls.stderr).not.toContain(PASSWORD);
  });

  it("a machine whose key is not a recipient cannot open the row, and changes nothing", async () => {
    const before = pg.psql(
      "SELECT version, encode(sealed, 'hex') FROM oauthx_logins WHERE provider = 'local';",
    );
    const stranger = await machines[0]!.oauthx(["token", "local"], {
      env: { OAUTHX_AGE_IDENTITY: await generateX25519Identity() },
    });
    expect(stranger.code).toBe(8);
    expect(stranger.stderr).toContain("DECRYPT_FAILED");
    // The usual cause: this machine's key was not in OAUTHX_STORE_RECIPIENTS where the row was made.
    expect(stranger.stderr).toContain("is not sealed to this machine's key");
    expect(stranger.stderr).toContain("OAUTHX_STORE_RECIPIENTS, then run `oauthx refresh <provider>` there");
    expect(stranger.stdout).toBe("");
    expect(
      pg.psql("SELECT version, encode(sealed, 'hex') FROM oauthx_logins WHERE provider = 'local';"),
    ).toBe(before);
  });

  it("a machine is added by naming its key in OAUTHX_STORE_RECIPIENTS and refreshing, and removed likewise: one grant throughout", async () => {
    // Before: a rewrite kept the row's age header, so the recipients were those of the row's first
    // write, and adding a machine took a logout (a revoked grant) and a new login.
    const env = { OAUTHX_STORE: storeUrl("reseal") };
    const [a, b] = [machines[0]!, machines[1]!];
    const login = await a.oauthx(["login", "local", "--timeout", "30s"], { env });
    expect(login.code, login.stderr).toBe(0);
    const baseline = { ...server.counters };
    const newcomer = await generateX25519Identity();
    const newcomerKey = await identityToRecipient(newcomer);
    identities.push(newcomer); // the dump test looks for it too
    const asNewcomer = { ...env, OAUTHX_AGE_IDENTITY: newcomer };
    const sealedRow = () =>
      pg.psql("SELECT encode(sealed, 'hex') FROM oauthx_logins WHERE provider = 'local';", "reseal");

    const refused = await b.oauthx(["token", "local"], { env: asNewcomer });
    expect(refused.code).toBe(8);
    expect(refused.stderr).toContain("is not sealed to this machine's key");
    expect(refused.stdout).toBe("");

    // Machine A names the newcomer's key (its list holds B's and C's already) and writes once.
    const added = `${a.env.OAUTHX_STORE_RECIPIENTS} ${newcomerKey}`;
    const refresh = await a.oauthx(["refresh", "local"], { env: { ...env, OAUTHX_STORE_RECIPIENTS: added } });
    expect(refresh.code, refresh.stderr).toBe(0);
    const aToken = tokenOf(await a.oauthx(["token", "local"], { env }));
    const welcomed = await b.oauthx(["token", "local"], { env: asNewcomer });
    expect(welcomed.code, welcomed.stderr).toBe(0);
    expect(tokenOf(welcomed)).toBe(aToken);
    // The machines it had stay recipients.
    expect(tokenOf(await b.oauthx(["token", "local"], { env }))).toBe(aToken);

    // Unchanged recipients: a rewrite keeps the row's age header (its first bytes, up to the payload).
    const headerOf = (hex: string) => hex.slice(0, hex.indexOf(Buffer.from("\n---").toString("hex")));
    const kept = headerOf(sealedRow());
    const again = await a.oauthx(["refresh", "local"], { env: { ...env, OAUTHX_STORE_RECIPIENTS: added } });
    expect(again.code, again.stderr).toBe(0);
    expect(headerOf(sealedRow())).toBe(kept);

    // Removing: A's list without the newcomer, one write; the newcomer is refused again.
    const removed = await a.oauthx(["refresh", "local"], { env });
    expect(removed.code, removed.stderr).toBe(0);
    expect(headerOf(sealedRow())).not.toBe(kept);
    const gone = await b.oauthx(["token", "local"], { env: asNewcomer });
    expect(gone.code).toBe(8);
    expect(gone.stderr).toContain("is not sealed to this machine's key");
    expect(gone.stdout).toBe("");
    expect((await b.oauthx(["token", "local"], { env })).code).toBe(0);

    // No new login, nothing revoked: the same grant was refreshed each time.
    expect(server.counters.grantsRevoked).toBe(baseline.grantsRevoked);
    expect(server.counters.revocations).toBe(baseline.revocations);
  });

  it("a login's sealed tokens moved into another login's row are refused, not handed out", async () => {
    // Who may write the table can move sealed bytes between rows (the key columns are in the clear,
    // and age authenticates no writer); each row's plaintext names its login, so a move is caught.
    const env = { OAUTHX_STORE: storeUrl("swap") };
    for (const profile of ["default", "work"]) {
      const login = await machines[0]!.oauthx(["login", "local", "--profile", profile, "--timeout", "30s"], {
        env,
      });
      expect(login.code, login.stderr).toBe(0);
    }
    const personal = await machines[0]!.oauthx(["token", "local"], { env });
    expect(personal.code, personal.stderr).toBe(0);
    seenTokens.add(personal.stdout.trim());
    pg.psql(
      "UPDATE oauthx_logins SET sealed = (SELECT sealed FROM oauthx_logins WHERE provider = 'local' AND profile = 'default') WHERE provider = 'local' AND profile = 'work';",
      "swap",
    );
    const moved = await machines[1]!.oauthx(["token", "local", "--profile", "work"], { env });
    expect(moved.stdout).toBe("");
    expect(moved.code).not.toBe(0);
    expect(moved.stderr).toContain("STORE_CORRUPT");
    expect(moved.stderr).toContain("local/work");
    // The row that was not touched still serves its own login.
    const still = await machines[1]!.oauthx(["token", "local"], { env });
    expect(still.stdout.trim()).toBe(personal.stdout.trim());
  });

  it("a server that goes silent after connecting: the command fails within its bound, not TCP's", async () => {
    const silent = await silentAfterConnecting(pg.port);
    try {
      const started = Date.now();
      // OAUTHX_LOCK_TIMEOUT_MS 1 s: statement_timeout 11 s, so each query's own bound is 16 s.
      const ran = await run(BIN.oauthx, ["token", "local"], {
        env: {
          ...machines[0]!.env,
          OAUTHX_STORE: `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${silent.port}/postgres?sslmode=disable`,
          OAUTHX_LOCK_TIMEOUT_MS: "1000",
        },
        timeoutMs: 45_000,
      });
      const took = Date.now() - started;
      expect(ran.stderr).toContain("STORE_UNREACHABLE");
      expect(ran.stderr).toContain(`127.0.0.1:${silent.port}/postgres did not answer within 16 s`);
      expect(ran.stderr).not.toContain(PASSWORD);
      expect(ran.code).toBe(8);
      expect(took).toBeLessThan(25_000);
    } finally {
      await silent.close();
    }
  }, 60_000);

  it("export (a command about no one login) on another machine during a refresh does not lose the rotated token", async () => {
    const env = { OAUTHX_STORE: storeUrl("race") };
    const put = await run(
      BIN.bun,
      [`${ROOT}/test/support/shared-store-child.ts`, "put", "delayed", "default"],
      {
        env: { ...machines[0]!.env, ...env },
        input: JSON.stringify({
          access_token: "at-delayed-1",
          token_type: "Bearer",
          refresh_token: "rt-1",
          expires_at: 1,
          obtained_at: 0,
          scopes: [],
          origins: [delayedBase],
        }),
      },
    );
    expect(put.code, put.stderr).toBe(0);
    const received = delayedReceived;
    const refreshing = machines[0]!.oauthx(["token", "delayed"], { env });
    while (delayedReceived === received) await sleep(20);
    // The refresh is on the wire (rt-1 is spent at the server): another machine exports meanwhile.
    const exported = await machines[1]!.oauthx(["export", "delayed", "--refresh-token"], { env });
    expect(exported.code, exported.stderr).toBe(0);
    const refreshed = await refreshing;
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stdout.trim()).toBe("at-delayed-2");
    const row = JSON.parse(await storeChild(machines[2]!, ["show", "delayed", "default"], env));
    expect(row.refresh_token).toBe("rt-2");
  });

  it("a wrong password is refused by name of host, without the password", async () => {
    const wrong = `postgres://${ROLE}:${encodeURIComponent("not-the-password")}@127.0.0.1:${pg.port}/postgres`;
    const ran = await machines[0]!.oauthx(["token", "local"], { env: { OAUTHX_STORE: wrong } });
    expect(ran.code).toBe(8);
    expect(ran.stderr).toContain("STORE_PERMISSIONS");
    expect(ran.stderr).toContain(`127.0.0.1:${pg.port}`);
    expect(ran.stderr).not.toContain("not-the-password");
  });

  it("doctor checks the store's reachability, schema and privileges", async () => {
    const ran = await machines[0]!.oauthx(["doctor"]);
    expect(ran.stdout).toMatch(/shared store.*127\.0\.0\.1.*schema 1.*SELECT, INSERT, UPDATE, DELETE/);
    pg.psql(`REVOKE DELETE ON oauthx_logins FROM ${ROLE};`);
    try {
      const lacking = await machines[0]!.oauthx(["doctor"]);
      expect(lacking.code).not.toBe(0);
      expect(lacking.stdout + lacking.stderr).toMatch(/lacks DELETE/);
    } finally {
      pg.psql(`GRANT DELETE ON oauthx_logins TO ${ROLE};`);
    }
  });

  it("a dump of the database contains no token and no identity", () => {
    expect(seenTokens.size).toBeGreaterThan(4);
    for (const database of ["postgres", "ci", "reseed", "reseal"]) {
      const dump = pg.dump(database);
      expect(dump).toMatch(/\nlocal\tdefault\t\d+\t\d+\t\\\\x[0-9a-f]+\t/);
      for (const token of seenTokens) {
        expect(dump).not.toContain(token);
        // bytea is dumped as hex: a token stored in the clear would show so.
        expect(dump).not.toContain(Buffer.from(token).toString("hex"));
      }
      for (const identity of identities) expect(dump).not.toContain(identity);
    }
  });
  it("logout on one machine logs every machine out: the row is deleted", async () => {
    const out = await machines[2]!.oauthx(["logout", "local"]);
    expect(out.code, out.stderr).toBe(0);
    expect(pg.psql("SELECT count(*) FROM oauthx_logins WHERE provider = 'local';").trim()).toBe("0");
    const gone = await machines[0]!.oauthx(["token", "local"]);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain("AUTH_REQUIRED");
  });
});
