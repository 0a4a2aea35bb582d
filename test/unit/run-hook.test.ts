// OAUTHX_ON_ROTATE's runner (security review, issue 24 items 4 and 5): the secret on stdin, the
// hook's stdout handed to oauthx's stderr (never oauthx's stdout), and a bound on how long it runs,
// after which the hook and everything it started are killed.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runHook } from "../../src/platform/run-hook.ts";

const root = mkdtempSync(join(tmpdir(), "oauthx-run-hook-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hook = async (command: string, timeoutMs = 10_000) => {
  const chunks: Uint8Array[] = [];
  const status = await runHook(command, "rt-secret", {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    output: (chunk) => chunks.push(chunk),
    timeoutMs,
  });
  return { status, output: Buffer.concat(chunks).toString("utf8") };
};

/** "gone" when the process has ended (reaped, or a zombie waiting for a PID 1 that never reaps). */
function runningState(pid: number): string {
  if (!existsSync("/proc/self/stat")) {
    try {
      process.kill(pid, 0);
      return "running";
    } catch {
      return "gone";
    }
  }
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0];
    return state === "Z" || state === "X" ? "gone" : `running (${state})`;
  } catch {
    return "gone";
  }
}

describe("runHook", () => {
  it("gives the secret on stdin and hands what the hook prints to `output`, with its status", async () => {
    expect(await hook("tee /dev/null; exit 3")).toEqual({ status: 3, output: "rt-secret\n" });
    expect(await hook("cat > /dev/null")).toEqual({ status: 0, output: "" });
    expect((await hook("exec /nonexistent/hook")).status).toBe(127);
  });

  it("kills a hook that outlives its bound, and what it started: status 124, promptly", async () => {
    const pidFile = join(root, "grandchild.pid");
    const started = Date.now();
    const { status } = await hook(`sleep 30 & echo $! > "${pidFile}"; wait`, 300);
    expect(status).toBe(124);
    expect(Date.now() - started).toBeLessThan(5_000);
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runningState(grandchild)).toBe("gone");
  });
});
