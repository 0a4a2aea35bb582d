// Where a federated provider's CI identity token comes from (docs/ci.md "No stored secret"), first
// match wins:
//   1. OAUTHX_<ID>_ID_TOKEN       the JWT itself (GitLab: an `id_tokens:` entry of that name);
//   2. OAUTHX_<ID>_ID_TOKEN_FILE  a file, read afresh at every exchange (a Kubernetes projected
//                                 service-account token, AZURE_FEDERATED_TOKEN_FILE: the kubelet
//                                 rewrites them before they expire);
//   3. GitHub Actions             GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=… with the bearer
//                                 $ACTIONS_ID_TOKEN_REQUEST_TOKEN, the JWT in the answer's `value`
//                                 (actions/toolkit packages/core, OidcClient); a fresh one each time.
//
// Each source also names the secret the job's cache is keyed by (federated-store.ts): something
// only this job holds, never a public claim. The GitHub request token is per job; an identity
// token read from the environment or a file is a bearer credential whose signature nobody else
// holds, so the token itself is the key (a rotated file thus starts a new cache: one more exchange).

import { readFileSync } from "node:fs";
import { isOauthxError, OauthxError } from "../../errors.ts";
import { isSecureEndpoint } from "../../oauth/endpoint-url.ts";
import { oauthxVar } from "../../providers/env-names.ts";
import type { Context } from "../context.ts";
import { maskForGitHubActions } from "../github-actions.ts";
import { checkIdentityToken } from "./identity-claims.ts";

export type IdentitySourceKind = "env" | "file" | "github-actions";

export interface IdentitySource {
  kind: IdentitySourceKind;
  /** What messages name: a variable or a file path, never a value. */
  label: string;
  /** A secret only this job holds, for the cache's key; a file source reads its file. */
  cacheSecret(): string;
  /** A fresh identity token with this `aud` (the env and file sources cannot choose it). */
  identityToken(audience: string): Promise<string>;
}

/** The GitHub Actions ID token request: a bound, so a hung runner service fails within seconds. */
export const ID_TOKEN_REQUEST_TIMEOUT_MS = 10_000;

type Env = Context["env"];

/** The provider's identity token source, or undefined when the environment offers none. */
export function findIdentitySource(ctx: Context, provider: string): IdentitySource | undefined {
  const { env } = ctx;
  const variable = oauthxVar(provider, "ID_TOKEN");
  if (env[variable] !== undefined) return envSource(ctx, variable, env[variable]);
  const fileVariable = oauthxVar(provider, "ID_TOKEN_FILE");
  const file = env[fileVariable];
  if (file !== undefined) return fileSource(ctx, fileVariable, file);
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL !== undefined) return gitHubSource(ctx, env);
  return undefined;
}

/** GitHub Actions without the ID token request API: the job lacks `permissions: id-token: write`. */
export function gitHubWithoutIdToken(env: Env): boolean {
  return env.GITHUB_ACTIONS === "true" && env.ACTIONS_ID_TOKEN_REQUEST_URL === undefined;
}

export function missingIdTokenPermission(provider: string): OauthxError {
  return new OauthxError(
    "CONFIG_MISSING",
    `${provider} is federated, but this GitHub Actions job cannot request an ID token`,
    {
      remedy: `add \`permissions: id-token: write\` to the job, or set ${oauthxVar(provider, "ID_TOKEN")} (\`oauthx help ci\`)`,
    },
  );
}

function envSource(ctx: Context, variable: string, raw: string | undefined): IdentitySource {
  const value = (raw ?? "").trim();
  return {
    kind: "env",
    label: variable,
    cacheSecret: () => {
      if (value === "") throw emptySource(variable);
      return `env:${value}`;
    },
    identityToken: async () => {
      if (value === "") throw emptySource(variable);
      maskForGitHubActions(ctx, value);
      checkIdentityToken(value, variable, ctx.now(), {
        expired: `request the identity token in the job that runs oauthx; a job that outlives it needs ${variable}_FILE or a fresh token`,
      });
      return value;
    },
  };
}

function emptySource(variable: string): OauthxError {
  // GitLab expands an `id_tokens:` entry that is not defined, and CI secrets that are not passed, to "".
  return new OauthxError("ID_TOKEN_UNAVAILABLE", `${variable} is set but empty`, {
    remedy: `define the identity token for this job as ${variable} (GitLab: id_tokens), or unset it`,
  });
}

