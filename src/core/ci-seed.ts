// CI mode's seed: the refresh token in OAUTHX_<ID>_REFRESH_TOKEN, checked before anything uses it.
// (What CI mode does with it is ci-mode.ts, loaded only when a seed is there.)
//
// A seed carries no record of where it was issued (a login does: origin-binding.ts), so before its
// first refresh the configuration in effect decides where it goes: an OAUTHX_<ID>_<VAR> of the step
// (OAUTHX_OIDC_ISSUER, a token URL) can send it anywhere. OAUTHX_<ID>_TOKEN_ORIGIN pins it: every
// refresh of the seed and its successors goes to that origin's token endpoint, or to nothing
// (ORIGIN_MISMATCH). Set it where the seed is set, e.g. beside the secret at the workflow level.

import { OauthxError } from "../errors.ts";
import { envId, oauthxVar } from "../providers/env-names.ts";
import type { Context } from "./context.ts";

export interface Seed {
  provider: string;
  profile: string;
  /** OAUTHX_<ID>_REFRESH_TOKEN: named in messages; its value never is. */
  variable: string;
  value: string;
  /** OAUTHX_<ID>_TOKEN_ORIGIN: the only origin the seed may be sent to, when set. */
  origin?: string;
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
  const origin = readPinnedOrigin(env, provider);
  return { provider, profile, variable, value, ...(origin === undefined ? {} : { origin }) };
}

/** OAUTHX_<ID>_TOKEN_ORIGIN, checked to be an origin (scheme, host, port: RFC 6454), or undefined. */
export function readPinnedOrigin(env: Context["env"], provider: string): string | undefined {
  const variable = oauthxVar(provider, "TOKEN_ORIGIN");
  const raw = env[variable]?.trim();
  if (!raw) return undefined;
  // Any spelling of an origin (GitLab.example.com, :443, a trailing /), and nothing more: no path,
  // query, fragment or credentials.
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  const origin = url?.origin ?? "null";
  if (origin === "null" || url?.href !== `${origin}/`) {
    throw new OauthxError("CONFIG_INVALID", `${variable} is not an origin`, {
      remedy: `set ${variable} to the token endpoint's scheme, host and port only, e.g. https://gitlab.example.com`,
    });
  }
  return origin;
}

/** ORIGIN_MISMATCH unless the seed may go to `tokenEndpoint` (its pinned origin, when there is one). */
export function assertSeedOrigin(seed: Seed, tokenEndpoint: string): void {
  if (seed.origin === undefined) return;
  const target = new URL(tokenEndpoint).origin;
  if (target === seed.origin) return;
  const pin = oauthxVar(seed.provider, "TOKEN_ORIGIN");
  throw new OauthxError(
    "ORIGIN_MISMATCH",
    `refusing to send the refresh token of ${seed.variable} to ${target}: ${pin} pins it to ${seed.origin}`,
    {
      remedy: `remove what points ${seed.provider} elsewhere (an OAUTHX_${envId(seed.provider)}_* variable, the providers file), or correct ${pin}`,
    },
  );
}
