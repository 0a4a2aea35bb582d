// Runs the command of `oauthx exec`: no shell, PATH lookup, stdio inherited, signals forwarded
// once, and the child's status as ours (128+N for a signal, as shells report it).

import { constants } from "node:os";
import process from "node:process";
import { spawnInherited } from "../../platform/spawn-child.ts";

/** Forwarded to the child. SIGINT and SIGQUIT from a terminal already reach the whole foreground
 * process group, child included: forwarding those too would deliver them twice. */
const FORWARDED = ["SIGTERM", "SIGHUP", "SIGINT", "SIGQUIT"] as const;
const FROM_TERMINAL = new Set<NodeJS.Signals>(["SIGINT", "SIGQUIT"]);

export interface RunChildOptions {
  env: Record<string, string>;
  /** A person at a terminal: terminal-generated signals reach the child without us. Asked only
   * when SIGINT or SIGQUIT arrives, because the check itself costs start-up time on Bun. */
  atTerminal: () => boolean;
}

export type ChildOutcome =
  | { kind: "exited"; status: number }
  | { kind: "not-found" }
  | { kind: "not-executable" }
  | { kind: "failed"; code: string };

export async function runChild(
  command: string,
  args: string[],
  options: RunChildOptions,
): Promise<ChildOutcome> {
  // Signals that arrive while the child starts are held, then delivered once it runs.
  const pending: NodeJS.Signals[] = [];
  let deliver: (signal: NodeJS.Signals) => void = (signal) => {
    pending.push(signal);
  };
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of FORWARDED) {
    const handler = () => {
      if (FROM_TERMINAL.has(signal) && options.atTerminal()) return;
      deliver(signal);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  try {
    const child = await spawnInherited(command, args, options.env);
    deliver = (signal) => child.kill(signal);
    for (const signal of pending.splice(0)) child.kill(signal);
    const { code, signal } = await child.ended;
    if (signal) return { kind: "exited", status: 128 + (constants.signals[signal] ?? 0) };
    return { kind: "exited", status: code ?? 1 };
  } catch (error) {
    return outcomeOfSpawnError(error as NodeJS.ErrnoException);
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

function outcomeOfSpawnError(error: NodeJS.ErrnoException): ChildOutcome {
  if (error.code === "ENOENT") return { kind: "not-found" };
  if (error.code === "EACCES" || error.code === "EISDIR" || error.code === "ENOEXEC")
    return { kind: "not-executable" };
  return { kind: "failed", code: error.code ?? "unknown" };
}