function fileSource(ctx: Context, variable: string, file: string): IdentitySource {
  const read = () => {
    if (file === "") throw emptySource(variable);
    let text: string;
    try {
      text = readFileSync(file, "utf8").trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      throw new OauthxError("ID_TOKEN_UNAVAILABLE", `cannot read the identity token file ${file} (${code})`, {
        remedy: `check ${variable}: the projected token volume must be mounted and readable by this user`,
      });
    }
    if (text === "") {
      throw new OauthxError("ID_TOKEN_UNAVAILABLE", `the identity token file ${file} is empty`, {
        remedy: "check the projected service-account token volume (or whatever writes that file)",
      });
    }
    return text;
  };
  return {
    kind: "file",
    label: file,
    cacheSecret: () => `file:${read()}`,
    identityToken: async () => {
      const token = read();
      maskForGitHubActions(ctx, token);
      checkIdentityToken(token, `the file ${file}`, ctx.now(), {
        expired:
          "the file should be rewritten before its token expires: check the kubelet's projected volume, or whatever writes it",
      });
      return token;
    },
  };
}

function gitHubSource(ctx: Context, env: Env): IdentitySource {
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  const requireBearer = () => {
    if (!bearer) {
      throw new OauthxError(
        "ID_TOKEN_UNAVAILABLE",
        "ACTIONS_ID_TOKEN_REQUEST_URL is set but ACTIONS_ID_TOKEN_REQUEST_TOKEN is not",
        { remedy: "pass both to this step (GitHub sets them for a job with `permissions: id-token: write`)" },
      );
    }
    return bearer;
  };
  return {
    kind: "github-actions",
    label: "ACTIONS_ID_TOKEN_REQUEST_URL",
    // The request token is issued for this job alone and dies with it: nobody else can derive the key.
    cacheSecret: () => `github-actions:${requireBearer()}`,
    identityToken: async (audience) => {
      const token = await requestGitHubIdToken(
        env.ACTIONS_ID_TOKEN_REQUEST_URL ?? "",
        requireBearer(),
        audience,
      );
      maskForGitHubActions(ctx, token);
      checkIdentityToken(token, "the GitHub Actions ID token", ctx.now(), {
        expired: "check the runner's clock",
      });
      return token;
    },
  };
}

async function requestGitHubIdToken(address: string, bearer: string, audience: string): Promise<string> {
  // The request token goes only to the request URL's origin, and only over https (loopback in tests).
  if (!URL.canParse(address) || !isSecureEndpoint(new URL(address))) {
    throw new OauthxError("CONFIG_INVALID", "ACTIONS_ID_TOKEN_REQUEST_URL is not an https URL", {
      remedy: "leave ACTIONS_ID_TOKEN_REQUEST_URL as GitHub Actions sets it",
    });
  }
  const url = new URL(address);
  url.searchParams.set("audience", audience);
  // Loaded here: a call answered from the job's cache sends nothing and needs no HTTP client.
  const { parseJsonObject, sendHttp } = await import("../../oauth/http.ts");
  const refused = (what: string, remedy: string) =>
    new OauthxError("ID_TOKEN_UNAVAILABLE", `the GitHub Actions ID token request ${what}`, { remedy });
  let result: { status: number; body: string };
  try {
    result = await sendHttp(
      { method: "GET", url, headers: { accept: "application/json", authorization: `Bearer ${bearer}` } },
      { timeoutMs: ID_TOKEN_REQUEST_TIMEOUT_MS, retry: { limit: 1, maxRetryAfterMs: 3_000 } },
    );
  } catch (error) {
    if (isOauthxError(error, "NETWORK")) {
      throw new OauthxError("NETWORK", `the GitHub Actions ID token request failed: ${error.message}`, {
        remedy: "re-run the job; if it persists, check githubstatus.com",
      });
    }
    throw error;
  }
  if (result.status === 401 || result.status === 403) {
    throw refused(
      `was refused (HTTP ${result.status})`,
      "give the job `permissions: id-token: write`; the request token is valid only during its own job",
    );
  }
  if (result.status !== 200) {
    throw refused(`answered HTTP ${result.status}`, "re-run the job; if it persists, check githubstatus.com");
  }
  const value = parseJsonObject(result.body)?.value;
  if (typeof value !== "string" || value === "") {
    throw refused("answered without a token (no `value`)", "re-run the job");
  }
  return value;
}
