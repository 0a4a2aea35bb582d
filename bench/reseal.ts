// The shared store's write of one row (docs/shared-store.md "Adding and removing a machine"): a
// write derives this machine's public key to compare the row's recipient list, then keeps the
// row's age header when the list is unchanged, or seals afresh when it changed. Measured in one
// process each (the age library's load is what a real write pays once), and warm in a loop.
// Alone: `node bench/reseal.ts` prints the medians. No server: the sealer is the whole cost that
// the recipient check added; the database round trip is the same as before.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { rowSealer } from "../src/store/postgres/sealing.ts";

const ROW = JSON.stringify({ login: ["github", "default"], entry: { access_token: "x".repeat(40) } });
type Mode = "keep" | "fresh";

/** Keys made once, by the parent; a child process gets them in its environment (as a machine does). */
async function keys(): Promise<Record<string, string>> {
  const { generateX25519Identity, identityToRecipient } = await import("age-encryption");
  const identity = await generateX25519Identity();
  const others = await Promise.all(
    [1, 2].map(async () => identityToRecipient(await generateX25519Identity())),
  );
  const env = { OAUTHX_AGE_IDENTITY: identity, OAUTHX_STORE_RECIPIENTS: others.join(" ") };
  const row = await setup(env).seal(ROW, undefined);
  return { ...env, BENCH_ROW: Buffer.from(row).toString("hex") };
}

function setup(env: Record<string, string | undefined>) {
  return rowSealer({ env, identityFile: "/nonexistent", createIdentity: false, now: Date.now });
}

/** One write as store.ts does it: the list, then the seal (header kept, or none). */
async function write(sealer: ReturnType<typeof setup>, mode: Mode, header: unknown) {
  await sealer.recipients();
  return sealer.seal(ROW, mode === "keep" ? (header as never) : undefined);
}

async function once(mode: Mode, env: Record<string, string | undefined>): Promise<number> {
  const sealer = setup(env);
  // The row as a previous write left it; opening it (the fast path, no age library) is the read,
  // not measured here. The first write in a process loads the age library: a cost the write pays.
  const { header } = await sealer.open(Buffer.from(env.BENCH_ROW ?? "", "hex"), "the bench row");
  const start = performance.now();
  await write(sealer, mode, header);
  return performance.now() - start;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

if (import.meta.main) {
  const [flag, mode] = process.argv.slice(2);
  if (flag === "--once") {
    process.stdout.write(`${await once(mode as Mode, process.env)}\n`);
  } else {
    const env = await keys();
    for (const which of ["keep", "fresh"] as const) {
      const cold: number[] = [];
      for (let i = 0; i < 5; i++) {
        const ran = spawnSync(process.execPath, [join(import.meta.dirname, "reseal.ts"), "--once", which], {
          encoding: "utf8",
          env: { ...process.env, ...env },
        });
        if (ran.status !== 0) throw new Error(ran.stderr);
        cold.push(Number(ran.stdout));
      }
      const warm: number[] = [];
      for (let i = 0; i < 50; i++) warm.push(await once(which, env));
      process.stdout.write(
        `row write, ${which === "keep" ? "same recipients (header kept)" : "changed recipients (sealed afresh)"}: first in a process ${median(cold).toFixed(2)} ms, warm ${median(warm).toFixed(2)} ms\n`,
      );
    }
  }
}
