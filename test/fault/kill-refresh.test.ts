// kill -9 at random moments of refresh-and-write, against a server that rotates refresh tokens and
// revokes the grant when an old one is reused (oidc-provider). Each round expires the stored token,
// starts `dist/oauthx token local`, and SIGKILLs it after a random delay spread over the whole
// refresh (start-up, lock, request, encryption, fsync, rename). After every kill:
//   - the store decrypts and is a well-formed document;
//   - it holds either the old tokens (unchanged) or the new ones (all of them), never a mix;
//   - a lock left by the dead process does not block the next one.
//
// The one unavoidable loss: once the server has rotated the refresh token, the old one is dead;
// if the process dies before its rename, the new one is lost and the user must log in again. The
// test measures that window (server answered → store renamed, on the test's clock, the rename seen
// through inotify) and counts how often a random kill fell into it. OAUTHX_FAULT_KILL_ROUNDS=200
// gives steadier figures.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEntry, type TokenEntry, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { type AuthServer, startAuthServer } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { BIN } from "../support/run-node.ts";

const ROUNDS = Number(process.env.OAUTHX_FAULT_KILL_ROUNDS ?? 25);
/** Stop starting new rounds after this long, whatever ROUNDS says (2 cores, shared machine). */
const BUDGET_MS = 45_000;

interface Answer {
  /** Wall clock, milliseconds with fractions. */
  atMs: number;
  status: number;
}

const wallNowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

