// Runs a command line the user configured (OAUTHX_ON_ROTATE) through the shell, with a secret on its
// standard input: never in its argv, where other users could read it (/proc/<pid>/cmdline), nor in
// its environment.
//
//   - Its stdout is not ours: oauthx's stdout is what `TOKEN=$(oauthx token …)`, git and kubectl
//     read, so whatever the hook prints (a `tee` prints the token) is handed to `output`, which
//     oauthx points at its stderr.
//   - It runs in a process group of its own (detached), so the Ctrl-C or SIGTERM sent to the
//     foreground group, which oauthx defers while the hook runs, does not kill it half-way.
//   - It has a bound: a hook still running after `timeoutMs` is killed (status 124, as timeout(1)).
//
// node:child_process is imported on use: loading it costs start-up time on Bun, and only a
// rotation needs it.

import process from "node:process";

export interface HookOptions {
  env: Record<string, string>;
  /** Receives the hook's stdout. */
  output: (chunk: Uint8Array) => void;
  timeoutMs: number;
}

/** The hook's exit status: 127 when it could not start, 128 when a signal ended it, 124 when it timed out. */
export async function runHook(hook: string, secret: string, options: HookOptions): Promise<number> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn(hook, {
      shell: true,
      stdio: ["pipe", "pipe", "inherit"],
      env: options.env,
      detached: process.platform !== "win32",
    });
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
      resolve(124);
    }, options.timeoutMs);
    child.stdout.on("data", (chunk: Uint8Array) => options.output(chunk));
    child.once("error", () => {
      clearTimeout(timer);
      resolve(127);
    });
    // "close", not "exit": everything it printed has been passed on. (A process it left running
    // with our pipe open is bounded by the timeout.)
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve(timedOut ? 124 : signal ? 128 : (code ?? 1));
    });
    child.stdin.on("error", () => {});
    child.stdin.end(`${secret}\n`);
  });
}
