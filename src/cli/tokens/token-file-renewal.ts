// Keeps `exec --token-file` files current: each is rewritten shortly before its token would drop
// below the minimum lifetime, until the child exits.

import type { Context } from "../../core/context.ts";
import { maskForGitHubActions } from "../../core/github-actions.ts";
import { isFresh } from "../../core/token-manager.ts";
import { envId } from "../../providers/env-names.ts";
import type { TokenEntry } from "../../store/document.ts";
import { createTokenFile } from "./token-file.ts";

/** How often to look; a token is renewed once it would not survive the next look. */
const CHECK_EVERY_MS = 15_000;

export function keepTokenFiles(
  ctx: Context,
  providers: readonly string[],
  initial: ReadonlyMap<string, TokenEntry>,
  fresh: (provider: string) => (() => Promise<TokenEntry>) | undefined,
  minTtlSeconds: number,
): { env: Record<string, string>; stop(): void } {
  const env: Record<string, string> = {};
  const files = providers.map((provider) => {
    const file = createTokenFile(provider);
    file.write(initial.get(provider)!);
    env[`${envId(provider)}_TOKEN_FILE`] = file.path;
    return { provider, file, current: initial.get(provider)! };
  });
  // The convention names one file: the first provider's.
  env.BEARER_TOKEN_FILE = files[0]!.file.path;

  const timer = setInterval(async () => {
    for (const kept of files) {
      if (isFresh(kept.current, minTtlSeconds + CHECK_EVERY_MS / 1000, ctx.now())) continue;
      try {
        const token = await fresh(kept.provider)!();
        maskForGitHubActions(ctx, token.access_token);
        kept.file.write(token);
        kept.current = token;
      } catch (error) {
        ctx.stderr.write(
          `oauthx exec: could not renew the ${kept.provider} token file: ${(error as Error).message}\n`,
        );
      }
    }
  }, CHECK_EVERY_MS);
  timer.unref();
  return {
    env,
    stop() {
      clearInterval(timer);
      for (const kept of files) kept.file.remove();
    },
  };
}
