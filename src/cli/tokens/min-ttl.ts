// `--min-ttl` asks for a token that stays valid at least that long. The token manager caps what it
// requires at half the lifetime the server issues tokens with (core/token-manager.ts
// requiredSeconds): a server whose tokens live 60 s cannot give one with 5 minutes left, and
// refreshing on every call would not help. When that cap weakens what the user explicitly asked
// for, say so on stderr (at each such call: a call is a process, and remembering that it was
// said would mean writing somewhere), so a long job is not surprised by a token that expires early.

import type { Context } from "../../core/context.ts";
import { issuedLifetime, requiredSeconds } from "../../core/token-manager.ts";
import { severityLabel } from "../../errors.ts";
import type { TokenEntry } from "../../store/document.ts";
import { formatDuration as duration } from "../output.ts";

export function warnIfMinTtlExceedsLifetime(
  ctx: Context,
  provider: string,
  minTtlSeconds: number | undefined,
  token: TokenEntry,
): void {
  if (minTtlSeconds === undefined) return;
  const lifetime = issuedLifetime(token);
  if (lifetime === undefined || requiredSeconds(token, minTtlSeconds) >= minTtlSeconds) return;
  const guaranteed = Math.floor(requiredSeconds(token, minTtlSeconds));
  ctx.stderr.write(
    `${severityLabel("warning", ctx.color)} --min-ttl ${duration(minTtlSeconds)} is more than ${provider}'s tokens can give: they live ${duration(lifetime)}, so tokens are handed out with at least ${duration(guaranteed)} left (half their life).\n` +
      "  → for a longer job, use `oauthx exec --serve` or `--token-file`, which renew the token as it runs.\n",
  );
}
