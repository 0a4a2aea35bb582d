// `oauthx completion bash|zsh|fish`: a completion script for the shell, printed on stdout.
//
// The script is generated from the command table and each command's flags and positional
// synopsis (`args`), the same data the parser and the help use, so it cannot drift from what oauthx
// accepts. Provider ids: the built-ins are written into the script; when the user has a providers
// file, the script asks `oauthx completion --providers` (built-in and the user's own, through the
// registry) at completion time, so new providers complete without regenerating anything. Without a
// providers file completion starts no process at all.

import { OauthxError } from "../errors.ts";
import { builtinProviders } from "../providers/generated/index.ts";
import { loadRegistry, USER_PROVIDERS_FILE } from "../providers/registry.ts";
import type { Command } from "./command.ts";
import { commands } from "./commands.ts";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** What one positional argument completes to. */
export type Slot = { kind: "provider" } | { kind: "words"; words: string[] } | { kind: "none" };

export interface FlagSpec {
  name: string;
  short?: string;
  takesValue: boolean;
  multiple: boolean;
  help: string;
  values: "provider" | "file" | "none";
}

export interface CommandSpec {
  name: string;
  summary: string;
  flags: FlagSpec[];
  slots: Slot[];
  /** The last slot repeats (`<provider>...`). */
  repeats: boolean;
  passthrough: boolean;
}

export interface CompletionSpec {
  commands: CommandSpec[];
  providers: string[];
}

const SAFE_WORD = /^[A-Za-z0-9._:=+-]+$/;

/**
 * Positional slots from a synopsis: `[show <provider>]` -> the word `show`, then a provider;
 * `<bash|zsh|fish>` -> one of those words; `<provider>`/`[provider]` -> a provider; any other
 * placeholder completes to nothing.
 */
export function slotsOf(args: string): Slot[] {
  return args
    .split(/\s+/)
    .filter((token) => token !== "")
    .map((token): Slot => {
      const bare = token.replace(/[[\]<>.]/g, "");
      if (bare === "provider") return { kind: "provider" };
      const words = bare.split("|");
      const literal = words.length > 1 || !token.includes("<");
      return literal && words.every((word) => SAFE_WORD.test(word))
        ? { kind: "words", words }
        : { kind: "none" };
    });
}

function flagValues(value: string | undefined): FlagSpec["values"] {
  if (value === "PROVIDER") return "provider";
  if (value === "FILE" || value === "PATH" || value === "DIR") return "file";
  return "none";
}

function commandSpec(name: string, summary: string, command: Command): CommandSpec {
  const flags: FlagSpec[] = Object.entries(command.flags).map(([flag, definition]) => ({
    name: flag,
    ...(definition.short ? { short: definition.short } : {}),
    takesValue: definition.type === "string",
    multiple: definition.multiple === true,
    help: definition.help,
    values: definition.type === "string" ? flagValues(definition.value) : "none",
  }));
  // main.ts gives every command --help.
  flags.push({
    name: "help",
    short: "h",
    takesValue: false,
    multiple: false,
    help: "Show help",
    values: "none",
  });
  return {
    name,
    summary,
    flags,
    slots: slotsOf(command.args),
    repeats: command.args.trimEnd().endsWith("..."),
    passthrough: command.passthrough === true,
  };
}

/** The completion data: every command of the table (modules loaded), and the built-in providers. */
export async function completionSpec(): Promise<CompletionSpec> {
  const specs = await Promise.all(
    commands.map(async (entry) => commandSpec(entry.name, entry.summary, await entry.load())),
  );
  specs.push({
    name: "help",
    summary: "Show help for a command",
    flags: [],
    slots: [{ kind: "words", words: commands.map((entry) => entry.name) }],
    repeats: false,
    passthrough: false,
  });
  const providers = Object.keys(builtinProviders)
    .filter((id) => SAFE_WORD.test(id))
    .sort();
  return { commands: specs.filter((spec) => SAFE_WORD.test(spec.name)), providers };
}

export function completionScript(shell: Shell, spec: CompletionSpec): string {
  if (shell === "bash") return bashScript(spec);
  if (shell === "zsh") return zshScript(spec);
  return fishScript(spec);
}

