// `npm run bench`: builds dist-equivalent binary, then measures on this machine and writes
// bench/RESULTS.md. Everything is compared side by side in the same run, as ratios: the machine
// is shared and noisy, so absolute milliseconds from another day mean little.
//
//   - warm `oauthx token` vs `gh auth token` (Go, plaintext hosts.yml, no network) and vs a
//     compiled Bun hello world (the floor: what any `bun build --compile` program pays to start);
//   - `oauthx exec <p> -- true` vs `true`;
//   - peak RSS (/usr/bin/time -v);
//
// Page cache: a binary just written (built, copied, downloaded) runs with ~5 MiB more peak RSS than
// the same bytes read back from disk (measured: 45.5 vs 40.2 MiB for `token`; a byte-identical copy
// or `drop_caches` moves a binary between the two). So both binaries are synced and evicted from the
// page cache (`dd iflag=nocache`, no root needed) before they are measured: every figure is for a
// binary that has been on disk a while, and one extra line gives `token`'s RSS straight after the
// build.
//   - binary size minus the Bun runtime's own (the hello world's size);
//   - 32 concurrent `oauthx token` on an expired token against oidc-provider with rotation;
//   - a CI job's second `oauthx token`: seeded refresh token, access token from the job's cache;
//   - a federated CI job's later `oauthx token` (the job's identity token exchanged once, then the
//     job's cache) beside the warm `token` (bench/federated.ts).
//   - a stored login's warm `token` under GitHub Actions beside outside CI (actions-stored-login.ts).
//   - `oauthx` installed by npm vs the binary run directly (bench/npm.ts).
//   - a warm `oauthx token` through the shared store on PostgreSQL beside the file (shared-store.ts).
//   - warm `oauthx token` with the identity in a Secret Service beside identity.txt (bench/keychain.ts).
//
// Timings come from hyperfine (-N, no shell). Runs are split into passes that alternate between
// the commands, and each command's times are pooled over the passes before taking the median, so a
// burst of load on the machine hits every command rather than one.
//
// The bench installs nothing: hyperfine, gh and GNU time come from Debian (.ci/run installs them);
// the keychain section (bench/keychain.ts) uses the tests' gnome-keyring and dbus (scripts/test-setup.ts).

import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  cpSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { median, hyperfine as runHyperfine, type Timing } from "./hyperfine.ts";
import { KEYCHAIN_TARGET, keychainTimes } from "./keychain.ts";
import { npmStartup } from "./npm.ts";
import { seedWarmStore } from "./warm-store.ts";

const ROOT = join(import.meta.dirname, "..");
const BUN = join(ROOT, "node_modules/.bin/bun");
const NODE = process.execPath;
const RESULTS = join(ROOT, "bench/RESULTS.md");

const quick = process.argv.includes("--quick");
/** hyperfine passes per command, and runs per pass: 5 × 20 = 100 timed runs each by default. */
const PASSES = quick ? 2 : 5;
const RUNS_PER_PASS = quick ? 8 : 20;
const RSS_RUNS = quick ? 3 : 7;
const RACE_PROCESSES = 32;
const RACE_ROUNDS = quick ? 2 : 5;

/** The start-up targets (ratios measured side by side in one run; see docs/performance.md). */
const TARGETS = {
  versionVsFloor: 1.3,
  tokenVsFloor: 2.5,
  tokenVsGh: 0.3,
  execOverheadMs: 15,
  rssMiB: 40,
  codeMiB: 3,
};

// ---------------------------------------------------------------------------------------------
// Tools

