// A CI job as pipelines run them, on the compiled binary: one seeded refresh token
// (OAUTHX_LOCAL_REFRESH_TOKEN) and many oauthx calls — `token` in one step, `exec` in the next,
// `api` in a matrix of scripts, some at the same time — against oidc-provider configured as real
// deployments are: access tokens of 5 minutes (and of 4 seconds, to see expiry), refresh tokens
// rotated on every use, and reuse detection that revokes the whole grant when a spent refresh
// token comes back. Every call shares the job's cache (OAUTHX_CI_CACHE_DIR, a temp dir here).

import { spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, startAuthServer, userinfoStatus } from "../support/auth-server.ts";
import { cliHarness } from "../support/cli-harness.ts";
import { BIN, type Ran, run } from "../support/run-node.ts";

interface Job {
  /** Runs `oauthx …` as a step of the job. */
  oauthx(args: string[], env?: Record<string, string>): Promise<Ran>;
  /** The environment of a step, for a test that starts the binary itself. */
  env(more?: Record<string, string>): Record<string, string | undefined>;
  cacheDir: string;
  home: string;
  /** The file the default hook appends every rotated refresh token to. */
  hookLog: string;
  rotated(): string[];
}

/** Seeds CI from a "workstation" (`oauthx seed`), and returns a CI job seeded with it. */
async function seededJob(server: AuthServer, root: string, name: string): Promise<Job & { seed: string }> {
  const workstation = cliHarness(server);
  try {
    const seeded = await workstation.oauthx(["seed", "local", "--timeout", "30s"]);
    expect(seeded.code, seeded.stderr).toBe(0);
    const seed = seeded.stdout.trim();
    const jobRoot = join(root, name);
    const home = join(jobRoot, "home");
    const cacheDir = join(jobRoot, "runner-temp");
    mkdirSync(home, { recursive: true, mode: 0o700 });
    mkdirSync(cacheDir, { recursive: true });
    // The job brings only the (checked-in) providers file.
    writeFileSync(join(home, "providers.yaml"), readFileSync(join(workstation.home, "providers.yaml")));
    const hookLog = join(jobRoot, "rotated.log");
    writeFileSync(hookLog, "");
    const env = (more: Record<string, string> = {}) => ({
      PATH: process.env.PATH,
      HOME: jobRoot,
      OAUTHX_HOME: home,
      OAUTHX_CI_CACHE_DIR: cacheDir,
      OAUTHX_LOCAL_REFRESH_TOKEN: `${seed}\n`, // as secrets often carry a trailing newline
      OAUTHX_ON_ROTATE: `cat >> "${hookLog}"`,
      ...more,
    });
    return {
      seed,
      cacheDir,
      home,
      hookLog,
      env,
      rotated: () => readFileSync(hookLog, "utf8").split("\n").filter(Boolean),
      oauthx: (args, more = {}) => run(BIN.oauthx, args, { env: env(more) }),
    };
  } finally {
    workstation.cleanup();
  }
}

/** The access token a call handed out: `token` prints it, the `exec` child below prints it too. */
const printed = (result: Ran) => result.stdout.trim();

