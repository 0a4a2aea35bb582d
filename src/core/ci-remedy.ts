// CI mode's one rule for remedies (docs/ci.md): no remedy names `oauthx login`, whatever the error.
// A CI job has no browser and no person; a remedy that sends it to log in is one the job cannot
// follow. Errors are raised all over (the token manager, the refresher, the token endpoint's
// answer, the library's scope check), each with the workstation remedy it knows; this is the one
// place that says them in CI terms, applied where an error leaves the CLI (main.ts) or the library
// (sdk.ts), so no raise site has to know whether it runs in CI.

import { OauthxError } from "../errors.ts";
import { holdsCiSeed, oauthxVar } from "../providers/env-names.ts";

/** `oauthx login <id>` (with or without --profile and --scope) in a remedy, and the provider id. */
const LOGIN_IN_REMEDY = /oauthx login(?: ([a-z][a-z0-9-]*))?/;

/**
 * The remedy a pipeline can follow: a new seed in the CI secret, made on a workstation with
 * `oauthx seed` — a grant of its own, never an exported login, which the workstation would refresh
 * too (a rotating provider then revokes the grant for both).
 */
export function reseedRemedy(provider: string | undefined): string {
  const variable =
    provider === undefined ? "OAUTHX_<ID>_REFRESH_TOKEN" : oauthxVar(provider, "REFRESH_TOKEN");
  const command = `oauthx seed ${provider ?? "<provider>"}`;
  return `re-seed ${variable}: on a workstation, \`${command}\` into the CI secret; set OAUTHX_ON_ROTATE so every rotation is saved (\`oauthx help ci\`)`;
}

/**
 * The error as a CI job should read it: in an environment that holds a seed, a remedy naming
 * `oauthx login` becomes the re-seed remedy for the same provider. Anything else is unchanged.
 */
export function inCiTerms(
  error: OauthxError,
  env: Readonly<Record<string, string | undefined>>,
): OauthxError {
  if (error.remedy === undefined || !holdsCiSeed(env)) return error;
  const login = LOGIN_IN_REMEDY.exec(error.remedy);
  if (login === null) return error;
  return new OauthxError(error.code, error.message, { remedy: reseedRemedy(login[1]), cause: error.cause });
}
