// Duration flags (`--min-ttl`, `--timeout`): `90`, `90s`, `5m`, `1h`, `500ms`.

import { OauthxError } from "../errors.ts";

/** Parses `--min-ttl` durations: `90`, `90s`, `5m`, `1h`. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) {
    throw new OauthxError("USAGE", `${flag} takes a duration like 90s, 5m or 1h, not "${value}"`);
  }
  const amount = Number(match[1]);
  const unit = match[2] ?? "s";
  const seconds =
    unit === "ms" ? amount / 1000 : unit === "s" ? amount : unit === "m" ? amount * 60 : amount * 3600;
  return seconds;
}
