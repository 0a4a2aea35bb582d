// OAUTHX_ON_ROTATE's runner (security review, issue 24 items 4 and 5): the secret on stdin, the
// hook's stdout handed to oauthx's stderr (never oauthx's stdout), the secret redacted from what it
// prints (review of the security review: a CI log masks no rotated token), and a bound on how long it runs,
// after which the hook and everything it started are killed.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { redacting, runHook } from "../../src/platform/run-hook.ts";

const root = mkdtempSync(join(tmpdir(), "oauthx-run-hook-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hook = async (command: string, timeoutMs = 10_000) => {
  const chunks: string[] = [];
  const status = await runHook(command, "rt-secret", {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    output: (text) => chunks.push(text),
    timeoutMs,
  });
  return { status, output: chunks.join("") };
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
    expect(await hook('read -r line; [ "$line" = rt-secret ] && echo "got it"; exit 3')).toEqual({
      status: 3,
      output: "got it\n",
    });
    expect(await hook("cat > /dev/null")).toEqual({ status: 0, output: "" });
    expect((await hook("exec /nonexistent/hook")).status).toBe(127);
  });

  it("never hands on the secret: a hook that prints it, on stdout or stderr, prints [redacted]", async () => {
    expect(await hook("tee /dev/null; exit 3")).toEqual({ status: 3, output: "[redacted]\n" });
    expect(await hook('echo "error: bad token $(cat)" >&2; exit 1')).toEqual({
      status: 1,
      output: "error: bad token [redacted]\n",
    });
    // Split across writes (and so, maybe, across chunks), then left at the end with no newline.
    const split = await hook("printf 'a rt-se'; sleep 0.2; printf 'cret b rt-secret'");
    expect(split).toEqual({ status: 0, output: "a [redacted] b [redacted]" });
  });

  it("redacting: a secret split across chunks at any point, and a partial one at the end kept", () => {
    const text = "x rt-secret y rt-secret";
    for (let at = 0; at <= text.length; at++) {
      let out = "";
      const redactor = redacting("rt-secret", (piece) => {
        out += piece;
      });
      redactor.write(Buffer.from(text.slice(0, at)));
      redactor.write(Buffer.from(text.slice(at)));
      redactor.end();
      expect(out, `split at ${at}`).toBe("x [redacted] y [redacted]");
    }
    let tail = "";
    const redactor = redacting("rt-secret", (piece) => {
      tail += piece;
    });
    redactor.write(Buffer.from("ends with rt-"));
    redactor.end();
    expect(tail).toBe("ends with rt-");
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
