// The fish completion script (see spec.ts for where its data comes from).

import { type CompletionSpec, header, longs, quote, USER_PROVIDERS_FILE } from "./spec.ts";

export function fishScript(spec: CompletionSpec): string {
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
