// The environment oauthx hands to any process it starts (the child of `exec`, a browser, the
// rotation hook): the user's environment without oauthx's own secrets, so a child can never read
// the store's key, the passphrase, a seeded refresh token or a client secret.

type Env = Readonly<Record<string, string | undefined>>;

const SECRET_NAMES = new Set(["OAUTHX_AGE_IDENTITY", "OAUTHX_PASSPHRASE"]);
const SECRET_PATTERN = /^OAUTHX_[A-Z0-9_]+_(REFRESH_TOKEN|CLIENT_SECRET)$/;

export function isOauthxSecret(name: string): boolean {
  return SECRET_NAMES.has(name) || SECRET_PATTERN.test(name);
}

export function scrubbedEnv(env: Env): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !isOauthxSecret(name)) result[name] = value;
  }
  return result;
}
