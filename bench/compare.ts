// `npx node bench/compare.ts BEFORE AFTER`: the warm `oauthx token` of two binaries, side by side
// in one run — the "before and after" of a change to the hot path. Both read the same store (one
// written through the store API of this tree; the format is versioned, so an older binary reads
// it) with the key in identity.txt, the default. hyperfine (-N, no shell) alternates the order of
// the two between passes, and the times are pooled over the passes, so a burst of load on this
// shared machine hits both. Prints the medians and AFTER ÷ BEFORE; writes nothing in the tree.
//
//   npx node bench/compare.ts /tmp/oauthx-main dist/oauthx [--passes 6] [--runs 40]

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { seedWarmStore } from "./warm-store.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { passes: { type: "string", default: "6" }, runs: { type: "string", default: "40" } },
});
if (positionals.length !== 2) {
  process.stderr.write(
    "usage: npx node bench/compare.ts BEFORE-BINARY AFTER-BINARY [--passes N] [--runs N]\n",
  );
  process.exit(2);
}
const [before, after] = positionals.map((path) => resolve(path)) as [string, string];
const passes = Number(values.passes);
const runs = Number(values.runs);

const dir = mkdtempSync(join(tmpdir(), "oauthx-compare-"));
try {
  const home = join(dir, "home");
  await seedWarmStore(home);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, OAUTHX_HOME: home, NO_COLOR: "1" };
  const times: Record<"before" | "after", number[]> = { before: [], after: [] };
  for (let pass = 0; pass < passes; pass++) {
    const order: ("before" | "after")[] = pass % 2 === 0 ? ["before", "after"] : ["after", "before"];
    const json = join(dir, `pass-${pass}.json`);
    const args = ["-N", "--warmup", "5", "--runs", String(runs), "--export-json", json, "--style", "none"];
    for (const name of order) args.push("-n", name, `${name === "before" ? before : after} token github`);
    const result = spawnSync("hyperfine", args, { env, cwd: dir, encoding: "utf8" });
    if (result.status !== 0) {
      process.stderr.write(
        `hyperfine failed (is it installed? apt-get install hyperfine): ${result.stderr}\n`,
      );
      process.exit(1);
    }
    const exported = JSON.parse(readFileSync(json, "utf8")) as {
      results: { command: string; times: number[] }[];
    };
    for (const r of exported.results) times[r.command as "before" | "after"].push(...r.times);
  }
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return (sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2) * 1000;
  };
  const b = median(times.before);
  const a = median(times.after);
  process.stdout.write(
    `warm token, medians of ${passes * runs} runs each: before ${b.toFixed(2)} ms, after ${a.toFixed(2)} ms, after ÷ before ${(a / b).toFixed(3)}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
