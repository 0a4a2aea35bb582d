// `node bench/login-host-check.ts`: what login's check of the authorization endpoint's host costs
// (src/platform/host-check.ts), apart from the bench proper (run.ts) since it is no part of the
// warm `token` path. Three figures, medians of 50 runs:
//   - a host that answers: a loopback listener — the floor a login now pays before showing the URL
//     (a real provider adds one DNS lookup and one TCP round trip);
//   - a host that refuses: a closed loopback port;
//   - a name that does not resolve (`nosuch.invalid`): what a mistyped `--set domain=…` costs now,
//     instead of the 5-minute callback timeout.

import { createServer } from "node:net";
import { hostProblem } from "../src/platform/host-check.ts";

const RUNS = 50;

async function medianMs(url: URL, expected: string | undefined): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const problem = await hostProblem(url, 6000);
    times.push(performance.now() - started);
    // A lost DNS packet shows as silence (see host-check.ts): counted, not fatal to the bench.
    if (problem !== expected)
      console.log(`${url.host}: ${problem} after ${Math.round(times.at(-1) as number)} ms`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const listener = createServer((socket) => socket.destroy());
await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", () => resolve()));
const open = (listener.address() as { port: number }).port;
const closed = createServer();
await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
const closedPort = (closed.address() as { port: number }).port;
await new Promise((resolve) => closed.close(resolve));

const rows = [
  ["answers (loopback listener)", await medianMs(new URL(`http://127.0.0.1:${open}/auth`), undefined)],
  [
    "refuses (closed loopback port)",
    await medianMs(new URL(`http://127.0.0.1:${closedPort}/auth`), "refuses connections"),
  ],
  [
    "does not resolve (nosuch.invalid)",
    await medianMs(new URL("https://nosuch.invalid/auth"), "does not resolve"),
  ],
] as const;
await new Promise((resolve) => listener.close(resolve));
for (const [what, ms] of rows) console.log(`${what.padEnd(36)} ${ms.toFixed(2)} ms`);
