// What a command touches, handed to it rather than reached for (DESIGN.md "Layout"): output
// streams, environment, clock, stdin and whether a person is at the terminal. Tests build one with
// in-memory streams and a temporary OAUTHX_HOME, and run any command in-process.

import process from "node:process";
import { defaultOauthxHome } from "../platform/paths.ts";
import { descriptorOutput, isTerminal, type Output } from "../platform/standard-streams.ts";

export type { Output };

export interface Context {
  /** oauthx's directory: OAUTHX_HOME, else $XDG_CONFIG_HOME/oauthx, else ~/.config/oauthx. */
  home: string;
  stdout: Output;
  stderr: Output;
  /** Environment as seen by this command; never mutated. */
  env: Readonly<Record<string, string | undefined>>;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Reads all of standard input (for `--client-secret-stdin`). */
  readStdin(): Promise<string>;
  /** Reads one line a person types (the pasted redirect URL of `login --no-browser`); "" on abort. */
  readLine(signal?: AbortSignal): Promise<string>;
  /** A person is at the terminal (stdin and stderr are TTYs): tables, prompts, colour. */
  interactive: boolean;
  /** Colour allowed: interactive and NO_COLOR unset (https://no-color.org). */
  color: boolean;
}

export function processContext(): Context {
  const env = process.env;
  let interactive: boolean | undefined;
  return {
    home: defaultOauthxHome(env),
    stdout: descriptorOutput(1),
    stderr: descriptorOutput(2),
    env,
    now: () => Date.now(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    readLine: async (signal) => {
      const { createInterface } = await import("node:readline");
      const lines = createInterface({ input: process.stdin, terminal: false });
      // Stop reading when the answer came another way, so stdin does not keep the process alive.
      const stop = () => lines.close();
      signal?.addEventListener("abort", stop, { once: true });
      try {
        return await new Promise<string>((resolve) => {
          lines.once("line", resolve);
          lines.once("close", () => resolve(""));
        });
      } finally {
        signal?.removeEventListener("abort", stop);
        lines.close();
        process.stdin.pause();
      }
    },
    // Getters: the terminal check is asked for by few commands, and costs the others (see
    // platform/standard-streams.ts).
    get interactive() {
      interactive ??= isTerminal(0) && isTerminal(2);
      return interactive;
    },
    get color() {
      return this.interactive && !env.NO_COLOR;
    },
  };
}
