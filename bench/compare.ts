import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { hyperfine, medianMs } from "./hyperfine.ts";
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
  const medians = medianMs(
    hyperfine({ tool: "hyperfine", env, dir, passes, runs, warmup: 5 }, [
      { name: "before", command: [before, "token", "github"] },
      { name: "after", command: [after, "token", "github"] },
    ]),
  );
  const b = medians.get("before")!;
  const a = medians.get("after")!;
  process.stdout.write(
    `warm token, medians of ${passes * runs} runs each: before ${b.toFixed(2)} ms, after ${a.toFixed(2)} ms, after ÷ before ${(a / b).toFixed(3)}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
