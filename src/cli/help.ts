// Help and usage text. Built from the command table and each command's flags, so it cannot drift
// from what the parser accepts.

import type { Command, Flag } from "./command.ts";
import { type CommandEntry, commands } from "./commands.ts";

export function generalHelp(version: string): string {
  const width = Math.max(...commands.map((entry) => entry.name.length));
  return [
    `oauthx ${version}: OAuth 2.0 tokens for command-line work`,
    "",
    "Usage: oauthx <command> [flags]",
    "",
    "Commands:",
    ...commands.map((entry) => `  ${entry.name.padEnd(width)}  ${entry.summary}`),
    "",
    "Flags:",
    "  -h, --help     Show help (also: oauthx <command> --help)",
    "  -V, --version  Show version, runtime and target",
    "",
    "Environment: OAUTHX_HOME (default ~/.config/oauthx), NO_COLOR. See README.md.",
    "",
  ].join("\n");
}

export function synopsis(entry: CommandEntry, command: Command): string {
  const flags = Object.keys(command.flags).length > 0 ? " [flags]" : "";
  const rest = command.passthrough ? " -- <command> [args...]" : "";
  return `oauthx ${entry.name}${command.args ? ` ${command.args}` : ""}${flags}${rest}`;
}

function flagLabel(name: string, flag: Flag): string {
  const short = flag.short ? `-${flag.short}, ` : "    ";
  const value = flag.type === "string" ? ` ${flag.value ?? "VALUE"}` : "";
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
