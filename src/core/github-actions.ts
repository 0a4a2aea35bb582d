// Under GitHub Actions every token is announced with `::add-mask::` before it can appear anywhere,
// so the runner hides it from the job's logs. The runner reads workflow commands from a step's
// stdout and stderr alike; oauthx writes them to stderr so `$(oauthx token …)` captures only the
// token.

import type { Context } from "./context.ts";

export function maskForGitHubActions(ctx: Context, ...secrets: (string | undefined)[]): void {
  if (ctx.env.GITHUB_ACTIONS !== "true") return;
  for (const secret of secrets) {
    // A mask is per line; tokens have no newlines, but a multi-line value would leak its tail.
    for (const line of secret?.split(/\r?\n/) ?? []) if (line) ctx.stderr.write(`::add-mask::${line}\n`);
  }
}
