// Runs a command line the user configured (OAUTHX_ON_ROTATE) through the shell, with a secret on its
// standard input: never in its argv, where other users could read it (/proc/<pid>/cmdline), nor in
// its environment.
//
// node:child_process is imported on use: loading it costs start-up time on Bun, and only a
// rotation needs it.

/** The hook's exit status: 127 when it could not start, 128 when a signal ended it. */
export async function runHook(hook: string, secret: string, env: Record<string, string>): Promise<number> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn(hook, { shell: true, stdio: ["pipe", "inherit", "inherit"], env });
    child.once("error", () => resolve(127));
    child.once("exit", (code, signal) => resolve(signal ? 128 : (code ?? 1)));
    child.stdin.on("error", () => {});
    child.stdin.end(`${secret}\n`);
  });
}
