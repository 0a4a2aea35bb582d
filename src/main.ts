// argv -> command; error -> message + exit code. Nothing else (docs/architecture.md "Commands").

import process from "node:process";
import type { ParseArgsOptionsConfig } from "node:util";
import packageJson from "../package.json" with { type: "json" };
import type { Command, Positional } from "./cli/command.ts";
import { type CommandEntry, commands, findCommand } from "./cli/commands.ts";
import { commandHelp, generalHelp, helpCommandHelp, synopsis } from "./cli/help.ts";
import { processContext } from "./cli/process-context.ts";
import type { Context } from "./core/context.ts";
import { EXIT, OauthxError, severityLabel, toOauthxError } from "./errors.ts";
import { runtimeInfo } from "./platform/runtime.ts";
import { drained } from "./platform/standard-streams.ts";
import { closest } from "./suggest.ts";

export const VERSION: string = packageJson.version;

export function versionText(): string {
  const runtime = runtimeInfo();
  const build = runtime.compiled ? "compiled" : "source";
  const note = runtime.note === undefined ? "" : `${runtime.note}\n`;
  return `oauthx ${VERSION}\n${runtime.name} ${runtime.version}; ${runtime.target}; ${build}\n${note}`;
}

export async function main(argv: readonly string[], ctx: Context): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    const { HELP_TOPICS, isHelpTopic, topicHelp } = await import("./cli/help-topics.ts");
    if (topic === undefined) {
      (first === undefined ? ctx.stderr : ctx.stdout).write(generalHelp(VERSION, HELP_TOPICS));
      return first === undefined ? EXIT.usage : EXIT.ok;
    }
    if (topic === "--help" || topic === "-h" || topic === "help") {
      ctx.stdout.write(helpCommandHelp(HELP_TOPICS));
      return EXIT.ok;
    }
    if (isHelpTopic(topic)) {
      ctx.stdout.write(await topicHelp(topic));
      return EXIT.ok;
    }
    if (!findCommand(topic)) {
      const guess = closest(topic, [...commands.map((command) => command.name), ...Object.keys(HELP_TOPICS)]);
      ctx.stderr.write(
        `${severityLabel("error", ctx.color)} no command or help topic "${topic}"${guess ? `; did you mean "${guess}"?` : ""}\nRun \`oauthx help\` for the commands and topics.\n`,
      );
      return EXIT.usage;
    }
    return main([topic, "--help"], ctx);
  }
  if (first === "-V" || first === "--version") {
    ctx.stdout.write(versionText());
    return EXIT.ok;
  }
  const entry = findCommand(first);
  if (!entry) {
    const guess = closest(
      first,
      commands.map((command) => command.name),
    );
    const split = rest.indexOf("--");
    if ((split === -1 ? rest : rest.slice(0, split)).includes("--json")) {
      const message = `unknown command "${first}"${guess ? `; did you mean "${guess}"?` : ""}`;
      reportError(
        ctx,
        new OauthxError("USAGE", message, { remedy: "run `oauthx --help` for the commands" }),
        true,
      );
      return EXIT.usage;
    }
    ctx.stderr.write(
      `${severityLabel("error", ctx.color)} unknown command "${first}"${guess ? `; did you mean "${guess}"?` : ""}\nRun \`oauthx --help\` for the commands.\n`,
    );
    return EXIT.usage;
  }
  const command = await entry.load();
  // Only oauthx's own words: after `--` they are the child's (`exec p -- cmd --json`).
  const wantsJson = "json" in command.flags && ownWords(command, rest).includes("--json");
  try {
    const input = await parseInput(entry, command, rest);
    if (input === "help") {
      ctx.stdout.write(commandHelp(entry, command));
      return EXIT.ok;
    }
    return await command.run(ctx, input);
  } catch (thrown) {
    let error = toOauthxError(thrown);
    // In CI mode no remedy names `oauthx login` (core/ci-remedy.ts); loaded only on this path.
    if (error.remedy?.includes("oauthx login"))
      error = (await import("./core/ci-remedy.ts")).inCiTerms(error, ctx.env);
    if (error.code === "USAGE" && !wantsJson)
      return usageError(ctx, error, synopsis(entry, command), entry.name);
    reportError(ctx, usageRemedy(error, entry, command), wantsJson);
    if (ctx.env.OAUTHX_DEBUG && error.cause)
      ctx.stderr.write(`${(error.cause as Error)?.stack ?? error.cause}\n`);
    return error.exitCode;
  }
}

async function parseInput(
  entry: CommandEntry,
  command: Command,
  argv: readonly string[],
): Promise<ParsedArgv | "help"> {
  const own = ownWords(command, argv);
  const rest = own.length === argv.length ? [] : argv.slice(own.length + 1);
  // Without a flag there is nothing for parseArgs to do, and loading node:util is a measurable part
  // of a warm `oauthx token github` on Bun (docs/performance.md): the words are the positionals.
  const parsed = own.some((word) => word.startsWith("-"))
    ? await parseFlags(command, own)
    : { values: {}, positionals: own };
  if (parsed.values.help) return "help";
  // logout takes any name, so that a login made under a name an older oauthx let through can go.
  const profile = parsed.values.profile;
  if (typeof profile === "string" && entry.name !== "logout") checkProfileName(profile);
  const positionals = positionalValues(command.positionals, parsed.positionals);
  if (command.passthrough && rest.length === 0) {
    throw new OauthxError(
      "USAGE",
      `missing the command to run after "--" (oauthx ${entry.name} … -- <command>)`,
    );
  }
  const { help: _help, ...flags } = parsed.values;
  return { flags, positionals, rest };
}

