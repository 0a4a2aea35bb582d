// A login remembers the template values it was made with: an issuer, a host, a tenant
// (provider-client.ts). A refresh always uses the remembered value, so an OAUTHX_<ID>_<VAR> set by
// a .env file cannot redirect a stored refresh token. But the environment may name another value
// on purpose: a kubeconfig whose exec entry sets OAUTHX_OIDC_ISSUER for cluster B. Handing it the
// token of the login made for issuer A would let cluster B replay it against A. So when the
// environment names a value that differs from the login's, getToken refuses (ORIGIN_MISMATCH, both
// values named) and says how to get a login for the value asked for. No value is sent anywhere.
//
// On the warm `token` path: a loop over the entry's few vars, with no import beyond what the
// session already loads.

import { OauthxError } from "../errors.ts";
import { settingVar } from "../providers/env-names.ts";
import type { TokenEntry } from "../store/document.ts";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Throws ORIGIN_MISMATCH when an OAUTHX_<ID>_<VAR> in `env` names another value than the login's.
 * `logins` are the provider's profiles: one whose login agrees with the environment is named in
 * the remedy.
 */
export function assertEnvAgrees(
  env: Env,
  provider: string,
  profile: string,
  entry: TokenEntry,
  logins: Readonly<Record<string, TokenEntry>> = {},
): void {
  const found = disagreement(env, provider, entry);
  if (found === undefined) return;
  const [name, value, remembered] = found;
  const variable = settingVar(provider, name);
  const login = `the ${provider} login${profile === "default" ? "" : ` (profile ${profile})`}`;
  const agreeing = Object.keys(logins).find(
    (other) =>
      other !== profile &&
      logins[other]?.vars?.[name] !== undefined &&
      disagreement(env, provider, logins[other] as TokenEntry) === undefined,
  );
  throw new OauthxError(
    "ORIGIN_MISMATCH",
    `${variable} is ${printable(value)}, but ${login} was made for ${name} ${printable(remembered)}; refusing to hand out its token`,
    {
      remedy:
        agreeing !== undefined
          ? `pass --profile ${agreeing}: that login was made for ${name} ${printable(value)}`
          : `log in for it (oauthx login ${provider} --profile NAME --set ${name}=VALUE) and pass --profile NAME; else unset ${variable}`,
    },
  );
}

/** The first remembered value the environment contradicts: [name, environment's, remembered]. */
function disagreement(env: Env, provider: string, entry: TokenEntry): [string, string, string] | undefined {
  for (const [name, remembered] of Object.entries(entry.vars ?? {})) {
    const value = env[settingVar(provider, name)];
    // An empty variable counts as unset, as everywhere else (provider-client.ts).
    if (value && !sameValue(value, remembered)) return [name, value, remembered];
  }
  return undefined;
}

/** Equal, or equal but for a trailing slash (`https://sso.example/` and `https://sso.example`). */
function sameValue(a: string, b: string): boolean {
  return a === b || a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}

/** An environment value, safe for a terminal: control characters shown as `?`. */
function printable(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}
