// Starting a child with inherited stdio, and learning how it ended. One real runtime difference
// lives here: Deno's node:child_process reports `signal` for a child we sent a signal to even when
// the child caught it and exited with its own code (TOOLCHAIN-FACTS.md), which would turn a clean
// `exit 0` after SIGTERM into 143. Deno.Command reports the truth, so Deno uses it.

import { spawn } from "node:child_process";

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
export function spawnInherited(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<StartedChild> {
  if (typeof Deno !== "undefined") return spawnWithDeno(Deno, command, args, env);
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
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
