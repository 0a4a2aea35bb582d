// The bench's federated CI section (docs/ci.md "No stored secret"): a job whose provider exchanges
// the job's OIDC identity token, from the GitHub-shaped request API of a local CI identity issuer
// (test/support/ci-identity-issuer.ts) at a token endpoint that verifies it
// (test/support/federation-token-server.ts). The first call exchanges and fills the job's CI cache;
// the calls timed are the later ones, answered from the cache, side by side with the warm
// `oauthx token github` (the store path) and the floor in one hyperfine run.
//
// hyperfine takes one environment for all commands, and the warm token must run without the
// federated job's variables (under GitHub Actions every call checks for federation). So the
// federated call runs through a small script that exports them and execs oauthx, and the same
// script running `true` is subtracted: the variables stay out of any argv.

import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface FederatedCall {
  /** Median ms of a cached federated `oauthx token`, the script's own start subtracted. */
  tokenMs: number;
  /** Median ms of the warm `oauthx token github` in the same run. */
  warmTokenMs: number;
  floorMs: number;
  /** Exchanges the whole job made: 1 when the cache served every timed call. */
  exchanges: number;
}

export interface BenchTools {
  dir: string;
  oauthx: string;
  hello: string;
  env: Record<string, string>;
  /** Median wall ms by command name, from one hyperfine run. */
  medians(
    commands: { name: string; command: string[] }[],
    env: Record<string, string>,
  ): Record<string, number>;
  run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }>;
}

export async function federatedCachedCall(tools: BenchTools): Promise<FederatedCall> {
  const { startCiIdentityIssuer, CI_SUBJECT } = await import("../test/support/ci-identity-issuer.ts");
  const { startFederationServer } = await import("../test/support/federation-token-server.ts");
  const audience = "https://sso.bench.example";
  const issuer = await startCiIdentityIssuer();
  const server = await startFederationServer({
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    audience,
    subject: CI_SUBJECT,
    clientId: "bench",
    accessTokenTtl: 3600,
  });
  try {
    const home = join(tools.dir, "federated-home");
    const cache = join(tools.dir, "federated-cache");
    mkdirSync(home, { mode: 0o700 });
    mkdirSync(cache, { mode: 0o700 });
    writeFileSync(
      join(home, "providers.yaml"),
      `providers:\n  fed:\n    name: Federated\n    token_endpoint: ${server.tokenEndpoint}\n` +
        `    scopes: [deploy]\n    federation:\n      grant: token-exchange\n      audience: ${audience}\n`,
    );
    const jobEnv = {
      OAUTHX_HOME: home,
      OAUTHX_CI_CACHE_DIR: cache,
      GITHUB_ACTIONS: "true",
      ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
    };
    const script = (name: string, command: string) => {
      const file = join(tools.dir, name);
      const exports = Object.entries(jobEnv)
        .map(([key, value]) => `export ${key}='${value}'`)
        .join("\n");
      writeFileSync(file, `#!/bin/sh\n${exports}\nexec ${command}\n`, { mode: 0o700 });
      chmodSync(file, 0o700);
      return file;
    };
    const first = await tools.run(["token", "fed"], { ...tools.env, ...jobEnv });
    if (first.code !== 0) throw new Error(`federated token failed: ${first.stderr}`);
    const medians = tools.medians(
      [
        {
          name: "oauthx token fed (federated CI, cached)",
          command: [script("fed-token.sh", `'${tools.oauthx}' token fed`)],
        },
        { name: "federated job script, true", command: [script("fed-true.sh", "true")] },
        { name: "true", command: ["true"] },
        { name: "oauthx token github (warm)", command: [tools.oauthx, "token", "github"] },
        { name: "bun hello world (floor)", command: [tools.hello] },
      ],
      tools.env,
    );
    const scriptMs = (medians["federated job script, true"] ?? 0) - (medians.true ?? 0);
    return {
      tokenMs: (medians["oauthx token fed (federated CI, cached)"] ?? 0) - scriptMs,
      warmTokenMs: medians["oauthx token github (warm)"] ?? 0,
      floorMs: medians["bun hello world (floor)"] ?? 0,
      exchanges: Object.values(server.exchanges).reduce((sum, count) => sum + count, 0),
    };
  } finally {
    await server.close();
    await issuer.close();
  }
}
