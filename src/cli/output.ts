// Shared output shapes: what `token --json` and friends print. Tokens go to stdout only, and
// only where the command's purpose is to print them.

import type { Context } from "../core/context.ts";
import type { TokenEntry } from "../store/document.ts";

export function printTokenEntry(
  ctx: Context,
  options: { provider: string; profile: string; token: TokenEntry; json: boolean },
): void {
  const { provider, profile, token } = options;
  if (!options.json) {
    ctx.stdout.write(`${token.access_token}\n`);
    return;
  }
  ctx.stdout.write(
    `${JSON.stringify({
      access_token: token.access_token,
      token_type: token.token_type,
      expires_at: token.expires_at === undefined ? null : new Date(token.expires_at * 1000).toISOString(),
      scopes: token.scopes,
      provider,
      profile,
    })}\n`,
  );
}

/** "in 5m", "in 2h 3m", "3m ago". */
export function relativeTime(seconds: number): string {
  const abs = Math.abs(Math.round(seconds));
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  const text = h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m` : `${s}s`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

/** Whole seconds as the duration flags take them: "45s", "5m", "1m30s", "2h", "1h5m". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts = [h > 0 ? `${h}h` : "", m > 0 ? `${m}m` : "", s > 0 && h === 0 ? `${s}s` : ""];
  return parts.join("") || "0s";
}

export function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return `${rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
