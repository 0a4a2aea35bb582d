// The zsh completion script (see spec.ts for where its data comes from).

import { type CompletionSpec, type FlagSpec, header, quote, type Slot, USER_PROVIDERS_FILE } from "./spec.ts";

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

export function zshScript(spec: CompletionSpec): string {
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
