// Environment variable names derived from a provider id. `<ID>` is the id upper-cased with every
// non-alphanumeric character as `_` (`my-idp` -> `MY_IDP`).

export function envId(providerId: string): string {
  return providerId.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** Where oauthx reads its own per-provider settings: `OAUTHX_GITHUB_CLIENT_ID`, ... */
export function oauthxVar(
  providerId: string,
  suffix: "CLIENT_ID" | "CLIENT_SECRET" | "REFRESH_TOKEN" | "ID_TOKEN" | "ID_TOKEN_FILE" | "TOKEN_ORIGIN",
): string {
  return `OAUTHX_${envId(providerId)}_${suffix}`;
}

/** A template setting's variable, the environment's `--set`: `OAUTHX_OKTA_DOMAIN`, ... */
export function settingVar(providerId: string, setting: string): string {
  return `OAUTHX_${envId(providerId)}_${envId(setting)}`;
}

/**
 * Whether the environment may hold a CI identity token for the provider (docs/ci.md "No stored
 * secret"): its own OAUTHX_<ID>_ID_TOKEN or _ID_TOKEN_FILE, or a GitHub Actions job. Only a hint,
 * read from the environment alone, so that a call outside CI pays nothing: whether the provider
 * is federated is decided by core/federation/federated-mode.ts.
 */
export function federationSignal(
  env: Readonly<Record<string, string | undefined>>,
  providerId: string,
): boolean {
  return (
    env[oauthxVar(providerId, "ID_TOKEN")] !== undefined ||
    env[oauthxVar(providerId, "ID_TOKEN_FILE")] !== undefined ||
    env.ACTIONS_ID_TOKEN_REQUEST_URL !== undefined ||
    env.GITHUB_ACTIONS === "true"
  );
}

/** The variables `exec` sets to the access token: the provider's list, or `<ID>_ACCESS_TOKEN`. */
export function tokenEnvNames(providerId: string, env: readonly string[]): readonly string[] {
  return env.length > 0 ? env : [`${envId(providerId)}_ACCESS_TOKEN`];
}

/**
 * Whether the environment holds a CI seed for any provider (`OAUTHX_<ID>_REFRESH_TOKEN`): CI mode,
 * in which nothing is written under OAUTHX_HOME whatever the command (docs/ci.md).
 */
export function holdsCiSeed(env: Readonly<Record<string, string | undefined>>): boolean {
  return Object.keys(env).some(
    (name) => /^OAUTHX_[A-Z0-9_]+_REFRESH_TOKEN$/.test(name) && env[name] !== undefined,
  );
}
