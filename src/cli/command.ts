// The shape of one command (in the manner of cli/cli): its flags and positionals as data, and a run
// function that receives the context and the parsed input. main.ts parses argv from that data,
// help.ts writes the usage from it and completion/ the shell scripts, so the three cannot drift.
// Commands are written with defineCommand, which infers each flag's type from its declaration:
// `flags.profile` is `string | undefined`, `flags.json` `boolean | undefined`, a repeatable flag
// `string[] | undefined` — no casts.

import type { Context } from "../core/context.ts";

interface FlagBase {
  short?: string;
  help: string;
}

export interface BooleanFlag extends FlagBase {
  type: "boolean";
}

export interface StringFlag extends FlagBase {
  type: "string";
  /** Repeatable: every value is kept, in order. */
  multiple?: boolean;
  /** Placeholder in help, e.g. `DURATION`. */
  value: string;
  /** What the shell completes for the value. Default nothing. */
  completes?: "provider" | "file";
}

export type Flag = BooleanFlag | StringFlag;

export type FlagValue<F extends Flag> = F extends BooleanFlag
  ? boolean | undefined
  : F extends { multiple: true }
    ? string[] | undefined
    : string | undefined;

export type FlagValues<Flags extends Record<string, Flag>> = {
  [Name in keyof Flags]: FlagValue<Flags[Name]>;
};

/** One positional argument: what it names, and what the shell completes for it. */
export interface Positional {
  /** Shown in usage as `<name>` (or `[name]` when optional). */
  name: string;
  /** `provider`: a provider id; `words`: one of `words`; `text`: anything. */
  kind: "provider" | "words" | "text";
  /** For `words`, the only values accepted; for `text`, what the shell suggests. */
  words?: readonly string[];
  optional?: boolean;
  /** The last positional may repeat (`<provider>...`); it is then a list. */
  repeat?: boolean;
}

/** One value of a positional: one of its words, or any string. */
type PositionalValue<P extends Positional> = P extends { kind: "words"; words: readonly (infer Word)[] }
  ? Word
  : string;

/** A positional's value: a list when it repeats, possibly absent when optional. */
export type PositionalValues<P extends readonly Positional[]> = {
  [Index in keyof P]: P[Index] extends { repeat: true }
    ? PositionalValue<P[Index]>[]
    : P[Index] extends { optional: true }
      ? PositionalValue<P[Index]> | undefined
      : PositionalValue<P[Index]>;
};

export interface ParsedInput<Flags extends Record<string, Flag>, P extends readonly Positional[]> {
  flags: FlagValues<Flags>;
  positionals: PositionalValues<P>;
  /** Everything after `--`, for commands that run another command. */
  rest: string[];
}

export interface CommandDefinition<Flags extends Record<string, Flag>, P extends readonly Positional[]> {
  positionals: P;
  flags: Flags;
  /** Takes `-- <command> [args...]`. */
  passthrough?: boolean;
  description?: string;
  examples?: string[];
  run(ctx: Context, input: ParsedInput<Flags, P>): Promise<number>;
}

/** A command with its types erased, as the command table, the parser and the help see it. */
export interface Command {
  positionals: readonly Positional[];
  flags: Record<string, Flag>;
  passthrough?: boolean;
  description?: string;
  examples?: string[];
  run(
    ctx: Context,
    input: { flags: Record<string, unknown>; positionals: readonly unknown[]; rest: string[] },
  ): Promise<number>;
}

export function defineCommand<
  const Flags extends Record<string, Flag>,
  const P extends readonly Positional[],
>(definition: CommandDefinition<Flags, P>): Command {
  return definition as unknown as Command;
}
