// CI mode: credentials from a refresh token in the environment (OAUTHX_<ID>_REFRESH_TOKEN), held
// in memory only. Two duties beyond the token manager:
//   - Masking. Under GitHub Actions every token is announced with `::add-mask::` before it can
//     appear anywhere. The runner reads workflow commands from a step's stdout and stderr alike;
//     oauthx writes them to stderr so `$(oauthx token …)` captures only the token.
//   - Rotation. When the server rotates the refresh token, the seeded one is spent. The new one is
//     handed on stdin (never argv or env) to the command in OAUTHX_ON_ROTATE — e.g.
//     `gh secret set OAUTHX_GITHUB_REFRESH_TOKEN` — or, with no hook, a loud warning says so.

import type { Context } from "../core/context.ts";
import { scrubbedEnv } from "../platform/child-env.ts";
import { oauthxVar } from "../providers/env-names.ts";

export function maskForGitHubActions(ctx: Context, ...secrets: (string | undefined)[]): void {
  if (ctx.env.GITHUB_ACTIONS !== "true") return;
  for (const secret of secrets) {
    // A mask is per line; tokens have no newlines, but a multi-line value would leak its tail.
    for (const line of secret?.split(/\r?\n/) ?? []) if (line) ctx.stderr.write(`::add-mask::${line}\n`);
  }
}

export function rotationHandler(ctx: Context) {
  return async (provider: string, _profile: string, refreshToken: string): Promise<void> => {
    maskForGitHubActions(ctx, refreshToken);
    const variable = oauthxVar(provider, "REFRESH_TOKEN");
    const hook = ctx.env.OAUTHX_ON_ROTATE;
    if (!hook) {
      ctx.stderr.write(
        `warning: ${provider} rotated its refresh token: the one in ${variable} is now spent and the next run will fail.\n` +
          "  → set OAUTHX_ON_ROTATE to a command that stores the new token from its stdin (see README, CI).\n",
      );
      return;
    }
    const status = await runHook(hook, refreshToken, {
      ...scrubbedEnv(ctx.env),
      OAUTHX_ROTATED_PROVIDER: provider,
      OAUTHX_ROTATED_VARIABLE: variable,
    });
    if (status !== 0) {
      ctx.stderr.write(
        `warning: OAUTHX_ON_ROTATE exited with ${status}: the rotated ${provider} refresh token may not have been saved, and ${variable} is spent.\n`,
      );
    }
  };
}

/** Runs the hook through the shell (it is the user's own command line) with the token on stdin. */
// node:child_process is imported here, not at the top: loading it costs the warm `token` path
// ~2 ms on Bun (bench/RESULTS.md), and only a rotation needs it.
async function runHook(hook: string, secret: string, env: Record<string, string>): Promise<number> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn(hook, { shell: true, stdio: ["pipe", "inherit", "inherit"], env });
    child.once("error", () => resolve(127));
    child.once("exit", (code, signal) => resolve(signal ? 128 : (code ?? 1)));
    child.stdin.on("error", () => {});
    child.stdin.end(`${secret}\n`);
  });
}