/**
 * A profile name is a word that needs no quoting where a remedy prints it (`--profile work`): the
 * store document takes any string, but a name with a space or a quote breaks the commands oauthx
 * prints for it.
 */
function checkProfileName(name: string): void {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) return;
  throw new OauthxError(
    "USAGE",
    `--profile ${JSON.stringify(name)} is not a profile name: letters, digits, ".", "_" and "-", up to 64, starting with a letter or digit`,
  );
}

/** The words that are oauthx's: all of them, or those before `--` for a command that runs another. */
function ownWords(command: Command, argv: readonly string[]): string[] {
  const split = command.passthrough ? argv.indexOf("--") : -1;
  return split === -1 ? [...argv] : argv.slice(0, split);
}

/** A usage error as JSON carries the synopsis as its remedy, as the plain form prints it. */
function usageRemedy(error: OauthxError, entry: CommandEntry, command: Command): OauthxError {
  if (error.code !== "USAGE" || error.remedy) return error;
  return new OauthxError("USAGE", error.message, {
    remedy: `usage: ${synopsis(entry, command)}; run \`oauthx ${entry.name} --help\` for more`,
  });
}

/** node:util parseArgs over the command's flags (strict: an unknown flag is a usage error). */
async function parseFlags(
  command: Command,
  own: string[],
): Promise<{ values: Record<string, unknown>; positionals: string[] }> {
  const { parseArgs } = await import("node:util");
  const options: ParseArgsOptionsConfig = { help: { type: "boolean", short: "h" } };
  for (const [name, flag] of Object.entries(command.flags)) {
    options[name] = {
      type: flag.type,
      ...(flag.short ? { short: flag.short } : {}),
      ...(flag.type === "string" && flag.multiple ? { multiple: true } : {}),
    };
  }
  try {
    return parseArgs({ args: own, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new OauthxError("USAGE", describeParseError(error, Object.keys(options), own));
  }
}

interface ParsedArgv {
  flags: Record<string, unknown>;
  positionals: (string | string[] | undefined)[];
  rest: string[];
}

/** Matches the words given to the command's declared positionals (command.ts Positional). */
function positionalValues(declared: readonly Positional[], given: string[]): ParsedArgv["positionals"] {
  const values: ParsedArgv["positionals"] = [];
  // Optional positionals take words only as far as the required ones leave some: in
  // `[provider] <action>`, one word is the action.
  let spare = given.length - declared.filter((positional) => !positional.optional).length;
  let next = 0;
  for (const positional of declared) {
    const takes = positional.repeat || !positional.optional || spare-- > 0;
    const value = positional.repeat ? given.slice(next) : takes ? given[next++] : undefined;
    const absent = value === undefined || (Array.isArray(value) && value.length === 0);
    if (absent && !positional.optional)
      throw new OauthxError("USAGE", `missing argument: <${positional.name}>`);
    for (const word of absent ? [] : [value].flat()) {
      if (positional.kind === "words" && !positional.words?.includes(word)) {
        throw new OauthxError(
          "USAGE",
          `unknown ${positional.name} "${word}" (${positional.words?.join(", ")})`,
        );
      }
    }
    values.push(value);
  }
  const extra = declared.at(-1)?.repeat ? undefined : given[next];
  if (extra !== undefined) throw new OauthxError("USAGE", `unexpected argument "${extra}"`);
  return values;
}

/** Node's parseArgs messages are long and mention internals; say what was wrong in our words. */
function describeParseError(error: unknown, known: string[], own: readonly string[]): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
    const guess = option.startsWith("--") ? closest(option.slice(2), known) : undefined;
    return `unknown flag ${option}${guess ? `; did you mean --${guess}?` : ""}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    if (message.includes("argument missing")) return `flag ${option} needs a value`;
    if (message.includes("ambiguous")) {
      // `--min-ttl -5m`: the value starts with "-", so parseArgs will not take it as one. Only a
      // short negative number is repeated; any other word might be a value not to print.
      const value = own[own.indexOf(option) + 1] ?? "";
      return /^-\d{1,9}[a-z]{0,2}$/.test(value)
        ? `flag ${option} cannot be negative ("${value}")`
        : `flag ${option} needs a value, and the word after it starts with "-" (write ${option}=VALUE if that is the value)`;
    }
    return `flag ${option} takes no value`;
  }
  return message.split("\n")[0] ?? "invalid arguments";
}

function usageError(ctx: Context, error: OauthxError, usage: string, command: string): number {
  const remedy = error.remedy ? `  → ${error.remedy}\n` : "";
  ctx.stderr.write(
    `${severityLabel("error", ctx.color)} ${error.message}\n${remedy}usage: ${usage}\nRun \`oauthx ${command} --help\` for more.\n`,
  );
  return EXIT.usage;
}

export function reportError(ctx: Context, error: OauthxError, json: boolean): void {
  if (json) {
    ctx.stderr.write(`${JSON.stringify(error.toJSON())}\n`);
    return;
  }
  ctx.stderr.write(`${severityLabel("error", ctx.color)} ${error.message} [${error.code}]\n`);
  if (error.remedy) ctx.stderr.write(`  → ${error.remedy}\n`);
}

if (import.meta.main) {
  const status = await main(process.argv.slice(2), processContext());
  // Exit as soon as the command is done: left to itself, the runtime first winds down its thread
  // pools (WebCrypto's among them), a measurable part of a warm `oauthx token` on Bun
  // (docs/performance.md). Output that had to go through a stream (a full pipe) is flushed first.
  await drained();
  process.exit(status);
}
