// descriptorOutput writes with write(2) instead of process.stdout (for start-up time). What users
// rely on: output arrives whole and in order even when the pipe is full and non-blocking, and a
// reader that goes away (`oauthx … | head -1`) ends nothing in an error. Each case runs a real
// process on Node and on Bun (the runtime of the binary) with its stdout on a real pipe.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, type Ran, ROOT, run } from "../support/run-node.ts";

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

/**
 * Runs WRITER with its stdout on a real pipe(2) (64 KiB) whose reader starts after `readAfterMs`,
 * or has already gone. A shell pipeline, because Node's own child pipes are socket pairs with
 * larger buffers, and Node resumes (and drops) a paused child stream when the child exits.
 */
async function runWriter(runtime: string, reader: { readAfterMs: number } | "gone"): Promise<Ran> {
  const script = join(mkdtempSync(join(tmpdir(), "oauthx-streams-")), "writer.mjs");
  writeFileSync(script, WRITER);
  const readerCommand = reader === "gone" ? "true" : `{ sleep ${reader.readAfterMs / 1000}; cat; }`;
  const pipeline = `"$0" "$1" | ${readerCommand}; exit "\${PIPESTATUS[0]}"`;
  try {
    return await run("bash", ["-c", pipeline, runtime, script], { timeoutMs: 20_000 });
  } finally {
    rmSync(dirname(script), { recursive: true, force: true });
  }
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
    const outcome = await runWriter(runtime, "gone");
    expect(outcome.stderr).toBe("stderr still works\n");
    expect(outcome.code).toBe(0);
  });
});
