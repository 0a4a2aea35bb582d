// Duration flags (`--min-ttl`, `--timeout`): `90`, `90s`, `5m`, `1h`, `500ms`, and the units
// combined from largest to smallest, `1h30m`, `1m30s`: what output.ts formatDuration prints back.

import { OauthxError } from "../errors.ts";

/**
 * Parses a duration flag into seconds: `90` (seconds), `90s`, `5m`, `1h`, `1h30m`, `500ms`. With
 * `positive`, zero is refused too: a wait of nothing (`--timeout 0`) would only fail at once.
 */
export function parseDuration(value: string, flag: string, options: { positive?: boolean } = {}): number {
  const seconds = parseSeconds(value, flag);
  if (options.positive && seconds === 0) {
    throw new OauthxError(
      "USAGE",
      `${flag} must be more than zero ("${value}"); give a duration like 90s, 5m or 1h`,
    );
  }
  return seconds;
}

function parseSeconds(value: string, flag: string): number {
  const text = value.trim();
  if (/^-\d/.test(text)) {
    throw new OauthxError(
      "USAGE",
      `${flag} cannot be negative ("${value}"); give a duration like 90s, 5m or 1h`,
    );
  }
  if (/^\d+$/.test(text)) return Number(text);
  const parts = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (text === "" || !parts) {
    throw new OauthxError("USAGE", `${flag} takes a duration like 90s, 5m, 1h or 1h30m, not "${value}"`);
  }
  const [, h, m, s, ms] = parts;
  return Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0) + Number(ms ?? 0) / 1000;
}
