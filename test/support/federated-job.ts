// A federated CI job for the e2e tests (docs/ci.md "No stored secret"): a providers file with one
// provider per federated grant (and one whose audience the trust policy refuses, and one that is
// not federated), a temporary OAUTHX_HOME and CI cache per job, and the compiled binary run as a
// step of the job.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { CI_SUBJECT, type CiIdentityIssuer, startCiIdentityIssuer } from "./ci-identity-issuer.ts";
import { type FederationServer, startFederationServer } from "./federation-token-server.ts";
import { BIN, type Ran, run } from "./run-node.ts";

export const AUDIENCE = "https://sso.corp.example";
export const EXCHANGE_AUDIENCE = "//iam.example/pools/ci/providers/local";
export const CLIENT_ID = "ci-deployer";

export const GRANT_TYPES = {
  "token-exchange": "urn:ietf:params:oauth:grant-type:token-exchange",
  "jwt-bearer": "urn:ietf:params:oauth:grant-type:jwt-bearer",
  "client-assertion": "client_credentials",
} as const;
export type Grant = keyof typeof GRANT_TYPES;

export function providersYaml(server: FederationServer): string {
  const entry = (id: string, grant: Grant, extra: string, audience = AUDIENCE) =>
    `  ${id}:\n    name: ${id}\n    token_endpoint: ${server.tokenEndpoint}\n    api_base: ${server.url}\n` +
    `    scopes: [deploy]\n    env: [FED_TOKEN]\n    git_hosts: ["127.0.0.1:1"]\n${extra}` +
    `    federation:\n      grant: ${grant}\n      audience: ${audience}\n` +
    (grant === "token-exchange" ? `      exchange_audience: "${EXCHANGE_AUDIENCE}"\n` : "");
  return (
    `providers:\n${entry("fed-exchange", "token-exchange", "")}${entry("fed-bearer", "jwt-bearer", "")}${entry(
      "fed-assertion",
      "client-assertion",
      `    client_id: ${CLIENT_ID}\n`,
    )}${entry("fed-wrong", "token-exchange", "", "https://not-trusted.example")}` +
    `  plain:\n    name: Not federated\n    token_endpoint: ${server.tokenEndpoint}\n` +
    `    authorization_endpoint: ${server.url}/authorize\n    client_id: cli\n`
  );
}

export interface Job {
  home: string;
  env: Record<string, string>;
  oauthx(args: string[], more?: { env?: Record<string, string | undefined>; input?: string }): Promise<Ran>;
}

export function job(root: string, name: string, server: FederationServer, env: Record<string, string>): Job {
  const dir = join(root, name);
  const home = join(dir, "home");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, "runner-temp"));
  writeFileSync(join(home, "providers.yaml"), providersYaml(server));
  const base = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    OAUTHX_HOME: home,
    OAUTHX_CI_CACHE_DIR: join(dir, "runner-temp"),
    ...env,
  };
  return {
    home,
    env: base,
    oauthx: (args, more = {}) =>
      run(BIN.oauthx, args, { env: { ...base, ...more.env }, ...(more.input ? { input: more.input } : {}) }),
  };
}

export function gitHubEnv(issuer: CiIdentityIssuer): Record<string, string> {
  return {
    GITHUB_ACTIONS: "true",
    ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
  };
}

/** A secret appears in a call's output only inside `::add-mask::` commands, which the runner consumes. */
export function expectNotShown(result: Ran, secret: string) {
  expect(result.stdout).not.toContain(secret);
  for (const line of result.stderr.split("\n")) {
    if (line.includes(secret)) expect(line).toBe(`::add-mask::${secret}`);
  }
}

export async function accepted(server: FederationServer, token: string): Promise<number> {
  return (await fetch(`${server.url}/check`, { headers: { authorization: `Bearer ${token}` } })).status;
}

/** A CI identity issuer, a token server that trusts it, and a directory for the jobs' homes. */
export interface FederatedServers {
  issuer: CiIdentityIssuer;
  server: FederationServer;
  root: string;
  close(): Promise<void>;
}

/** Started once per test file (beforeAll), closed in afterAll. */
export async function startFederatedServers(
  options: { accessTokenTtl?: number } = {},
): Promise<FederatedServers> {
  const issuer = await startCiIdentityIssuer();
  const server = await startFederationServer({
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    audience: AUDIENCE,
    subject: CI_SUBJECT,
    clientId: CLIENT_ID,
    exchangeAudience: EXCHANGE_AUDIENCE,
    ...(options.accessTokenTtl === undefined ? {} : { accessTokenTtl: options.accessTokenTtl }),
  });
  const root = mkdtempSync(join(tmpdir(), "oauthx-federation-"));
  return {
    issuer,
    server,
    root,
    async close() {
      await server.close();
      await issuer.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
