// descriptorOutput writes with write(2) instead of process.stdout (for start-up time). What users
// rely on: output arrives whole and in order even when the pipe is full and non-blocking, and a
// reader that goes away (`oauthx … | head -1`) ends nothing in an error. Each case runs a real
// process on Node and on Bun (the runtime of the binary) with its stdout on a real pipe.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, ROOT } from "../support/run-node.ts";

const MODULE = join(ROOT, "src/platform/standard-streams.ts");

// 20,000 numbered lines (~300 KiB, several pipe buffers), written in 1,000-line pieces; touching
// process.stdout first makes Node and Bun put the pipe in non-blocking mode, so writes hit EAGAIN.
const WRITER = `
import { descriptorOutput } from ${JSON.stringify(MODULE)};
process.stdout;
const out = descriptorOutput(1);
for (let piece = 0; piece < 20; piece++) {
  let text = "";
  for (let i = piece * 1000; i < (piece + 1) * 1000; i++) text += \`line \${i}\\n\`;
  out.write(text);
}
out.write("end\\n");
descriptorOutput(2).write("stderr still works\\n");
`;

const expected = `${Array.from({ length: 20_000 }, (_, i) => `line ${i}\n`).join("")}end\n`;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs WRITER; the parent starts reading stdout only after `readAfterMs`, or closes it at once. */
function runWriter(runtime: string, reader: { readAfterMs: number } | "closed"): Promise<Outcome> {
  const args = runtime === BIN.node ? ["--input-type=module", "-e", WRITER] : ["-e", WRITER];
  return new Promise((resolve, reject) => {
    const child = spawn(runtime, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    if (reader === "closed") child.stdout.destroy();
    else {
      child.stdout.pause();
      setTimeout(() => {
        child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
        child.stdout.resume();
      }, reader.readAfterMs);
    }
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each([
  ["node", BIN.node],
  ["bun", BIN.bun],
])("descriptorOutput on %s", (_name, runtime) => {
  it("delivers everything, in order, through a full non-blocking pipe", async () => {
    const outcome = await runWriter(runtime, { readAfterMs: 300 });
    expect(outcome.stderr).toBe("stderr still works\n");
    expect(outcome.stdout.length).toBe(expected.length);
    expect(outcome.stdout === expected).toBe(true);
    expect(outcome.code).toBe(0);
  });

  it("drops output quietly when the reader has gone, and exits 0", async () => {
    const outcome = await runWriter(runtime, "closed");
    expect(outcome.stderr).toBe("stderr still works\n");
    expect(outcome.code).toBe(0);
  });
});