function which(command: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function requireTools(): { hyperfine: string; gh: string; time: string } {
  const missing: string[] = [];
  const hyperfine = which("hyperfine");
  if (!hyperfine) missing.push("hyperfine (Debian package hyperfine)");
  const gh = which("gh");
  if (!gh) missing.push("gh (Debian package gh)");
  const time = "/usr/bin/time";
  const gnuTime = spawnSync(time, ["-v", "true"], { encoding: "utf8" });
  if (gnuTime.error || !/Maximum resident set size/.test(gnuTime.stderr ?? "")) {
    missing.push("GNU time at /usr/bin/time (Debian package time)");
  }
  if (missing.length > 0) {
    process.stderr.write(
      `bench: missing ${missing.join(", ")}.\n` +
        "  → apt-get install -y hyperfine gh time   (bash .ci/run installs them)\n",
    );
    process.exit(2);
  }
  return { hyperfine: hyperfine!, gh: gh!, time };
}

function check(result: SpawnSyncReturns<string>, what: string): string {
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${what} failed (${result.status}):\n${result.stderr}`);
  return result.stdout;
}

// ---------------------------------------------------------------------------------------------
// Statistics

/** 25th and 75th percentiles, to show the spread next to the median. */
function quartiles(values: number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return [at(0.25), at(0.75)];
}

const ms = (seconds: number) => seconds * 1000;
const fmt = (value: number, digits = 1) => value.toFixed(digits);
const mib = (bytes: number) => bytes / 1024 / 1024;

// ---------------------------------------------------------------------------------------------
// Setup: the binary, the floor, a store with a valid token, gh's config

interface Setup {
  dir: string;
  oauthx: string;
  hello: string;
  env: Record<string, string>;
}

function setUp(): Setup {
  const dir = mkdtempSync(join(tmpdir(), "oauthx-bench-"));
  const oauthx = join(dir, "oauthx");
  process.stderr.write("bench: building the binary (scripts/build.ts, the flags of `npm run build`)\n");
  // Built to a private path so a concurrent `npm test` elsewhere keeps its dist/oauthx.
  check(
    spawnSync(NODE, [join(ROOT, "scripts/build.ts")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, OAUTHX_BUILD_OUTFILE: oauthx },
    }),
    "build",
  );

  process.stderr.write("bench: compiling the Bun hello world (the floor)\n");
  const helloSource = join(dir, "hello.ts");
  writeFileSync(helloSource, 'console.log("hello");\n');
  const hello = join(dir, "hello");
  check(
    spawnSync(BUN, ["build", "--compile", helloSource, "--outfile", hello], { cwd: dir, encoding: "utf8" }),
    "bun build hello",
  );

  const home = join(dir, "home");
  const ghConfig = join(dir, "gh");
  mkdirSync(ghConfig, { mode: 0o700 });
  // gh's plaintext token storage (what `gh auth login --insecure-storage` writes): `gh auth token`
  // then answers from the file, with no keyring and no network.
  writeFileSync(
    join(ghConfig, "hosts.yml"),
    "github.com:\n    user: bench\n    oauth_token: gho_bench0000000000000000000000000000000\n    git_protocol: https\n",
    { mode: 0o600 },
  );
  writeFileSync(join(ghConfig, "config.yml"), "version: '1'\nprompt: disabled\n", { mode: 0o600 });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    OAUTHX_HOME: home,
    GH_CONFIG_DIR: ghConfig,
    GH_NO_UPDATE_NOTIFIER: "1",
    NO_COLOR: "1",
  };
  return { dir, oauthx, hello, env };
}

// ---------------------------------------------------------------------------------------------
// Wall time (hyperfine)

/** The bench's passes and runs (`--quick`: fewer), over bench/hyperfine.ts. */
function hyperfine(
  tool: string,
  commands: { name: string; command: string[] }[],
  env: Record<string, string>,
  dir: string,
): Timing[] {
  return runHyperfine({ tool, env, dir, passes: PASSES, runs: RUNS_PER_PASS }, commands);
}

// ---------------------------------------------------------------------------------------------
// Peak RSS (GNU time)

/** Writes the file's pages to disk, then drops them from the page cache (POSIX_FADV_DONTNEED). */
function evictFromPageCache(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  check(
    spawnSync("dd", [`if=${path}`, "iflag=nocache", "count=0", "status=none"], { encoding: "utf8" }),
    "dd",
  );
}

function peakRssKiB(time: string, command: string[], env: Record<string, string>, dir: string): number {
  const samples: number[] = [];
  for (let i = 0; i < RSS_RUNS; i++) {
    const out = join(dir, "time.txt");
    const result = spawnSync(time, ["-v", "-o", out, ...command], { env, cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${command.join(" ")} failed under time: ${result.stderr}`);
    const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(out, "utf8"));
    if (!match) throw new Error("GNU time printed no maximum resident set size");
    samples.push(Number(match[1]));
  }
  return median(samples);
}