describe("kill -9 during refresh-and-write", () => {
  let server: AuthServer;
  let cli: CliHarness;
  const answers: Answer[] = [];

  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 3600, rotateRefreshToken: true });
    // When the server finished a refresh grant: from here on the old refresh token is spent.
    // (An event, because middleware added after startAuthServer would not run: Koa composes it once.)
    server.provider.on("grant.success", (...args: unknown[]) => {
      const ctx = args[0] as { oidc?: { params?: Record<string, unknown> } };
      if (ctx.oidc?.params?.grant_type === "refresh_token") answers.push({ atMs: wallNowMs(), status: 200 });
    });
    cli = cliHarness(server);
    await login();
  });

  afterAll(async () => {
    cli?.cleanup();
    await server?.close();
  });

  /** Grants a new login revoked on purpose: the one it replaced, whose refresh token was lost. */
  let revokedByLogins = 0;
  async function login(): Promise<void> {
    const before = server.counters.grantsRevoked;
    const result = await cli.oauthx(["login", "local", "--timeout", "30s"]);
    if (result.code !== 0) throw new Error(`login failed: ${result.stderr}`);
    revokedByLogins += server.counters.grantsRevoked - before;
  }

  /** Reads the store as a new process would: decrypt and validate, no cache. */
  async function readEntry(): Promise<TokenEntry> {
    const entry = getEntry(await openStore({ home: cli.home, env: {} }).read(), "local", "default");
    if (!entry) throw new Error("the local/default entry is gone");
    return entry;
  }

  async function expire(): Promise<TokenEntry> {
    const document = await openStore({ home: cli.home, env: {}, lockTimeoutMs: 15_000 }).update((current) => {
      const entry = getEntry(current, "local", "default")!;
      return withEntry(current, "local", "default", {
        ...entry,
        expires_at: Math.floor(Date.now() / 1000) - 1,
      });
    });
    return getEntry(document, "local", "default")!;
  }

  /** Waits until the server has seen no new token request for a while. */
  async function settled(): Promise<void> {
    let seen = server.counters.tokenRequests;
    for (let quiet = 0; quiet < 3; ) {
      await sleep(40);
      if (server.counters.tokenRequests === seen) quiet++;
      else {
        seen = server.counters.tokenRequests;
        quiet = 0;
      }
    }
  }

  /** Runs `oauthx token local`; SIGKILLs it after killAfterMs unless it ended first. */
  function tokenRun(
    killAfterMs?: number,
  ): Promise<{ code: number | null; signal: string | null; endedAtMs: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn(BIN.oauthx, ["token", "local"], {
        env: cli.env,
        stdio: ["ignore", "ignore", "pipe"],
      });
      child.stderr.resume();
      const timer =
        killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("error", reject);
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        clearTimeout(guard);
        resolve({ code, signal, endedAtMs: wallNowMs() });
      });
    });
  }

  it("the store is always decryptable and holds the old or the new tokens; the loss window is measured", async () => {
    // Calibration: uninterrupted refreshes give the duration to spread kills over, and the window.
    // Its end is the rename, seen through inotify (file times are too coarse: ext4 stamps them
    // from the jiffy clock); the event loop's latency makes the figure an upper bound.
    const renames: number[] = [];
    const watcher = fs.watch(cli.home, (_event, name) => {
      if (name === "tokens.age") renames.push(wallNowMs());
    });
    const durations: number[] = [];
    const windows: number[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        await expire();
        const answered = answers.length;
        const started = performance.now();
        const result = await tokenRun();
        durations.push(performance.now() - started);
        expect(result.code).toBe(0);
        expect(answers.length).toBe(answered + 1);
        await sleep(20);
        const answeredAt = answers.at(-1)!.atMs;
        const renamedAt = renames.find((at) => at >= answeredAt);
        expect(renamedAt).toBeDefined();
        windows.push(renamedAt! - answeredAt);
      }
    } finally {
      watcher.close();
    }
    const spreadMs = median(durations) * 1.3;

    const began = performance.now();
    const outcomes = { old: 0, new: 0, completed: 0, lost: 0 };
    let rounds = 0;
    for (; rounds < ROUNDS && performance.now() - began < BUDGET_MS; rounds++) {
      const before = await expire();
      const answered = answers.length;
      const killAfter = Math.random() * spreadMs;
      const result = await tokenRun(killAfter);
      // A request that left before the kill is still processed by the server: wait for it, or a
      // rotation that lands after the judgement goes unnoticed (and the next round reuses a dead
      // refresh token, which revokes the grant).
      await settled();
      if (result.signal !== "SIGKILL") expect(result.code).toBe(0);

      // Decryptable and well-formed, whatever the moment of death.
      const after = await readEntry();
      const rotated = answers.slice(answered).some((answer) => answer.status === 200);
      if (isDeepStrictEqual(after, before)) {
        outcomes.old++;
        if (rotated) {
          // Killed after the server rotated, before the rename: the new refresh token is lost.
          outcomes.lost++;
          await login();
        }
      } else {
        // All new: never a new access token with the old refresh token or the reverse.
        expect(after.access_token).not.toBe(before.access_token);
        expect(after.refresh_token).toBeDefined();
        expect(after.refresh_token).not.toBe(before.refresh_token);
        expect(after.expires_at!).toBeGreaterThan(Date.now() / 1000 + 60);
        expect(rotated).toBe(true);
        if (result.signal === "SIGKILL") outcomes.new++;
        else outcomes.completed++;
      }
    }

    // A lock or temp file left by a dead process never blocks the next run, and the grant is alive.
    await expire();
    const last = await tokenRun();
    expect(last.code).toBe(0);
    // No grant was revoked by reuse detection (a spent refresh token presented again).
    expect(server.counters.grantsRevoked - revokedByLogins).toBe(0);

    const report = {
      rounds,
      ...outcomes,
      refreshMedianMs: Math.round(median(durations)),
      lossWindowMedianMs: Number(median(windows).toFixed(2)),
      lossWindowMaxMs: Number(Math.max(...windows).toFixed(2)),
      // The window as the kills saw it: it opens when the request leaves (the server rotates even
      // if the client is dead by the time it answers), so it is wider than answered → renamed.
      effectiveWindowMs: Number(((outcomes.lost / rounds) * spreadMs).toFixed(1)),
    };
    // Reported for README "Reliability": how long a rotated refresh token exists only in memory.
    console.log(`kill -9 rounds: ${JSON.stringify(report)}`);
    expect(rounds).toBeGreaterThanOrEqual(Math.min(ROUNDS, 10));
    expect(outcomes.old + outcomes.new + outcomes.completed).toBe(rounds);
    for (const window of windows) expect(window).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
