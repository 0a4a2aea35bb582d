// CI mode's seed: the refresh token in OAUTHX_<ID>_REFRESH_TOKEN, checked before anything uses it.
// (What CI mode does with it is ci-mode.ts, loaded only when a seed is there.)

import { OauthxError } from "../errors.ts";
import { oauthxVar } from "../providers/env-names.ts";
import type { Context } from "./context.ts";

export interface Seed {
  provider: string;
  profile: string;
  /** OAUTHX_<ID>_REFRESH_TOKEN: named in messages; its value never is. */
  variable: string;
  value: string;
}

/**
 * The seed of a provider, checked; undefined when its variable is unset. Secrets are often stored
 * with a trailing newline, so surrounding whitespace is dropped; anything else odd is an error
 * before a request is made.
 */
export function readSeed(env: Context["env"], provider: string, profile: string): Seed | undefined {
  const variable = oauthxVar(provider, "REFRESH_TOKEN");
  const raw = env[variable];
  if (raw === undefined) return undefined;
  const value = raw.trim();
  if (value === "") {
    // GitHub Actions expands a secret that does not exist (or is not passed to forks) to "".
    throw new OauthxError("CONFIG_MISSING", `${variable} is set but empty`, {
      remedy: `check that the CI secret exists and is passed to this step as ${variable}; elsewhere, unset ${variable} to use your own login`,
    });
  }
  // RFC 6749 Appendix A.17: a refresh token is printable ASCII; a line break means two values.
  if (!/^[\x20-\x7E]+$/.test(value)) {
    throw new OauthxError(
      "CONFIG_INVALID",
      `${variable} holds line breaks or characters no refresh token has`,
      {
        remedy: `store exactly the one line printed by \`oauthx seed ${provider}\``,
      },
    );
  }
  return { provider, profile, variable, value };
}
