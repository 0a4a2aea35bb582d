// The environment oauthx hands to any process it starts (the child of `exec`, a browser, the
// rotation hook): the user's environment without oauthx's own secrets, so a child can never read
// the store's key, the passphrase, a seeded refresh token or a client secret.

import process from "node:process";

type Env = Readonly<Record<string, string | undefined>>;

const SECRET_NAMES = new Set(["OAUTHX_AGE_IDENTITY", "OAUTHX_PASSPHRASE"]);
// OAUTHX_<ID>_ID_TOKEN is a federated job's identity token (docs/ci.md); its _FILE is only a path.
const SECRET_PATTERN = /^OAUTHX_[A-Z0-9_]+_(REFRESH_TOKEN|CLIENT_SECRET|ID_TOKEN)$/;

/**
 * Windows environment names are case-insensitive: `oauthx_github_refresh_token` is the variable
 * oauthx reads as OAUTHX_GITHUB_REFRESH_TOKEN, so it is a secret too. Elsewhere case matters.
 */
export function isOauthxSecret(name: string, platform: NodeJS.Platform = process.platform): boolean {
  const canonical = platform === "win32" ? name.toUpperCase() : name;
  return SECRET_NAMES.has(canonical) || SECRET_PATTERN.test(canonical);
}

export function scrubbedEnv(env: Env, platform: NodeJS.Platform = process.platform): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !isOauthxSecret(name, platform)) result[name] = value;
  }
  return result;
}
