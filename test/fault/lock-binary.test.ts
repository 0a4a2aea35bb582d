// The store lock as users meet it, through the compiled binary (test/unit/store-lock.test.ts and
// test/integration/store-runtimes.test.ts cover the lock module and the store API): one
// `oauthx token` holds the lock while its refresh waits on a slow token endpoint; others
//   - still read a valid token at once (reads take no lock);
//   - wait, then fail with STORE_LOCKED (exit 8) after OAUTHX_LOCK_TIMEOUT_MS;
//   - take over the lock once the holder is SIGKILLed, and succeed — whether they started before
//     or after the kill;
//   - never take over a live holder's lock from another PID namespace (a container with this
//     host's name and the home directory mounted), where the holder's pid does not exist.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type TokenEntry, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { BIN, run } from "../support/run-node.ts";

/** A new PID namespace with its own /proc, as a container has; killed with its parent. */
const UNSHARE_PID = ["--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--kill-child"];
/** Fails the test with the reason when this machine cannot start a process in a new PID namespace. */
function requireUnsharePid(): void {
  const probe = spawnSync("unshare", [...UNSHARE_PID, "true"], { encoding: "utf8" });
  if (probe.status === 0) return;
  throw new Error(
    `cannot run \`unshare ${UNSHARE_PID.join(" ")}\` here (${probe.error?.message ?? probe.stderr.trim()}): ` +
      "this test needs Linux with util-linux and user namespaces (or root)",
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => Math.floor(Date.now() / 1000);

const entry = (expiresAt: number): TokenEntry => ({
  access_token: `at-${expiresAt}`,
  token_type: "Bearer",
  refresh_token: "rt-lock-test",
  expires_at: expiresAt,
  scopes: [],
  obtained_at: now() - 3600,
});

describe("the store lock, through dist/oauthx", () => {
  let server: Server;
  let root: string;
  let home: string;
  /** How long the token endpoint takes to answer; changed by the tests. */
  let delayMs = 0;
  let issued = 0;
  /** Token requests the server has read, answered or not. */
  let received = 0;
  const children: ChildProcess[] = [];
  const timers = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        received++;
        const answer = () => {
          if (response.destroyed) return;
          issued++;
          response.writeHead(200, { "content-type": "application/json" });
          response.end(
            JSON.stringify({ access_token: `at-new-${issued}`, token_type: "Bearer", expires_in: 3600 }),
          );
        };
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, delayMs);
        timers.add(timer);
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    root = fs.mkdtempSync(join(tmpdir(), "oauthx-fault-lock-"));
    home = join(root, "home");
    fs.mkdirSync(home, { mode: 0o700 });
    fs.writeFileSync(
      join(home, "providers.yaml"),
      [
        "providers:",
        "  slow:",
        "    name: Slow",
        `    authorization_endpoint: ${base}/authorize`,
        `    token_endpoint: ${base}/token`,
        "    client_id: lock-client",
        "",
      ].join("\n"),
    );
  });

  afterEach(() => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
  });

  afterAll(async () => {
    for (const timer of timers) clearTimeout(timer);
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: root,
    OAUTHX_HOME: home,
    NO_COLOR: "1",
    ...extra,
  });

  /** Stores an expired `slow/default` (needs the lock to refresh) and a valid `slow/fresh`. */
  async function seed(): Promise<void> {
    await openStore({ home, env: {}, lockTimeoutMs: 15_000 }).update((document) =>
      withEntry(
        withEntry(document, "slow", "default", entry(now() - 60)),
        "slow",
        "fresh",
        entry(now() + 3600),
      ),
    );
  }

  /** Starts `oauthx token slow` and resolves once it holds the lock (the lock file names its pid). */
  async function holder(): Promise<ChildProcess> {
    delayMs = 60_000;
    const child = spawn(BIN.oauthx, ["token", "slow"], { env: env(), stdio: "ignore" });
    children.push(child);
    const lock = join(home, "tokens.age.lock");
    for (let waited = 0; waited < 10_000; waited += 20) {
      if (fs.existsSync(lock) && fs.readFileSync(lock, "utf8").includes(`"pid":${child.pid}`)) return child;
      await sleep(20);
    }
    throw new Error("the holder never took the lock");
  }

  async function killed(child: ChildProcess): Promise<void> {
    const closed = once(child, "close");
    child.kill("SIGKILL");
    await closed;
  }

  it("a live holder: reads go on, refreshes wait and end in STORE_LOCKED (exit 8) after the timeout", async () => {
    await seed();
    const held = await holder();

    const started = performance.now();
    const read = await run(BIN.oauthx, ["token", "slow", "--profile", "fresh"], { env: env() });
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout.trim()).toMatch(/^at-\d+$/);

    const waiting = performance.now();
    const locked = await run(BIN.oauthx, ["token", "slow", "--json"], {
      env: env({ OAUTHX_LOCK_TIMEOUT_MS: "700" }),
    });
    const waitedMs = performance.now() - waiting;
    expect(locked.code).toBe(8);
    expect(JSON.parse(locked.stderr.trim()).error.code).toBe("STORE_LOCKED");
    expect(locked.stderr).toContain(String(held.pid));
    expect(waitedMs).toBeGreaterThanOrEqual(650);
    // The read did not wait for the lock at all; the refresh waited for it.
    expect(waiting - started).toBeLessThan(waitedMs);
    await killed(held);
  });

  it("a lock left by a SIGKILLed holder is taken over by a waiter already waiting, and by a later run", async () => {
    await seed();
    const held = await holder();
    // A waiter that started while the holder was alive, with the default 10 s lock timeout.
    const waiter = run(BIN.oauthx, ["token", "slow"], { env: env() });
    await sleep(300);
    delayMs = 0;
    const before = issued;
    const killedAt = performance.now();
    await killed(held);
    const result = await waiter;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^at-new-\d+$/);
    // Well before its own timeout: it noticed the dead holder.
    expect(performance.now() - killedAt).toBeLessThan(5_000);
    expect(issued).toBe(before + 1);

    // And a process started after a holder died finds the dead lock and proceeds too.
    await seed();
    const second = await holder();
    await killed(second);
    expect(fs.existsSync(join(home, "tokens.age.lock"))).toBe(true);
    delayMs = 0;
    const later = await run(BIN.oauthx, ["token", "slow"], { env: env({ OAUTHX_LOCK_TIMEOUT_MS: "3000" }) });
    expect(later.code, later.stderr).toBe(0);
    expect(fs.existsSync(join(home, "tokens.age.lock"))).toBe(false);
  });

  it("a run in another PID namespace (a container) never takes over a live holder's lock", async () => {
    requireUnsharePid();
    await seed();
    const receivedBefore = received;
    const held = await holder();
    // The holder's refresh must be waiting at the server before the next answers come at once.
    for (let waited = 0; received === receivedBefore && waited < 10_000; waited += 10) await sleep(10);
    delayMs = 0; // a run that wrongly took the lock over would get its token at once
    const before = issued;
    const inContainer = await run("unshare", [...UNSHARE_PID, BIN.oauthx, "token", "slow", "--json"], {
      env: env({ OAUTHX_LOCK_TIMEOUT_MS: "1000" }),
      timeoutMs: 20_000,
    });
    expect(inContainer.code, inContainer.stderr).toBe(8);
    const { error } = JSON.parse(inContainer.stderr.trim()) as { error: { code: string; message: string } };
    expect(error.code).toBe("STORE_LOCKED");
    expect(error.message).toContain(`process ${held.pid} in another PID namespace (container)`);
    expect(issued).toBe(before);
    expect(fs.readFileSync(join(home, "tokens.age.lock"), "utf8")).toContain(`"pid":${held.pid}`);
    await killed(held);
  });
});
