// `oauthx status [provider]`: every stored login with its account, scopes, expiry, whether a
// refresh token is held, and its state. Reads only; never refreshes and never prints a token.

import { openSession } from "../core/session.ts";
import { CLOCK_SKEW_SECONDS } from "../core/token-manager.ts";
import { getEntry, type TokenEntry } from "../store/document.ts";
import type { Command } from "./command.ts";
import { relativeTime, table } from "./output.ts";

/** A token closer than this to its expiry is "expiring": the next use will refresh it. */
const EXPIRING_SECONDS = 5 * 60;

export type LoginState = "valid" | "expiring" | "expired" | "needs login";

export function loginState(entry: TokenEntry, nowMs: number): LoginState {
  if (entry.expires_at === undefined && entry.access_token !== "") return "valid";
  const left = (entry.expires_at ?? 0) - nowMs / 1000 - CLOCK_SKEW_SECONDS;
  if (left > EXPIRING_SECONDS) return "valid";
  if (left > 0) return "expiring";
  return entry.refresh_token ? "expired" : "needs login";
}

export const command: Command = {
  args: "[provider]",
  positionals: { min: 0, max: 1 },
  flags: {
    json: { type: "boolean", help: "Print JSON on stdout" },
  },
  async run(ctx, { flags, positionals }) {
    const only = positionals[0];
    const session = await openSession(ctx);
    if (only !== undefined) session.registry.get(only);
    const document = await session.store.read();
    const rows = [];
    for (const provider of Object.keys(document.profiles).sort()) {
      if (only !== undefined && provider !== only) continue;
      for (const profile of Object.keys(document.profiles[provider] ?? {}).sort()) {
        const entry = getEntry(document, provider, profile) as TokenEntry;
        const expiresIn =
          entry.expires_at === undefined ? null : Math.round(entry.expires_at - ctx.now() / 1000);
        rows.push({
          provider,
          profile,
          account: entry.account ?? null,
          scopes: entry.scopes,
          expires_in: expiresIn,
          refresh_token: entry.refresh_token !== undefined,
          state: loginState(entry, ctx.now()),
        });
      }
    }
    if (flags.json) {
      ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      ctx.stderr.write(
        `no logins${only ? ` for ${only}` : ""}; run \`oauthx login ${only ?? "<provider>"}\`\n`,
      );
      return 0;
    }
    const lines = rows.map((row) => [
      row.provider,
      row.profile,
      row.account ?? "-",
      row.state,
      row.expires_in === null ? "no expiry" : relativeTime(row.expires_in),
      row.refresh_token ? "yes" : "no",
      row.scopes.join(" ") || "-",
    ]);
    ctx.stdout.write(
      table([["PROVIDER", "PROFILE", "ACCOUNT", "STATE", "EXPIRES", "REFRESH", "SCOPES"], ...lines]),
    );
    return 0;
  },
};
