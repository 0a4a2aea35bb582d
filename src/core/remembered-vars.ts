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
import { envId } from "../providers/env-names.ts";
import type { TokenEntry } from "../store/document.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** Throws ORIGIN_MISMATCH when an OAUTHX_<ID>_<VAR> in `env` names another value than the login's. */
export function assertEnvAgrees(env: Env, provider: string, profile: string, entry: TokenEntry): void {
  const vars = entry.vars;
  if (vars === undefined) return;
  for (const [name, remembered] of Object.entries(vars)) {
    const variable = `OAUTHX_${envId(provider)}_${envId(name)}`;
    const value = env[variable];
    // An empty variable counts as unset, as everywhere else (provider-client.ts).
    if (!value || sameValue(value, remembered)) continue;
    const login = `the ${provider} login${profile === "default" ? "" : ` (profile ${profile})`}`;
    throw new OauthxError(
      "ORIGIN_MISMATCH",
      `${variable} is ${printable(value)}, but ${login} was made for ${name} ${printable(remembered)}; refusing to hand out its token`,
      {
        remedy: `pass --profile with a login made for ${printable(value)}, or make one (oauthx login ${provider} --profile NAME --set ${name}=VALUE); else unset ${variable}`,
      },
    );
  }
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