export const command: Command = {
  args: "<bash|zsh|fish>",
  positionals: { min: 0, max: 1 },
  flags: {
    providers: {
      type: "boolean",
      help: "Print the provider ids, built-in and your own, one a line (the scripts call this)",
    },
  },
  description: [
    "Prints a completion script for commands, flags and provider ids. Load it:",
    "  bash  source <(oauthx completion bash)         (in ~/.bashrc)",
    "  zsh   source <(oauthx completion zsh)          (in ~/.zshrc, after compinit)",
    "  fish  oauthx completion fish | source          (in ~/.config/fish/config.fish)",
  ].join("\n"),
  examples: [
    "oauthx completion bash > ~/.local/share/bash-completion/completions/oauthx",
    "oauthx completion zsh > ~/.zfunc/_oauthx",
    "oauthx completion fish > ~/.config/fish/completions/oauthx.fish",
  ],
  async run(ctx, { flags, positionals }) {
    if (flags.providers === true) {
      const registry = await loadRegistry(ctx.home);
      ctx.stdout.write(
        registry
          .ids()
          .map((id) => `${id}\n`)
          .join(""),
      );
      return 0;
    }
    const [shell] = positionals;
    if (shell === undefined) throw new OauthxError("USAGE", "missing argument: <bash|zsh|fish>");
    if (!(SHELLS as readonly string[]).includes(shell)) {
      throw new OauthxError("USAGE", `unknown shell "${shell}" (bash, zsh or fish)`);
    }
    ctx.stdout.write(completionScript(shell as Shell, await completionSpec()));
    return 0;
  },
};

// --- shared shell pieces ----------------------------------------------------------------------

/** Single-quoted for sh, bash, zsh. */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function longs(flags: FlagSpec[], filter: (flag: FlagSpec) => boolean = () => true): string[] {
  return flags
    .filter(filter)
    .flatMap((flag) => [`--${flag.name}`, ...(flag.short ? [`-${flag.short}`] : [])]);
}

const header = (shell: Shell, load: string) =>
  [
    `# oauthx completion for ${shell}, generated by \`oauthx completion ${shell}\`.`,
    `# Load it: ${load}`,
    `# Provider ids: the built-ins below, or \`oauthx completion --providers\` when $OAUTHX_HOME/${USER_PROVIDERS_FILE} exists.`,
  ].join("\n");

// --- bash ---------------------------------------------------------------------------------------

function bashSlot(slot: Slot): string {
  if (slot.kind === "provider") return "@provider";
  if (slot.kind === "words") return slot.words.join(" ");
  return "@none";
}

function bashScript(spec: CompletionSpec): string {
  const top = [...spec.commands.map((command) => command.name), "-h", "--help", "-V", "--version"];
  const arms = spec.commands.map((command) => {
    const vars = [
      `flags=${quote(longs(command.flags).join(" "))}`,
      `valued=${quote(longs(command.flags, (flag) => flag.takesValue).join(" "))}`,
      `provider_flags=${quote(longs(command.flags, (flag) => flag.values === "provider").join(" "))}`,
      `file_flags=${quote(longs(command.flags, (flag) => flag.values === "file").join(" "))}`,
      `slots=(${command.slots.map((slot) => quote(bashSlot(slot))).join(" ")})`,
      ...(command.repeats ? ["repeats=1"] : []),
      ...(command.passthrough ? ["passthrough=1"] : []),
    ];
    return `    ${command.name}) ${vars.join("; ")} ;;`;
  });
  return `${header("bash", "source <(oauthx completion bash)")}

_oauthx_builtin_providers=(${spec.providers.join(" ")})

# Provider ids, one a line. $1: the oauthx being completed.
_oauthx_providers() {
  local home=\${OAUTHX_HOME:-}
  if [[ -z $home ]]; then
    if [[ \${XDG_CONFIG_HOME:-} == /* ]]; then home=$XDG_CONFIG_HOME/oauthx; else home=$HOME/.config/oauthx; fi
  fi
  if [[ -f $home/${USER_PROVIDERS_FILE} ]]; then
    local ids
    if ids=$(command "$1" completion --providers 2>/dev/null) && [[ -n $ids ]]; then
      printf '%s\\n' "$ids"
      return
    fi
  fi
  printf '%s\\n' "\${_oauthx_builtin_providers[@]}"
}

# COMPREPLY+=(each line of \`compgen "$@"\`): no word splitting or globbing, and bash 3.2 has no mapfile.
_oauthx_reply() {
  local line
  while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen "$@")
}

_oauthx_files() {
  compopt -o filenames 2>/dev/null
  _oauthx_reply -f -- "$1"
}

_oauthx() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  if ((COMP_CWORD == 1)); then
    _oauthx_reply -W ${quote(top.join(" "))} -- "$cur"
    return 0
  fi
  local flags='' valued='' provider_flags='' file_flags='' repeats='' passthrough='' slots=()
  case \${COMP_WORDS[1]} in
${arms.join("\n")}
    *) return 0 ;;
  esac
  # Count the positionals before the word being completed; skip flags and their values.
  local i word n=0 skip=0
  for ((i = 2; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if ((skip)); then skip=0; continue; fi
    if [[ $word == -- && -n $passthrough ]]; then
      # The command oauthx runs, then its arguments.
      if ((i == COMP_CWORD - 1)); then _oauthx_reply -c -- "$cur"; else _oauthx_files "$cur"; fi
      return 0
    fi
    if [[ " $valued " == *" $word "* ]]; then skip=1; continue; fi
    [[ $word == -* ]] || ((n++))
  done
  if ((skip)); then
    if [[ " $provider_flags " == *" $prev "* ]]; then
      _oauthx_reply -W "$(_oauthx_providers "$1")" -- "$cur"
    elif [[ " $file_flags " == *" $prev "* ]]; then
      _oauthx_files "$cur"
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    _oauthx_reply -W "$flags\${passthrough:+ --}" -- "$cur"
    return 0
  fi
  local slot=\${slots[n]:-@none}
  if ((n >= \${#slots[@]})) && [[ -n $repeats ]]; then slot=\${slots[\${#slots[@]} - 1]}; fi
  case $slot in
    @none) ;;
    @provider) _oauthx_reply -W "$(_oauthx_providers "$1")" -- "$cur" ;;
    *) _oauthx_reply -W "$slot" -- "$cur" ;;
  esac
  return 0
}

complete -F _oauthx oauthx
`;
}

