// The shape of one command (in the manner of cli/cli): its flags and positionals, and a run
// function that receives the context and the parsed input. main.ts does the parsing, the help and
// the error reporting, so commands contain only what they do.

import type { Context } from "../core/context.ts";

export interface Flag {
  type: "boolean" | "string";
  short?: string;
  multiple?: boolean;
  /** Placeholder in help, e.g. `DURATION`. */
  value?: string;
  help: string;
}

export interface ParsedInput {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Everything after `--`, for commands that run another command. */
  rest: string[];
}

export interface Command {
  /** Positional synopsis, e.g. `<provider>`. */
  args: string;
  positionals: { min: number; max: number };
  flags: Record<string, Flag>;
  /** Takes `-- <command> [args...]`. */
  passthrough?: boolean;
  description?: string;
  examples?: string[];
  run(ctx: Context, input: ParsedInput): Promise<number>;
}
