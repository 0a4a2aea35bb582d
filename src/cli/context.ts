// What a command touches, handed to it rather than reached for (DESIGN.md "Layout"): output
// streams, environment, clock, stdin and whether a person is at the terminal. Tests build one with
// in-memory streams and a temporary OAUTHX_HOME, and run any command in-process.

import process from "node:process";
import { defaultOauthxHome } from "../platform/paths.ts";

export interface Output {
  write(text: string): void;
}

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
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  return {
    home: defaultOauthxHome(env),
    stdout: { write: (text) => void process.stdout.write(text) },
    stderr: { write: (text) => void process.stderr.write(text) },
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
    interactive,
    color: interactive && !env.NO_COLOR,
  };
}