// --- zsh ----------------------------------------------------------------------------------------

/** Text inside an _arguments `[...]` explanation. */
function zshHelp(text: string): string {
  return text.replace(/[[\]\\]/g, (char) => `\\${char}`);
}

function zshFlag(flag: FlagSpec): string {
  const help = `[${zshHelp(flag.help)}]`;
  const action = flag.values === "provider" ? "_oauthx_providers" : flag.values === "file" ? "_files" : " ";
  const argument = flag.takesValue ? `:${flag.name}:${action}` : "";
  const names = flag.short ? [`-${flag.short}`, `--${flag.name}`] : [`--${flag.name}`];
  const exclusion = flag.multiple ? "*" : names.length > 1 ? `(${names.join(" ")})` : "";
  if (names.length === 1) return quote(`${exclusion}${names[0]}${help}${argument}`);
  return `${quote(exclusion)}{${names.join(",")}}${quote(`${help}${argument}`)}`;
}

function zshSlot(slot: Slot, index: number, repeats: boolean): string {
  const action =
    slot.kind === "provider"
      ? "_oauthx_providers"
      : slot.kind === "words"
        ? `(${slot.words.join(" ")})`
        : " ";
  return quote(
    `${repeats ? "*" : index + 1}:${slot.kind === "provider" ? "provider" : "argument"}:${action}`,
  );
}

function zshScript(spec: CompletionSpec): string {
  const described = spec.commands.map((command) => quote(`${command.name}:${command.summary}`));
  const arms = spec.commands.map((command) => {
    const last = command.slots.length - 1;
    const specs = [
      ...command.flags.map(zshFlag),
      ...command.slots.map((slot, index) => zshSlot(slot, index, command.repeats && index === last)),
    ];
    const indent = command.passthrough ? "              " : "            ";
    const parse = `_arguments -s \\\n${indent}${specs.join(` \\\n${indent}`)}`;
    if (!command.passthrough) return `        ${command.name})\n          ${parse} ;;`;
    // After \`--\`: the command oauthx runs, completed as if typed on its own.
    return [
      `        ${command.name})`,
      `          local dashes=\${words[(I)--]}`,
      "          if (( dashes > 0 && dashes < CURRENT )); then",
      `            words=("\${(@)words[dashes + 1, -1]}")`,
      "            (( CURRENT -= dashes ))",
      "            _normal",
      "          else",
      `            ${parse}`,
      "          fi ;;",
    ].join("\n");
  });
  return `#compdef oauthx
${header("zsh", "source <(oauthx completion zsh)   (after compinit), or save as _oauthx on $fpath")}

_oauthx_builtin_providers=(${spec.providers.join(" ")})

_oauthx_providers() {
  local home=\${OAUTHX_HOME:-}
  if [[ -z $home ]]; then
    if [[ \${XDG_CONFIG_HOME:-} == /* ]]; then home=$XDG_CONFIG_HOME/oauthx; else home=$HOME/.config/oauthx; fi
  fi
  local -a ids
  if [[ -f $home/${USER_PROVIDERS_FILE} ]]; then
    ids=(\${(f)"$(command \${_oauthx_self:-oauthx} completion --providers 2>/dev/null)"})
  fi
  (( \${#ids} )) || ids=($_oauthx_builtin_providers)
  local expl
  _wanted providers expl provider compadd -a ids
}

_oauthx() {
  local curcontext=$curcontext state line ret=1
  local _oauthx_self=$words[1]
  local -a commands
  commands=(
    ${described.join("\n    ")}
  )
  _arguments -C \\
    '(- *)'{-h,--help}'[Show help]' \\
    '(- *)'{-V,--version}'[Show version, runtime and target]' \\
    '1:command:->command' \\
    '*::argument:->argument' && ret=0
  case $state in
    command)
      _describe -t commands 'oauthx command' commands && ret=0
      ;;
    argument)
      curcontext=\${curcontext%:*:*}:oauthx-$words[1]:
      case $words[1] in
${arms.join("\n")}
      esac
      ret=$?
      ;;
  esac
  return ret
}

if [[ $funcstack[1] == _oauthx ]]; then
  _oauthx "$@"
else
  compdef _oauthx oauthx
fi
`;
}

