// An in-memory Context for running commands in-process: captured output, a given environment and
// home directory, a fixed or supplied clock.

import type { Context } from "../../src/core/context.ts";

export interface FakeContext extends Context {
  out(): string;
  err(): string;
}

export function fakeContext(overrides: Partial<Context> & { home: string; stdin?: string }): FakeContext {
  let out = "";
  let err = "";
  const { stdin, ...rest } = overrides;
  return {
    stdout: {
      write: (text) => {
        out += text;
      },
    },
    stderr: {
      write: (text) => {
        err += text;
      },
    },
    env: {},
    now: () => Date.now(),
    readStdin: async () => stdin ?? "",
    readLine: async () => stdin?.split("\n")[0],
    interactive: false,
    color: false,
    ...rest,
    out: () => out,
    err: () => err,
  };
}
