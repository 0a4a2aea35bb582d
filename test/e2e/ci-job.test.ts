// A CI job as pipelines run them, on the compiled binary: one seeded refresh token
// (OAUTHX_LOCAL_REFRESH_TOKEN) and many oauthx calls — `token` in one step, `exec` in the next,
// `api` in a matrix of scripts, some at the same time — against oidc-provider configured as real
// deployments are: access tokens of 5 minutes (and of 4 seconds, to see expiry), refresh tokens
// rotated on every use, and reuse detection that revokes the whole grant when a spent refresh
// token comes back. Every call shares the job's cache (OAUTHX_CI_CACHE_DIR, a temp dir here).

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, startAuthServer, userinfoStatus } from "../support/auth-server.ts";
import { cliHarness } from "../support/cli-harness.ts";
import { BIN, type Ran, run } from "../support/run-node.ts";

interface Job {
  /** Runs `oauthx …` as a step of the job. */
  oauthx(args: string[], env?: Record<string, string>): Promise<Ran>;
  cacheDir: string;
  home: string;
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
    return {
      seed,
      cacheDir,
      home,
      rotated: () => readFileSync(hookLog, "utf8").split("\n").filter(Boolean),
      oauthx: (args, env = {}) =>
        run(BIN.oauthx, args, {
          env: {
            PATH: process.env.PATH,
            HOME: jobRoot,
            OAUTHX_HOME: home,
            OAUTHX_CI_CACHE_DIR: cacheDir,
            OAUTHX_LOCAL_REFRESH_TOKEN: `${seed}\n`, // as secrets often carry a trailing newline
            OAUTHX_ON_ROTATE: `cat >> "${hookLog}"`,
            ...env,
          },
        }),
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
    const directory = join(first.cacheDir, readdirSync(first.cacheDir)[0] as string);
    expect(readdirSync(directory).filter((name) => name.endsWith(".cache"))).toHaveLength(2);
    // Planting one seed's cache under the other's name: it does not open, and nothing is sent.
    const [a, b] = readdirSync(directory).filter((name) => name.endsWith(".cache")) as [string, string];
    const [bytesA, bytesB] = [readFileSync(join(directory, a)), readFileSync(join(directory, b))];
    writeFileSync(join(directory, a), bytesB, { mode: 0o600 });
    writeFileSync(join(directory, b), bytesA, { mode: 0o600 });
    const before = server.counters.tokenRequests;
    const planted = await second.oauthx(["token", "local", "--min-ttl", "1h"], shared);
    expect(planted.code, planted.stderr + planted.stdout).toBe(8);
    expect(planted.stderr).toContain("STORE_CORRUPT");
    expect(planted.stderr).toContain("does not open with this seed");
    expect(server.counters.tokenRequests).toBe(before);
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
