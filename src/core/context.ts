// What the core and every command touch, handed to them rather than reached for: output streams,
// environment, clock, stdin and whether a person is at the terminal. Runtime-neutral: the CLI builds
// one from the process (cli/process-context.ts), the library its own (sdk.ts), tests one with
// in-memory streams and a temporary OAUTHX_HOME (docs/architecture.md "Context").

import type { Output } from "../platform/standard-streams.ts";

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
  readLine(signal?: AbortSignal): Promise<string | undefined>;
  /** A person is at the terminal (stdin and stderr are TTYs): tables, prompts. */
  interactive: boolean;
  /**
   * Colour allowed on stderr: it is a terminal and NO_COLOR is unset or empty (https://no-color.org).
   * Only the "error:" and "warning:" labels use it (errors.ts severityLabel).
   */
  color: boolean;
}
