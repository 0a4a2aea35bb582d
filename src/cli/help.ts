// Help and usage text. Built from the command table and each command's flags, so it cannot drift
// from what the parser accepts.

import type { Command, Flag, Positional } from "./command.ts";
import { type CommandEntry, commands } from "./commands.ts";

/** The general help; `topics` are help-topics.ts HELP_TOPICS, passed in so that it loads only with help. */
export function generalHelp(version: string, topics: Readonly<Record<string, string>>): string {
  const help = { name: "help", summary: "Show help for a command or a topic: oauthx help <command|topic>" };
  const rows = [...commands, help];
  const width = Math.max(
    ...rows.map((entry) => entry.name.length),
    ...Object.keys(topics).map((t) => t.length),
  );
  return [
    `oauthx ${version}: OAuth 2.0 tokens for command-line work`,
    "",
    "Usage: oauthx <command> [flags]",
    "",
    "Commands:",
    ...rows.map((entry) => `  ${entry.name.padEnd(width)}  ${entry.summary}`),
    "",
    "Topics (oauthx help <topic>):",
    ...Object.entries(topics).map(([topic, summary]) => `  ${topic.padEnd(width)}  ${summary}`),
    "",
    "Flags:",
    "  -h, --help     Show help (also: oauthx <command> --help)",
    "  -V, --version  Show version, runtime and target",
    "",
    "Environment: OAUTHX_HOME (default ~/.config/oauthx), NO_COLOR and more: oauthx help environment.",
    "",
  ].join("\n");
}

/** `oauthx help --help`: help is no command of the table, so its usage is written here. */
export function helpCommandHelp(topics: Readonly<Record<string, string>>): string {
  return [
    "Show help for a command or a topic.",
    "",
    "Usage: oauthx help [command|topic]",
    "",
    "Without a word, the commands and topics; with a command, its flags (as oauthx <command> --help).",
    `Topics: ${Object.keys(topics).join(", ")}.`,
    "",
    "Flags:",
    "  -h, --help  Show this help",
    "",
  ].join("\n");
}

export function synopsis(entry: CommandEntry, command: Command): string {
  const args = positionalsLabel(command.positionals);
  const flags = Object.keys(command.flags).length > 0 ? ["[flags]"] : [];
  const rest = command.passthrough ? ["-- <command> [args...]"] : [];
  return ["oauthx", entry.name, ...args, ...flags, ...rest].join(" ");
}

/**
 * `<provider>`, `[provider]`, `<provider>...`, `<bash|zsh|fish>`. An optional literal word opens
 * a group with what follows it: `[show <provider>]` (the provider goes with `show`).
 */
export function positionalsLabel(positionals: readonly Positional[]): string[] {
  const labels: string[] = [];
  for (const [index, positional] of positionals.entries()) {
    const words = positional.words ?? [];
    if (positional.kind === "words" && positional.optional && words.length === 1) {
      const rest = positionals.slice(index + 1).map((next) => label({ ...next, optional: false }));
      labels.push(`[${[words[0], ...rest].join(" ")}]`);
      break;
    }
    labels.push(label(positional));
  }
  return labels;
}

function label(positional: Positional): string {
  const name = positional.kind === "words" ? (positional.words ?? []).join("|") : positional.name;
  const text = positional.optional ? `[${name}]` : `<${name}>`;
  return positional.repeat ? `${text}...` : text;
}

function flagLabel(name: string, flag: Flag): string {
  const short = flag.short ? `-${flag.short}, ` : "    ";
  const value = flag.type === "string" ? ` ${flag.value}` : "";
  return `${short}--${name}${value}`;
}

export function commandHelp(entry: CommandEntry, command: Command): string {
  const labels = Object.entries(command.flags).map(
    ([name, flag]) => [flagLabel(name, flag), flag.help] as const,
  );
  labels.push(["-h, --help", "Show this help"]);
  const width = Math.max(...labels.map(([label]) => label.length));
  return [
    `${entry.summary}.`,
    "",
    `Usage: ${synopsis(entry, command)}`,
    ...(command.description ? ["", command.description] : []),
    "",
    "Flags:",
    ...labels.map(([label, help]) => `  ${label.padEnd(width)}  ${help}`),
    ...(command.examples?.length ? ["", "Examples:", ...command.examples.map((line) => `  ${line}`)] : []),
    "",
  ].join("\n");
}
