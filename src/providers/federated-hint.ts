// Whether a provider may be in federated CI mode here (docs/ci.md "No stored secret"), decided
// without the registry wherever that is certain. The GitHub Actions signals (GITHUB_ACTIONS, the ID
// token request API) are there for every provider of a job, while only a provider whose entry has a
// `federation` block uses them; a stored login on a self-hosted runner should not load the
// catalogue and the user's file, nor probe the job's cache, at every warm `token` to learn that.
//
//   - OAUTHX_<ID>_ID_TOKEN or _ID_TOKEN_FILE set: maybe (the variable names the provider);
//   - neither, nor a GitHub Actions signal: no;
//   - a built-in with `federation` (generated/federated.ts): maybe;
//   - otherwise only the user's providers file can add a `federation` block: no when there is no
//     file or its text cannot spell the word (not even through a YAML escape); maybe otherwise.
// "Maybe" is decided by core/federation/federated-mode.ts, with the registry, as before.

import { readFileSync } from "node:fs";
import { homeFiles } from "../store/home-files.ts";
import { federationSignal, oauthxVar } from "./env-names.ts";
import { federatedBuiltinIds } from "./generated/federated.ts";

/** A YAML text that may declare `federation`: the word, or an escape that could spell it. */
const MAY_NAME_FEDERATION = /federation|\\[xuU]/;

export function mayBeFederated(
  home: string,
  env: Readonly<Record<string, string | undefined>>,
  provider: string,
): boolean {
  if (!federationSignal(env, provider)) return false;
  if (env[oauthxVar(provider, "ID_TOKEN")] !== undefined) return true;
  if (env[oauthxVar(provider, "ID_TOKEN_FILE")] !== undefined) return true;
  if (federatedBuiltinIds.has(provider)) return true;
  let text: string;
  try {
    text = readFileSync(homeFiles(home).providers, "utf8");
  } catch (error) {
    // No file: the built-ins decide. A file that cannot be read: the registry reports it.
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
  return MAY_NAME_FEDERATION.test(text);
}
