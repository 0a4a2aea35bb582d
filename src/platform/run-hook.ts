// Runs a command line the user configured (OAUTHX_ON_ROTATE) through the shell, with a secret on its
// standard input: never in its argv, where other users could read it (/proc/<pid>/cmdline), nor in
// its environment.
//
//   - Its stdout is not ours: oauthx's stdout is what `TOKEN=$(oauthx token …)`, git and kubectl
//     read, so whatever the hook prints (a `tee` prints the token) is handed to `output`, which
//     oauthx points at its stderr.
//   - What it prints, on stdout or stderr, is handed on with the secret replaced by [redacted]: a CI
//     log masks only the secrets it was told of (GitLab's masked variables, GitHub's ::add-mask::),
//     and a rotated refresh token is none of them.
//   - It runs in a process group of its own (detached), so the Ctrl-C or SIGTERM sent to the
//     foreground group, which oauthx defers while the hook runs, does not kill it half-way.
//   - It has a bound: a hook still running after `timeoutMs` is killed (status 124, as timeout(1)).
//
// node:child_process is imported on use: loading it costs start-up time on Bun, and only a
// rotation needs it.

import process from "node:process";

export interface HookOptions {
  env: Record<string, string>;
  /** Receives what the hook prints on stdout and stderr, the secret redacted. */
  output: (text: string) => void;
  timeoutMs: number;
}

export const REDACTED = "[redacted]";

/**
 * Passes text on with every occurrence of `secret` replaced, including one split across chunks: the
 * last `secret.length - 1` characters wait for the next chunk (or `end`), in case they begin it.
 */
export function redacting(secret: string, output: (text: string) => void) {
  const decoder = new TextDecoder();
  let pending = "";
  const pass = (final: boolean) => {
    pending = secret ? pending.replaceAll(secret, REDACTED) : pending;
    const cut = final ? pending.length : Math.max(0, pending.length - (secret.length - 1));
    if (cut > 0) output(pending.slice(0, cut));
    pending = pending.slice(cut);
  };
  return {
    write(chunk: Uint8Array) {
      pending += decoder.decode(chunk, { stream: true });
      pass(false);
    },
    end() {
      pending += decoder.decode();
      pass(true);
    },
  };
}

/** The hook's exit status: 127 when it could not start, 128 when a signal ended it, 124 when it timed out. */
export async function runHook(hook: string, secret: string, options: HookOptions): Promise<number> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn(hook, {
      shell: true,
      stdio: ["pipe", "pipe", "pipe"],
      env: options.env,
      detached: process.platform !== "win32",
    });
    // One redactor per stream: a chunk of one never completes a secret begun on the other.
    const streams = [child.stdout, child.stderr].map((stream) => {
      const redactor = redacting(secret, options.output);
      stream.on("data", (chunk: Uint8Array) => redactor.write(chunk));
      return redactor;
    });
    const flush = () => {
      for (const redactor of streams.splice(0)) redactor.end();
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        // The whole group: the shell and whatever it started.
        if (child.pid !== undefined)
          process.kill(process.platform === "win32" ? child.pid : -child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      // Not waiting for "close": a process that left the group may hold the pipe open.
      child.stdout.destroy();
      child.stderr.destroy();
      flush();
      resolve(124);
    }, options.timeoutMs);
    child.once("error", () => {
      clearTimeout(timer);
      resolve(127);
    });
    // "close", not "exit": everything it printed has been passed on. (A process it left running
    // with our pipe open is bounded by the timeout.)
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      flush();
      resolve(timedOut ? 124 : signal ? 128 : (code ?? 1));
    });
    child.stdin.on("error", () => {});
    child.stdin.end(`${secret}\n`);
  });
}