describe("CI job, 5-minute tokens, rotation with reuse detection", () => {
  let server: AuthServer;
  let root: string;

  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 300, rotateRefreshToken: true });
    root = mkdtempSync(join(tmpdir(), "oauthx-ci-job-"));
  });
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("5 calls in a row (token, exec, api, token, status) make one refresh; every token works", async () => {
    const job = await seededJob(server, root, "sequential");
    const refreshes = server.counters.refreshRequests;
    const revoked = server.counters.grantsRevoked;

    const first = await job.oauthx(["token", "local"]);
    expect(first.code, first.stderr).toBe(0);
    const exec = await job.oauthx(["exec", "local", "--", "sh", "-c", 'printf %s "$LOCAL_TOKEN"']);
    expect(exec.code, exec.stderr).toBe(0);
    const api = await job.oauthx(["api", "local", "/me"]);
    expect(api.code, api.stderr).toBe(0);
    expect(JSON.parse(api.stdout)).toMatchObject({ sub: "alice" });
    const again = await job.oauthx(["token", "local"]);
    const last = await job.oauthx(["token", "local", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(last.code, last.stderr).toBe(0);

    expect(server.counters.refreshRequests - refreshes).toBe(1);
    expect(server.counters.grantsRevoked - revoked).toBe(0);
    const tokens = new Set([
      printed(first),
      printed(exec),
      printed(again),
      JSON.parse(last.stdout).access_token,
    ]);
    expect(tokens.size).toBe(1);
    expect(await userinfoStatus(server, printed(first))).toBe(200);
    // The one rotation reached the hook; nothing was written under OAUTHX_HOME.
    expect(job.rotated()).toHaveLength(1);
    expect(job.rotated()[0]).not.toBe(job.seed);
    expect(readdirSync(job.home)).toEqual(["providers.yaml"]);
    // Only the first call said the seed was spent... and with a hook configured, none warns.
    expect(first.stderr).not.toContain("warning");
  });

  it("8 concurrent calls make one refresh, and all get the same working token", async () => {
    const job = await seededJob(server, root, "concurrent");
    const refreshes = server.counters.refreshRequests;
    const revoked = server.counters.grantsRevoked;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        index % 2 === 0
          ? job.oauthx(["token", "local"])
          : job.oauthx(["exec", "local", "--", "sh", "-c", 'printf %s "$LOCAL_TOKEN"']),
      ),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(server.counters.refreshRequests - refreshes).toBe(1);
    expect(server.counters.grantsRevoked - revoked).toBe(0);
    const tokens = new Set(results.map(printed));
    expect(tokens.size).toBe(1);
    expect(await userinfoStatus(server, [...tokens][0] as string)).toBe(200);
  });

  it("the cache is 0600, in a 0700 directory of ours, and holds no token in plaintext", async () => {
    const job = await seededJob(server, root, "at-rest");
    const result = await job.oauthx(["token", "local"]);
    expect(result.code, result.stderr).toBe(0);
    const [directory, ...others] = readdirSync(job.cacheDir);
    expect(others).toEqual([]);
    const cacheDir = join(job.cacheDir, directory as string);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(cacheDir);
    expect(files).toHaveLength(1);
    const file = join(cacheDir, files[0] as string);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(file).toString("latin1");
    for (const secret of [printed(result), job.seed, ...job.rotated()]) expect(bytes).not.toContain(secret);
    // The file name reveals nothing of the seed either.
    expect(files[0]).not.toContain(job.seed.slice(0, 8));
  });

  it("a job with another seed does not see, read or touch this job's cache", async () => {
    const first = await seededJob(server, root, "seed-a");
    const second = await seededJob(server, root, "seed-b");
    expect((await first.oauthx(["token", "local"])).code).toBe(0);
    // Both jobs share one cache directory: each seed finds only its own file.
    const shared = { OAUTHX_CI_CACHE_DIR: first.cacheDir };
    const refreshes = server.counters.refreshRequests;
    const other = await second.oauthx(["token", "local"], shared);
    expect(other.code, other.stderr).toBe(0);
    expect(server.counters.refreshRequests - refreshes).toBe(1);
    // Each seed has a directory of its own, named from it, holding its one file.
    const files = readdirSync(first.cacheDir).flatMap((directory) =>
      readdirSync(join(first.cacheDir, directory))
        .filter((name) => name.endsWith(".cache"))
        .map((name) => join(first.cacheDir, directory, name)),
    );
    expect(files).toHaveLength(2);
    // Planting one seed's cache under the other's name: it does not open, and nothing is sent.
    const [a, b] = files as [string, string];
    const [bytesA, bytesB] = [readFileSync(a), readFileSync(b)];
    writeFileSync(a, bytesB, { mode: 0o600 });
    writeFileSync(b, bytesA, { mode: 0o600 });
    const before = server.counters.tokenRequests;
    const planted = await second.oauthx(["token", "local", "--min-ttl", "1h"], shared);
    expect(planted.code, planted.stderr + planted.stdout).toBe(8);
    expect(planted.stderr).toContain("STORE_CORRUPT");
    expect(planted.stderr).toContain("does not open with this seed");
    expect(server.counters.tokenRequests).toBe(before);
  });

  // Security review (issue 24), items 1, 3, 4 and 5: each spends or would spend a seed.

  it("a seed is one login: token, then token and exec --profile work, make one refresh and revoke nothing", async () => {
    const job = await seededJob(server, root, "profiles");
    const refreshes = server.counters.refreshRequests;
    const revoked = server.counters.grantsRevoked;
    const plain = await job.oauthx(["token", "local"]);
    expect(plain.code, plain.stderr).toBe(0);
    // e.g. a kubeconfig's `kube-credential --profile work` beside a plain `token`.
    const work = await job.oauthx(["token", "local", "--profile", "work"]);
    expect(work.code, work.stderr).toBe(0);
    const exec = await job.oauthx([
      "exec",
      "local",
      "--profile",
      "work",
      "--",
      "sh",
      "-c",
      'printf %s "$LOCAL_TOKEN"',
    ]);
    expect(exec.code, exec.stderr).toBe(0);
    expect(server.counters.refreshRequests - refreshes).toBe(1);
    expect(server.counters.grantsRevoked - revoked).toBe(0);
    expect(new Set([printed(plain), printed(work), printed(exec)]).size).toBe(1);
    expect(await userinfoStatus(server, printed(work))).toBe(200);
    expect(job.rotated()).toHaveLength(1);
  });

  it("a cache directory planted where the old, predictable name was blocks nothing", async () => {
    const job = await seededJob(server, root, "planted-dir");
    // What another local user could do before any job ran: take the name `oauthx-ci-cache-<uid>`.
    const decoy = join(root, "planted-dir", "decoy");
    mkdirSync(decoy, { mode: 0o777 });
    symlinkSync(decoy, join(job.cacheDir, `oauthx-ci-cache-${process.getuid?.() ?? 0}`));
    symlinkSync(decoy, join(job.cacheDir, "oauthx-ci-cache"));
    const result = await job.oauthx(["token", "local"]);
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(decoy)).toEqual([]);
    const again = await job.oauthx(["token", "local"]);
    expect(printed(again)).toBe(printed(result));
  });

  it("a cache parent others can write without the sticky bit is refused before the seed is sent", async () => {
    const job = await seededJob(server, root, "shared-parent");
    const shared = join(root, "shared-parent", "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const requests = server.counters.tokenRequests;
    const refused = await job.oauthx(["token", "local"], { OAUTHX_CI_CACHE_DIR: shared });
    expect(refused.code).toBe(8);
    expect(refused.stderr).toContain(`${shared} is writable by other users and not sticky (mode 0777)`);
    expect(refused.stderr).toContain("set OAUTHX_CI_CACHE_DIR to a directory only you can write");
    expect(server.counters.tokenRequests).toBe(requests);
    // Sticky, as /tmp is: others cannot move our directory away.
    chmodSync(shared, 0o1777);
    const sticky = await job.oauthx(["token", "local"], { OAUTHX_CI_CACHE_DIR: shared });
    expect(sticky.code, sticky.stderr).toBe(0);
  });

  it("the hook's stdout is not oauthx's: $(oauthx token) captures the access token alone, the log no refresh token", async () => {
    const job = await seededJob(server, root, "tee-hook");
    // `tee` saves the token and prints it, as many a hook does by accident.
    const result = await job.oauthx(["token", "local"], { OAUTHX_ON_ROTATE: `tee -a "${job.hookLog}"` });
    expect(result.code, result.stderr).toBe(0);
    const [rotated] = job.rotated();
    expect(rotated).toBeDefined();
    expect(result.stdout.split("\n").filter(Boolean)).toHaveLength(1);
    expect(result.stdout).not.toContain(rotated);
    expect(await userinfoStatus(server, printed(result))).toBe(200);
    // Nor is it in the job's log: no CI masks a token it was never told of.
    expect(result.stderr).not.toContain(rotated);
    expect(result.stderr).toContain("[redacted]");
  });

  it("a rotation the hook did not save is offered again on later calls, until it is saved", async () => {
    const job = await seededJob(server, root, "hook-retry");
    const flag = join(root, "hook-retry", "failed-once");
    const hook = `if [ -e "${flag}" ]; then cat >> "${job.hookLog}"; else touch "${flag}"; exit 3; fi`;
    const refreshes = server.counters.refreshRequests;
    const first = await job.oauthx(["token", "local"], { OAUTHX_ON_ROTATE: hook });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("OAUTHX_ON_ROTATE exited with 3");
    expect(first.stderr).toContain("the next oauthx call of this job offers it again");
    expect(job.rotated()).toEqual([]);
    // The next call has a fresh token (no refresh), and still offers the unsaved rotation.
    const second = await job.oauthx(["token", "local"], { OAUTHX_ON_ROTATE: hook });
    expect(second.code, second.stderr).toBe(0);
    expect(printed(second)).toBe(printed(first));
    const saved = job.rotated();
    expect(saved).toHaveLength(1);
    expect(saved[0]).not.toBe(job.seed);
    expect(second.stderr).not.toContain("warning");
    // Saved: not offered again.
    const third = await job.oauthx(["token", "local"], { OAUTHX_ON_ROTATE: hook });
    expect(third.code, third.stderr).toBe(0);
    expect(job.rotated()).toHaveLength(1);
    expect(server.counters.refreshRequests - refreshes).toBe(1);
    // What the hook saved is the live refresh token: the next job starts from it.
    const nextJob = await job.oauthx(["token", "local"], {
      OAUTHX_LOCAL_REFRESH_TOKEN: saved[0] as string,
      OAUTHX_CI_CACHE: "off",
    });
    expect(nextJob.code, nextJob.stderr).toBe(0);
  });

  it("SIGTERM to the step while the hook runs: the hook finishes, the rotation is saved, then oauthx ends", async () => {
    const job = await seededJob(server, root, "hook-signal");
    const started = join(root, "hook-signal", "hook-started");
    const hook = `touch "${started}"; sleep 1; cat >> "${job.hookLog}"`;
    // A CI runner cancelling a step signals its whole process group.
    const child = spawn(BIN.oauthx, ["token", "local"], {
      env: job.env({ OAUTHX_ON_ROTATE: hook }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    const ended = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on("close", (code, signal) => resolve(signal ?? code)),
    );
    const deadline = Date.now() + 15_000;
    while (!existsSync(started) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(started)).toBe(true);
    process.kill(-(child.pid as number), "SIGTERM");
    expect(await ended).toBe("SIGTERM");
    expect(stdout).toBe("");
    const [saved] = job.rotated();
    expect(saved).toBeDefined();
    // The record that it was saved survived too: the next call does not offer it again.
    rmSync(started);
    const next = await job.oauthx(["token", "local"], { OAUTHX_ON_ROTATE: hook });
    expect(next.code, next.stderr).toBe(0);
    expect(existsSync(started)).toBe(false);
    expect(job.rotated()).toEqual([saved]);
  });

  it("status in CI mode lists the seeded provider, cached or not, with its expiry", async () => {
    const job = await seededJob(server, root, "status");
    const before = await job.oauthx(["status", "--json"]);
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout)).toEqual([
      expect.objectContaining({
        provider: "local",
        source: "OAUTHX_LOCAL_REFRESH_TOKEN",
        cached: false,
        state: "seeded",
      }),
    ]);
    expect((await job.oauthx(["token", "local"])).code).toBe(0);
    const after = await job.oauthx(["status"]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(
      /local\s+default\s+\S+\s+valid\s+in [45]m.*OAUTHX_LOCAL_REFRESH_TOKEN \(cached\)/,
    );
    expect(after.stdout).not.toContain("no logins");
  });

  it("a spent seed with no cached successor: REFRESH_REJECTED naming the seed, a CI remedy, exit 6", async () => {
    const job = await seededJob(server, root, "spent");
    // An earlier job rotated the seed away (its cache is gone with its runner).
    const earlier = await job.oauthx(["token", "local"], { OAUTHX_CI_CACHE: "off" });
    expect(earlier.code, earlier.stderr).toBe(0);
    const spent = await job.oauthx(["token", "local", "--json"]);
    expect(spent.code).toBe(6);
    const { error } = JSON.parse(spent.stderr.trim().split("\n").at(-1) as string);
    expect(error.code).toBe("REFRESH_REJECTED");
    expect(error.message).toContain("OAUTHX_LOCAL_REFRESH_TOKEN is spent or revoked");
    expect(error.remedy).toContain("oauthx seed local");
    expect(error.remedy).toContain("OAUTHX_ON_ROTATE");
    expect(error.remedy).not.toContain("oauthx login");
    expect(spent.stderr).not.toContain(job.seed);
  });

  it("bad seeds: empty, or more than one line, are typed errors before any request", async () => {
    const job = await seededJob(server, root, "bad-seeds");
    const before = server.counters.tokenRequests;
    const empty = await job.oauthx(["token", "local"], { OAUTHX_LOCAL_REFRESH_TOKEN: "" });
    expect(empty.code).toBe(3);
    expect(empty.stderr).toContain("OAUTHX_LOCAL_REFRESH_TOKEN is set but empty [CONFIG_MISSING]");
    const twoLines = await job.oauthx(["token", "local"], {
      OAUTHX_LOCAL_REFRESH_TOKEN: `${job.seed}\nsecond`,
    });
    expect(twoLines.code).toBe(3);
    expect(twoLines.stderr).toContain("[CONFIG_INVALID]");
    expect(twoLines.stderr).not.toContain(job.seed);
    expect(server.counters.tokenRequests).toBe(before);
  });
});

