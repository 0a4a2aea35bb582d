// The bash completion script (see spec.ts for where its data comes from).

import { type CompletionSpec, header, longs, quote, type Slot, USER_PROVIDERS_FILE } from "./spec.ts";

function bashSlot(slot: Slot): string {
  if (slot.kind === "provider") return "@provider";
  if (slot.kind === "words") return slot.words.join(" ");
  return "@none";
}

export function bashScript(spec: CompletionSpec): string {
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
