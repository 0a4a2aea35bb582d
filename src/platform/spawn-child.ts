// Starting a child with inherited stdio, and learning how it ended. Each runtime gets its own
// native spawn:
//   - Deno's node:child_process reports `signal` for a child we sent a signal to even when the
//     child caught it and exited with its own code (test/e2e/exec-runtimes.test.ts shows it), which
//     would turn a clean `exit 0` after SIGTERM into 143. Deno.Command reports the truth.
//   - On Bun, node:child_process is a JavaScript layer over Bun.spawn whose loading is a
//     measurable part of every `oauthx exec` (docs/performance.md); Bun.spawn is direct.
// Node, the npm package's runtime, uses node:child_process, loaded only there.

import type { ChildProcess } from "node:child_process";

declare const Deno:
  | {
      Command: new (
        command: string,
        options: {
          args: string[];
          env: Record<string, string>;
          clearEnv: boolean;
          stdin: "inherit";
          stdout: "inherit";
          stderr: "inherit";
        },
      ) => {
        spawn(): {
          pid: number;
          kill(signal: string): void;
          status: Promise<{ code: number; signal: string | null }>;
        };
      };
      errors: { NotFound: new () => Error; PermissionDenied: new () => Error };
    }
  | undefined;

declare const Bun:
  | {
      spawn(
        command: string[],
        options: { env: Record<string, string>; stdio: ["inherit", "inherit", "inherit"] },
      ): {
        exited: Promise<number>;
        exitCode: number | null;
        signalCode: string | null;
        kill(signal: string): void;
      };
    }
  | undefined;

export interface ChildEnd {
  /** The exit code, or null when a signal ended the child. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartedChild {
  kill(signal: NodeJS.Signals): void;
  ended: Promise<ChildEnd>;
}

/** Rejects with an error whose `code` is ENOENT, EACCES, ENOEXEC, ... when the child cannot start. */
export async function spawnInherited(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<StartedChild> {
  if (typeof Deno !== "undefined") return spawnWithDeno(Deno, command, args, env);
  if (typeof Bun !== "undefined") return spawnWithBun(Bun, command, args, env);
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, { stdio: "inherit", env });
    } catch (error) {
      // Bun throws some spawn failures (ENOEXEC) synchronously instead of emitting "error".
      reject(error);
      return;
    }
    const ended = new Promise<ChildEnd>((done) =>
      child.once("exit", (code, signal) => done({ code, signal })),
    );
    child.once("error", reject);
    child.once("spawn", () => resolve({ kill: (signal) => void child.kill(signal), ended }));
  });
}

/** Bun.spawn throws ENOENT, EACCES, ... synchronously, with the errno name as `code`. */
async function spawnWithBun(
  bun: NonNullable<typeof Bun>,
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<StartedChild> {
  const child = bun.spawn([command, ...args], { env, stdio: ["inherit", "inherit", "inherit"] });
  const ended = child.exited.then(() => ({
    code: child.signalCode ? null : child.exitCode,
    signal: child.signalCode as NodeJS.Signals | null,
  }));
  return { kill: (signal) => child.kill(signal), ended };
}

async function spawnWithDeno(
  deno: NonNullable<typeof Deno>,
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<StartedChild> {
  let child: ReturnType<InstanceType<NonNullable<typeof Deno>["Command"]>["spawn"]>;
  try {
    child = new deno.Command(command, {
      args,
      env,
      clearEnv: true,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    const code =
      error instanceof deno.errors.NotFound
        ? "ENOENT"
        : error instanceof deno.errors.PermissionDenied
          ? "EACCES"
          : "ENOEXEC";
    throw Object.assign(new Error(`cannot start ${command}`), { code });
  }
  const ended = child.status.then(({ code, signal }) => ({
    code: signal ? null : code,
    signal: signal as NodeJS.Signals | null,
  }));
  return { kill: (signal) => child.kill(signal), ended };
}
