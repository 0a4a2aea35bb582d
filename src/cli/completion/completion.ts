// `oauthx completion bash|zsh|fish`: a completion script for the shell, printed on stdout.
//
// The script is generated from the command table (completion/spec.ts). Provider ids: the
// built-ins are written into the script; when the user has a providers file, the script asks
// `oauthx completion --providers` (built-in and the user's own, through the registry) at
// completion time, so new providers complete without regenerating anything. Without a providers
// file completion starts no process at all.

import { OauthxError } from "../../errors.ts";
import { loadRegistry } from "../../providers/registry.ts";
import { defineCommand } from "../command.ts";
import { bashScript } from "./bash.ts";
import { fishScript } from "./fish.ts";
import { type CompletionSpec, completionSpec, SHELLS, type Shell } from "./spec.ts";
import { zshScript } from "./zsh.ts";

export function completionScript(shell: Shell, spec: CompletionSpec): string {
  if (shell === "bash") return bashScript(spec);
  if (shell === "zsh") return zshScript(spec);
  return fishScript(spec);
}

export const command = defineCommand({
  positionals: [{ name: "shell", kind: "words", words: SHELLS, optional: true }],
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
      const registry = await loadRegistry(ctx.home, { env: ctx.env });
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
    ctx.stdout.write(completionScript(shell, await completionSpec()));
    return 0;
  },
});
