// Wall time through hyperfine (-N, no shell), for every section of the bench: each command's times
// pooled over passes that alternate the order of the commands, so a burst of load on this shared
// machine hits every command rather than one. One pass is one plain hyperfine run.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

export interface Timing {
  name: string;
  command: string[];
  /** Seconds, every timed run of every pass. */
  times: number[];
  /** Seconds, each pass's mean. */
  user: number[];
  system: number[];
}

export interface HyperfineRun {
  tool: string;
  env: Record<string, string | undefined>;
  /** Where hyperfine runs and writes its JSON. */
  dir: string;
  passes: number;
  runs: number;
  warmup?: number;
}

export function hyperfine(run: HyperfineRun, commands: { name: string; command: string[] }[]): Timing[] {
  const timings: Timing[] = commands.map((c) => ({ ...c, times: [], user: [], system: [] }));
  const quote = (arg: string) => (/^[\w./=:-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);
  for (let pass = 0; pass < run.passes; pass++) {
    // Alternate the order between passes, so no command always runs right after another.
    const order = pass % 2 === 0 ? timings : [...timings].reverse();
    const json = join(run.dir, `hyperfine-${pass}.json`);
    const args = ["-N", "--warmup", String(run.warmup ?? 3), "--runs", String(run.runs)];
    args.push("--export-json", json, "--style", "none");
    for (const timing of order) args.push("-n", timing.name, timing.command.map(quote).join(" "));
    const result = spawnSync(run.tool, args, { env: run.env, cwd: run.dir, encoding: "utf8" });
    if (result.error) throw new Error(`hyperfine: ${result.error.message}`);
    if (result.status !== 0) throw new Error(`hyperfine failed (${result.status}):\n${result.stderr}`);
    const exported = JSON.parse(readFileSync(json, "utf8")) as {
      results: { command: string; times: number[]; user: number; system: number }[];
    };
    for (const result of exported.results) {
      const timing = timings.find((t) => t.name === result.command)!;
      timing.times.push(...result.times);
      timing.user.push(result.user);
      timing.system.push(result.system);
    }
    if (run.passes > 1) process.stderr.write(`bench: timing pass ${pass + 1}/${run.passes} done\n`);
  }
  return timings;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Each command's median wall time in milliseconds, by name. */
export function medianMs(timings: Timing[]): Map<string, number> {
  return new Map(timings.map((timing) => [timing.name, median(timing.times) * 1000]));
}