// --- fish ---------------------------------------------------------------------------------------

function fishScript(spec: CompletionSpec): string {
  const lines: string[] = [
    "complete -c oauthx -f",
    "complete -c oauthx -n __fish_use_subcommand -s h -l help -d 'Show help'",
    "complete -c oauthx -n __fish_use_subcommand -s V -l version -d 'Show version, runtime and target'",
  ];
  for (const command of spec.commands) {
    lines.push(`complete -c oauthx -n __fish_use_subcommand -a ${command.name} -d ${quote(command.summary)}`);
  }
  for (const command of spec.commands) {
    const when = `__oauthx_is ${command.name}`;
    const valued = longs(command.flags, (flag) => flag.takesValue).join(" ");
    for (const flag of command.flags) {
      const parts = [`complete -c oauthx -n ${quote(when)}`];
      if (flag.short) parts.push(`-s ${flag.short}`);
      parts.push(`-l ${flag.name}`);
      if (flag.values === "provider") parts.push("-x -a '(__oauthx_providers)'");
      else if (flag.values === "file") parts.push("-r -F");
      else if (flag.takesValue) parts.push("-x");
      parts.push(`-d ${quote(flag.help)}`);
      lines.push(parts.join(" "));
    }
    const last = command.slots.length - 1;
    const notAfterDashes = command.passthrough ? "; and not contains -- -- (commandline -opc)" : "";
    command.slots.forEach((slot, index) => {
      if (slot.kind === "none") return;
      const position = command.repeats && index === last ? `${index}+` : `${index}`;
      const condition = quote(
        `${when}${notAfterDashes}; and __oauthx_slot ${position}${valued ? ` ${valued}` : ""}`,
      );
      const values = slot.kind === "provider" ? "'(__oauthx_providers)'" : quote(slot.words.join(" "));
      lines.push(`complete -c oauthx -n ${condition} -a ${values}`);
    });
    if (command.passthrough) {
      lines.push(
        `complete -c oauthx -n ${quote(`${when}; and contains -- -- (commandline -opc)`)} -a '(__oauthx_after_dashes)'`,
      );
    }
  }
  return `${header("fish", "oauthx completion fish | source")}

function __oauthx_providers
    set -l home $OAUTHX_HOME
    if test -z "$home"
        if string match -q -- '/*' "$XDG_CONFIG_HOME"
            set home $XDG_CONFIG_HOME/oauthx
        else
            set home $HOME/.config/oauthx
        end
    end
    if test -f $home/${USER_PROVIDERS_FILE}
        set -l self (commandline -opc)[1]
        set -l ids (command $self completion --providers 2>/dev/null)
        and test (count $ids) -gt 0
        and printf '%s\\n' $ids
        and return
    end
    printf '%s\\n' ${spec.providers.join(" ")}
end

# After \`--\`: what fish would complete for the command oauthx runs, typed on its own.
function __oauthx_after_dashes
    set -l words (commandline -opc)
    set -l at (contains -i -- -- $words)
    complete -C (string join ' ' -- (string escape -- $words[(math $at + 1)..-1]) (commandline -ct))
end

# True when the command line's command is $argv[1].
function __oauthx_is
    set -l words (commandline -opc)
    test (count $words) -ge 2; and test "$words[2]" = "$argv[1]"
end

# __oauthx_slot N [flags that take a value...]: true when the word being completed is the
# command's positional number N (from 0); N+ for N or later.
function __oauthx_slot
    set -l want $argv[1]
    set -l valued $argv[2..-1]
    set -l n 0
    set -l skip 0
    for word in (commandline -opc)[3..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        if contains -- $word $valued
            set skip 1
            continue
        end
        string match -q -- '-*' $word; or set n (math $n + 1)
    end
    test $skip -eq 0; or return 1
    if string match -q -- '*+' $want
        test $n -ge (string trim -r -c + -- $want)
    else
        test $n -eq $want
    end
end

${lines.join("\n")}
`;
}
