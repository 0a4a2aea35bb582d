// The bench's "stored login under GitHub Actions" section: a warm `oauthx token github` of a stored
// login (not a federated provider) with the job's GitHub variables set — GITHUB_ACTIONS and the ID
// token request API, there for every step of a job with `id-token: write` — beside the same call
// outside CI, with and without a user providers file. Such a call must not pay for federation it
// does not use (providers/federated-hint.ts): before, it loaded the catalogue and parsed the user's
// file (without the parse memo) at every call.
//
// Each call runs through a small script that exports its variables and execs oauthx, so that the
// four commands pay the same start-up and the request token stays out of any argv (it is a dummy
// here; nothing is requested).

import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ActionsStoredLogin {
  /** Median ms by case: `outside`/`actions`, without and with a user providers file. */
  outside: number;
  actions: number;
  outsideWithFile: number;
  actionsWithFile: number;
}

export function actionsStoredLogin(tools: {
  dir: string;
  oauthx: string;
  env: Record<string, string>;
  /** The warm store's home, and a copy of it with a user providers file. */
  home: string;
  homeWithFile: string;
  medians(
    commands: { name: string; command: string[] }[],
    env: Record<string, string>,
  ): Record<string, number>;
}): ActionsStoredLogin {
  const cache = join(tools.dir, "actions-stored-login-cache");
  mkdirSync(cache, { recursive: true, mode: 0o700 });
  const actions = {
    GITHUB_ACTIONS: "true",
    ACTIONS_ID_TOKEN_REQUEST_URL: "http://127.0.0.1:9/_apis/token?api-version=2.0",
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "bench-request-token",
    OAUTHX_CI_CACHE_DIR: cache,
  };
  const script = (name: string, env: Record<string, string>) => {
    const file = join(tools.dir, `${name}.sh`);
    const exports = Object.entries(env)
      .map(([key, value]) => `export ${key}='${value}'`)
      .join("\n");
    writeFileSync(file, `#!/bin/sh\n${exports}\nexec '${tools.oauthx}' token github\n`, { mode: 0o700 });
    chmodSync(file, 0o700);
    return [file];
  };
  const medians = tools.medians(
    [
      { name: "outside", command: script("outside", { OAUTHX_HOME: tools.home }) },
      { name: "actions", command: script("actions", { OAUTHX_HOME: tools.home, ...actions }) },
      { name: "outsideWithFile", command: script("outside-file", { OAUTHX_HOME: tools.homeWithFile }) },
      {
        name: "actionsWithFile",
        command: script("actions-file", { OAUTHX_HOME: tools.homeWithFile, ...actions }),
      },
    ],
    tools.env,
  );
  const at = (name: string) => medians[name] ?? Number.NaN;
  return {
    outside: at("outside"),
    actions: at("actions"),
    outsideWithFile: at("outsideWithFile"),
    actionsWithFile: at("actionsWithFile"),
  };
}