// ---------------------------------------------------------------------------------------------
// Refresh race: N processes, one expired token, a server that rotates and detects reuse

interface RaceRound {
  wallMs: number;
  refreshes: number;
  failures: number;
  grantsRevoked: number;
  distinctTokens: number;
}

interface RaceResult {
  rounds: RaceRound[];
  singleRefreshMs: number[];
  /** A CI job's later `token` (seeded, answered from the CI cache) next to the floor, in one run. */
  ciCached: { tokenMs: number; floorMs: number };
}

function runBinary(
  binary: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A CI job: the login's refresh token becomes the seed (OAUTHX_LOCAL_REFRESH_TOKEN); the first
 * call spends it and fills the job's CI cache; the calls timed are the later ones, which answer
 * from the cache. Its own hyperfine run (its environment holds the seed), with the floor beside it.
 */
async function ciCachedCall(
  setup: Setup,
  server: { counters: { refreshRequests: number } },
  seed: string,
): Promise<{ tokenMs: number; floorMs: number }> {
  const cacheDir = join(setup.dir, "ci-cache");
  mkdirSync(cacheDir, { mode: 0o700 });
  const env = {
    ...setup.env,
    OAUTHX_HOME: join(setup.dir, "race-home"),
    OAUTHX_LOCAL_REFRESH_TOKEN: seed,
    OAUTHX_CI_CACHE_DIR: cacheDir,
    CI: "true",
  };
  const before = server.counters.refreshRequests;
  const first = await runBinary(setup.oauthx, ["token", "local"], env);
  if (first.code !== 0) throw new Error(`CI token failed: ${first.stderr}`);
  const timings = hyperfine(
    which("hyperfine")!,
    [
      { name: "oauthx token local (CI, cached)", command: [setup.oauthx, "token", "local"] },
      { name: "bun hello world (floor)", command: [setup.hello] },
    ],
    env,
    setup.dir,
  );
  const refreshes = server.counters.refreshRequests - before;
  if (refreshes !== 1)
    throw new Error(`the CI calls made ${refreshes} refreshes, not 1: the cache was not used`);
  const med = (name: string) => ms(median(timings.find((t) => t.name === name)!.times));
  return { tokenMs: med("oauthx token local (CI, cached)"), floorMs: med("bun hello world (floor)") };
}

async function refreshRace(setup: Setup): Promise<RaceResult> {
  const { startAuthServer, localProviderYaml } = await import("../test/support/auth-server.ts");
  const { openStore } = await import("../src/store/file/store.ts");
  const { getEntry, withEntry } = await import("../src/store/document.ts");
  const server = await startAuthServer({ accessTokenTtl: 3600, rotateRefreshToken: true });
  const home = join(setup.dir, "race-home");
  mkdirSync(home, { mode: 0o700 });
  writeFileSync(join(home, "providers.yaml"), localProviderYaml(server));
  const browser = join(setup.dir, "browser");
  writeFileSync(browser, `#!/bin/sh\nexec "${NODE}" "${join(ROOT, "test/support/browser-bot.ts")}" "$1"\n`);
  chmodSync(browser, 0o755);
  const env = { ...setup.env, OAUTHX_HOME: home, BROWSER: browser };
  try {
    const login = await runBinary(setup.oauthx, ["login", "local", "--timeout", "30s"], env);
    if (login.code !== 0) throw new Error(`login failed: ${login.stderr}`);
    const store = openStore({ home, env: {} });
    const expire = () =>
      store.update((document) => {
        const entry = getEntry(document, "local", "default")!;
        return withEntry(document, "local", "default", {
          ...entry,
          expires_at: Math.floor(Date.now() / 1000) - 1,
        });
      });

    const singleRefreshMs: number[] = [];
    const rounds: RaceRound[] = [];
    for (let round = 0; round < RACE_ROUNDS; round++) {
      // One process alone refreshing: the baseline the race is compared with.
      await expire();
      let started = performance.now();
      const alone = await runBinary(setup.oauthx, ["token", "local"], env);
      singleRefreshMs.push(performance.now() - started);
      if (alone.code !== 0) throw new Error(`token failed: ${alone.stderr}`);

      await expire();
      const before = { ...server.counters };
      started = performance.now();
      const results = await Promise.all(
        Array.from({ length: RACE_PROCESSES }, () => runBinary(setup.oauthx, ["token", "local"], env)),
      );
      const wallMs = performance.now() - started;
      rounds.push({
        wallMs,
        refreshes: server.counters.refreshRequests - before.refreshRequests,
        failures: results.filter((result) => result.code !== 0).length,
        grantsRevoked: server.counters.grantsRevoked - before.grantsRevoked,
        distinctTokens: new Set(results.map((result) => result.stdout.trim())).size,
      });
      process.stderr.write(`bench: refresh race round ${round + 1}/${RACE_ROUNDS} done\n`);
    }
    const seed = getEntry(await store.read(), "local", "default")?.refresh_token;
    if (!seed) throw new Error("the race left no refresh token to seed CI with");
    return { rounds, singleRefreshMs, ciCached: await ciCachedCall(setup, server, seed) };
  } finally {
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function version(command: string[]): string {
  const result = spawnSync(command[0]!, command.slice(1), { encoding: "utf8" });
  return (result.stdout || result.stderr || "?").split("\n")[0]!.trim();
}

function machineLine(tools: { hyperfine: string; gh: string }, oauthx: string): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  const cores = cpus().length;
  const oauthxVersion = version([oauthx, "--version"]);
  return [
    `${cpu}, ${cores} cores`,
    `Linux ${release()}`,
    `${oauthxVersion} (Bun ${version([BUN, "--version"])})`,
    `Node ${process.versions.node}`,
    version([tools.gh, "--version"]),
    version([tools.hyperfine, "--version"]),
  ].join("; ");
}

function verdict(ok: boolean): string {
  return ok ? "met" : "**missed**";
}

/** A table row for a figure with a target. */
function row(measurement: string, result: string, target: string, met: boolean): string {
  return `| ${measurement} | ${result} | ${target} | ${verdict(met)} |`;
}

async function main(): Promise<void> {
  const tools = requireTools();
  const setup = setUp();
  try {
    await seedWarmStore(setup.env.OAUTHX_HOME!);
    // Same store, plus a user providers file: the path where YAML and valibot must load.
    const withFile = join(setup.dir, "home-with-providers-file");
    cpSync(setup.env.OAUTHX_HOME!, withFile, { recursive: true });
    writeFileSync(
      join(withFile, "providers.yaml"),
      "providers:\n  github:\n    client_id: bench-client-id\n",
    );
    const sanity = spawnSync(setup.oauthx, ["token", "github"], { env: setup.env, encoding: "utf8" });
    if (sanity.status !== 0) throw new Error(`oauthx token failed: ${sanity.stderr}`);

    process.stderr.write(
      "bench: peak RSS straight after the build, then evicting the binaries from the page cache\n",
    );
    const rssJustWritten = peakRssKiB(tools.time, [setup.oauthx, "token", "github"], setup.env, setup.dir);
    for (const binary of [setup.oauthx, setup.hello]) evictFromPageCache(binary);

    const timings = hyperfine(
      tools.hyperfine,
      [
        { name: "oauthx token github", command: [setup.oauthx, "token", "github"] },
        { name: "gh auth token", command: [tools.gh, "auth", "token"] },
        // Start-up of the bundle alone (no store, no age): splits token's time into the two.
        { name: "oauthx --version", command: [setup.oauthx, "--version"] },
        { name: "bun hello world (floor)", command: [setup.hello] },
        { name: "oauthx exec github -- true", command: [setup.oauthx, "exec", "github", "--", "true"] },
        { name: "true", command: ["true"] },
        {
          name: "oauthx token github (user providers file)",
          command: ["env", `OAUTHX_HOME=${withFile}`, setup.oauthx, "token", "github"],
        },
        { name: "env true", command: ["env", `OAUTHX_HOME=${withFile}`, "true"] },
        // A line on stderr: on Bun it goes through node:fs (console.error paints it red on a
        // terminal), loaded on this first stderr write; `status` of a profile with no login reads the
        // store as `token` does and prints one message.
        {
          name: "oauthx status (a message on stderr)",
          command: [setup.oauthx, "status", "--profile", "none"],
        },
      ],
      setup.env,
      setup.dir,
    );
    const med = (name: string) => ms(median(timings.find((t) => t.name === name)!.times));
    const token = med("oauthx token github");
    const gh = med("gh auth token");
    const floor = med("bun hello world (floor)");
    const exec = med("oauthx exec github -- true");
    const trueMs = med("true");
    // `env` in front costs one more exec; subtract it to compare like with like.
    const tokenWithFile = med("oauthx token github (user providers file)") - (med("env true") - trueMs);

    process.stderr.write("bench: peak RSS\n");
    const rss = {
      token: peakRssKiB(tools.time, [setup.oauthx, "token", "github"], setup.env, setup.dir),
      exec: peakRssKiB(tools.time, [setup.oauthx, "exec", "github", "--", "true"], setup.env, setup.dir),
      gh: peakRssKiB(tools.time, [tools.gh, "auth", "token"], setup.env, setup.dir),
      hello: peakRssKiB(tools.time, [setup.hello], setup.env, setup.dir),
    };

    const sizes = { oauthx: statSync(setup.oauthx).size, hello: statSync(setup.hello).size };
    const code = sizes.oauthx - sizes.hello;

    process.stderr.write("bench: warm token with the identity in a Secret Service\n");
    const keychain = await keychainTimes(setup.oauthx, setup.env.OAUTHX_HOME!, setup.dir, (commands, env) => {
      const passes = hyperfine(tools.hyperfine, commands, { ...setup.env, ...env }, setup.dir);
      return new Map(passes.map((timing) => [timing.name, ms(median(timing.times))]));
    });

    process.stderr.write("bench: refresh race against oidc-provider\n");
    const race = await refreshRace(setup);

    process.stderr.write("bench: a federated CI job's cached call\n");
    const { federatedCachedCall } = await import("./federated.ts");
    const federated = await federatedCachedCall({
      ...setup,
      medians: (commands, env) =>
        Object.fromEntries(
          hyperfine(tools.hyperfine, commands, env, setup.dir).map((t) => [t.name, ms(median(t.times))]),
        ),
      run: (args, env) => runBinary(setup.oauthx, args, env),
    });

    process.stderr.write("bench: a stored login's warm token under GitHub Actions\n");
    const { actionsStoredLogin } = await import("./actions-stored-login.ts");
    const actions = actionsStoredLogin({
      ...setup,
      home: setup.env.OAUTHX_HOME!,
      homeWithFile: withFile,
      medians: (commands, env) =>
        Object.fromEntries(
          hyperfine(tools.hyperfine, commands, env, setup.dir).map((t) => [t.name, ms(median(t.times))]),
        ),
    });

    process.stderr.write("bench: oauthx installed through npm\n");
    const npmRows = npmStartup({
      oauthx: setup.oauthx,
      env: setup.env,
      dir: setup.dir,
      hyperfine: tools.hyperfine,
      runs: RUNS_PER_PASS,
      token: ["token", "github"],
    });

    process.stderr.write("bench: warm token through the shared store (PostgreSQL)\n");
    const { sharedStoreWarmToken } = await import("./shared-store.ts");
    const shared = await sharedStoreWarmToken(
      tools.hyperfine,
      setup.oauthx,
      setup.env.OAUTHX_HOME!,
      PASSES * RUNS_PER_PASS,
    );

    const version = med("oauthx --version");
    const checks = {
      versionVsFloor: version / floor,
      tokenVsGh: token / gh,
      tokenVsFloor: token / floor,
      execOverhead: exec - trueMs,
      rss: Math.max(rss.token, rss.exec) / 1024,
      code: mib(code),
    };
    const raceRefreshes = race.rounds.map((r) => r.refreshes);
    const raceOk = race.rounds.every(
      (r) => r.refreshes === 1 && r.failures === 0 && r.grantsRevoked === 0 && r.distinctTokens === 1,
    );
    const spread = (name: string) => {
      const [q1, q3] = quartiles(timings.find((t) => t.name === name)!.times);
      return `${fmt(ms(q1))}–${fmt(ms(q3))}`;
    };
    const runs = PASSES * RUNS_PER_PASS;
    const cpu = (name: string) => {
      const timing = timings.find((t) => t.name === name)!;
      return ms(median(timing.user) + median(timing.system));
    };

    const lines = [
      "# oauthx benchmark results",
      "",
      "Written by `npm run bench` (bench/run.ts); do not edit by hand. Every figure comes from one run",
      "on one machine, and the targets are ratios measured side by side in that run.",
      "",
      `Machine: ${machineLine(tools, setup.oauthx)}.`,
      "",
      `Wall time: hyperfine -N, ${runs} runs per command in ${PASSES} alternating passes, medians (IQR).`,
      "",
      "| measurement | result | target | verdict |",
      "| --- | --- | --- | --- |",
      `| warm \`oauthx token github\` | ${fmt(token)} ms (${spread("oauthx token github")}) | | |`,
      `| \`gh auth token\` (gh, plaintext hosts.yml) | ${fmt(gh)} ms (${spread("gh auth token")}) | | |`,
      `| Bun hello world, compiled (the floor) | ${fmt(floor)} ms (${spread("bun hello world (floor)")}) | | |`,
      `| \`oauthx --version\` (start-up alone, no store) | ${fmt(version)} ms (${spread("oauthx --version")}) | | |`,
      row(
        "--version ÷ floor",
        fmt(checks.versionVsFloor, 3),
        `≤ ${TARGETS.versionVsFloor}`,
        checks.versionVsFloor <= TARGETS.versionVsFloor,
      ),
      row(
        "token ÷ floor",
        fmt(checks.tokenVsFloor, 3),
        `≤ ${TARGETS.tokenVsFloor}`,
        checks.tokenVsFloor <= TARGETS.tokenVsFloor,
      ),
      row(
        "token ÷ gh",
        fmt(checks.tokenVsGh, 3),
        `≤ ${TARGETS.tokenVsGh}`,
        checks.tokenVsGh <= TARGETS.tokenVsGh,
      ),
      `| warm \`oauthx token github\` with a user providers file (valibot; the YAML parse remembered) | ${fmt(tokenWithFile)} ms (÷ floor ${fmt(tokenWithFile / floor, 2)}) | | |`,
      `| \`oauthx status --profile none\` (a store read, then one line on stderr) | ${fmt(med("oauthx status (a message on stderr)"))} ms (${spread("oauthx status (a message on stderr)")}) | | |`,
      `| \`oauthx exec github -- true\` | ${fmt(exec)} ms (${spread("oauthx exec github -- true")}) | | |`,
      `| \`true\` | ${fmt(trueMs, 2)} ms | | |`,
      row(
        "exec overhead (exec − true)",
        `${fmt(checks.execOverhead)} ms`,
        `≤ ${TARGETS.execOverheadMs} ms`,
        checks.execOverhead <= TARGETS.execOverheadMs,
      ),
      row(
        "peak RSS: token / exec",
        `${fmt(rss.token / 1024)} / ${fmt(rss.exec / 1024)} MiB`,
        `≤ ${TARGETS.rssMiB} MiB`,
        checks.rss <= TARGETS.rssMiB,
      ),
      `| peak RSS: gh auth token / hello world | ${fmt(rss.gh / 1024)} / ${fmt(rss.hello / 1024)} MiB | | |`,
      `| peak RSS: token, binary straight after the build (page cache from the write) | ${fmt(rssJustWritten / 1024)} MiB | | |`,
      `| binary: oauthx / hello world | ${fmt(mib(sizes.oauthx))} / ${fmt(mib(sizes.hello))} MiB | | |`,
      row(
        "our code in the binary (difference)",
        `${fmt(checks.code, 2)} MiB`,
        `≤ ${TARGETS.codeMiB} MiB`,
        checks.code <= TARGETS.codeMiB,
      ),
      `| warm \`token\`, identity in a Secret Service / identity.txt, own passes | ${fmt(keychain.keychain)} / ${fmt(keychain.file)} ms (no memory cache: ${fmt(keychain.keychainUncached)} ms) | | |`,
      row(
        "keychain ÷ file (memory cache on, the default)",
        fmt(keychain.keychain / keychain.file, 3),
        `≤ ${KEYCHAIN_TARGET}`,
        keychain.keychain / keychain.file <= KEYCHAIN_TARGET,
      ),
      `| ${RACE_PROCESSES} concurrent \`token\` on an expired token, oidc-provider with rotation: refresh requests per round | ${raceRefreshes.join(", ")} (${race.rounds.reduce((n, r) => n + r.failures, 0)} failures, ${race.rounds.reduce((n, r) => n + r.grantsRevoked, 0)} grants revoked) | 1, no failure, no revocation | ${verdict(raceOk)} |`,
      `| ${RACE_PROCESSES} concurrent: wall time, median of ${RACE_ROUNDS} rounds | ${fmt(median(race.rounds.map((r) => r.wallMs)), 0)} ms (one process alone: ${fmt(median(race.singleRefreshMs), 0)} ms) | | |`,
      `| CI job, a later \`oauthx token\` (seeded, from the CI cache) ÷ floor, own run | ${fmt(race.ciCached.tokenMs)} ms ÷ ${fmt(race.ciCached.floorMs)} ms = ${fmt(race.ciCached.tokenMs / race.ciCached.floorMs, 2)} | | |`,
      `| federated CI job, a later \`oauthx token\` (identity token exchanged once, then the CI cache) beside the warm \`token\`, own run | ${fmt(federated.tokenMs)} ms vs ${fmt(federated.warmTokenMs)} ms (floor ${fmt(federated.floorMs)} ms; ${federated.exchanges} exchange${federated.exchanges === 1 ? "" : "s"} in the job) | 1 exchange | ${verdict(federated.exchanges === 1)} |`,
      `| warm \`oauthx token github\` of a stored login under GitHub Actions (request API set) / outside CI, own run: no providers file; with one | ${fmt(actions.actions)} / ${fmt(actions.outside)} ms; ${fmt(actions.actionsWithFile)} / ${fmt(actions.outsideWithFile)} ms | | |`,
      ...npmRows,
      `| warm \`oauthx token github\` through the shared store (PostgreSQL on 127.0.0.1: connect, SCRAM, one SELECT, decrypt) / the file store, own run | ${fmt(shared.sharedMs)} / ${fmt(shared.fileMs)} ms | | |`,
      "",
      `CPU time per run (median of pass means, user + system): token ${fmt(cpu("oauthx token github"))} ms, gh ${fmt(cpu("gh auth token"))} ms, floor ${fmt(cpu("bun hello world (floor)"))} ms.`,
      "",
    ];
    writeFileSync(RESULTS, `${lines.join("\n")}`);
    process.stdout.write(`${lines.join("\n")}`);
    process.stderr.write(`bench: wrote ${RESULTS}\n`);
  } finally {
    rmSync(setup.dir, { recursive: true, force: true });
  }
}

await main();