describe("CI job, 4-second tokens: after expiry the latest rotated refresh token is used", () => {
  let server: AuthServer;
  let root: string;

  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 4, rotateRefreshToken: true });
    root = mkdtempSync(join(tmpdir(), "oauthx-ci-job-short-"));
  });
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("each expiry costs one refresh with the newest token, the hook hears every rotation, no grant is revoked", async () => {
    const job = await seededJob(server, root, "expiring");
    const refreshes = server.counters.refreshRequests;
    const revoked = server.counters.grantsRevoked;
    const seen: string[] = [];
    for (let round = 0; round < 3; round++) {
      // Two calls per token life; then wait past the half-life at which it is renewed.
      for (let call = 0; call < 2; call++) {
        const result = await job.oauthx(["token", "local", "--min-ttl", "1"]);
        expect(result.code, result.stderr).toBe(0);
        seen.push(printed(result));
      }
      await new Promise((resolve) => setTimeout(resolve, 4_200));
    }
    expect(server.counters.refreshRequests - refreshes).toBe(3);
    expect(server.counters.grantsRevoked - revoked).toBe(0);
    expect(new Set(seen).size).toBe(3);
    const rotations = job.rotated();
    expect(rotations).toHaveLength(3);
    expect(new Set([job.seed, ...rotations]).size).toBe(4);
    // The newest refresh token, the one the hook saved last, still works: the grant is intact.
    const last = await job.oauthx(["token", "local"], {
      OAUTHX_LOCAL_REFRESH_TOKEN: rotations.at(-1) as string,
      OAUTHX_CI_CACHE: "off",
    });
    expect(last.code, last.stderr).toBe(0);
  });
});
