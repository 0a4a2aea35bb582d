// The Context of the running process: its environment, clock, standard streams and terminal.

import process from "node:process";
import type { Context } from "../core/context.ts";
import { defaultOauthxHome } from "../platform/paths.ts";
import { descriptorOutput, isTerminal } from "../platform/standard-streams.ts";

export function processContext(): Context {
  const env = process.env;
  let interactive: boolean | undefined;
  let color: boolean | undefined;
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
        // Undefined at the end of input (or when stopped), "" for an empty line: Enter is no EOF.
        return await new Promise<string | undefined>((resolve) => {
          lines.once("line", resolve);
          lines.once("close", () => resolve(undefined));
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
      color ??= !env.NO_COLOR && isTerminal(2);
      return color;
    },
  };
}
