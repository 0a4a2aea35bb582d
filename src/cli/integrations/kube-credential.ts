// `oauthx kube-credential <provider>`: kubectl's exec credential plugin (a kubeconfig
// `users[].user.exec` entry). Prints an ExecCredential (exec-credential.ts) with a fresh access
// token. With no usable login, kubectl's interactiveMode decides: when it says a person is there
// (`spec.interactive`), the login runs on the terminal, then the token is printed; otherwise the
// error goes to stderr and the exit status is non-zero, which kubectl reports.
//
// The token sent is the access token, or with --token id (or the provider's kube_credential_token:
// id_token) the ID token, which an API server configured with `--oidc-issuer-url` verifies itself.

import type { Context } from "../../core/context.ts";
import { maskForGitHubActions } from "../../core/github-actions.ts";
import { DEFAULT_PROFILE, openSession } from "../../core/session.ts";
import { jwtExpiry, loginCommand } from "../../core/token-manager.ts";
import { isOauthxError, OauthxError } from "../../errors.ts";
import { oauthxVar } from "../../providers/env-names.ts";
import type { TokenEntry } from "../../store/document.ts";
import { defineCommand } from "../command.ts";
import { execCredential, readExecInfo } from "./exec-credential.ts";

export const command = defineCommand({
  positionals: [{ name: "provider", kind: "provider" }],
  flags: {
    profile: { type: "string", value: "NAME", help: "Profile (default: default)" },
    token: {
      type: "string",
      value: "access|id",
      help: "Hand kubectl the access token or the ID token (default: the provider's kube_credential_token)",
    },
  },
  description:
    "kubectl's exec credential plugin: prints an ExecCredential (client.authentication.k8s.io/v1,\n" +
    "or v1beta1 when KUBERNETES_EXEC_INFO asks for it) holding a fresh access token, or with --token id\n" +
    "the ID token, which a cluster started with --oidc-issuer-url verifies. With no usable login it\n" +
    "logs in on the terminal when the kubeconfig's interactiveMode allows, else fails.",
  examples: [
    // An --oidc-issuer-url cluster verifies the ID token (README, docs/integrations.md).
    "kubectl config set-credentials oidc --exec-api-version=client.authentication.k8s.io/v1 --exec-command=oauthx --exec-arg=kube-credential --exec-arg=oidc --exec-arg=--token --exec-arg=id --exec-interactive-mode=IfAvailable",
  ],
  async run(ctx, { flags, positionals }) {
    const [provider] = positionals;
    const profile = flags.profile ?? DEFAULT_PROFILE;
    const info = readExecInfo(ctx.env);
    const kind = tokenKind(flags.token);
    let credential: Credential;
    try {
      credential = await freshCredential(ctx, provider, profile, kind);
    } catch (error) {
      // Without KUBERNETES_EXEC_INFO (run by hand), a person at the terminal counts as interactive.
      const interactive = info.interactive ?? ctx.interactive;
      if (!interactive || !needsLogin(ctx, provider, error)) throw error;
      ctx.stderr.write(`oauthx: no usable ${provider} login for kubectl; logging in.\n`);
      const login = (await import("../login/login.ts")).command;
      const status = await login.run(ctx, { flags: { profile }, positionals: [provider], rest: [] });
      if (status !== 0) return status;
      credential = await freshCredential(ctx, provider, profile, kind);
    }
    maskForGitHubActions(ctx, credential.token);
    ctx.stdout.write(execCredential(info.apiVersion, credential.token, credential.expiresAt));
    return 0;
  },
});

interface Credential {
  token: string;
  /** Epoch seconds; undefined when unknown. */
  expiresAt: number | undefined;
}

function tokenKind(flag: string | undefined): "access" | "id" | undefined {
  if (flag === undefined || flag === "access" || flag === "id") return flag;
  throw new OauthxError("USAGE", `--token takes access or id, not "${flag}"`);
}

/** The token kubectl gets, fresh: the access token, or the ID token (refreshed with the login). */
async function freshCredential(
  ctx: Context,
  provider: string,
  profile: string,
  kind: "access" | "id" | undefined,
): Promise<Credential> {
  const session = await openSession(ctx, { provider, profile });
  const request = { provider, profile, refresher: session.refresher(provider, profile) };
  const token = await session.manager.getToken(request);
  // Without --token, the provider's kube_credential_token decides (the registry loads for it).
  const configured = kind ?? (await session.registry()).get(provider).definition.kube_credential_token;
  const wanted = configured === "id" || configured === "id_token" ? "id" : "access";
  if (wanted === "access") return { token: token.access_token, expiresAt: token.expires_at };
  // An ID token lives its own life (its `exp`): when it is about to end, a refresh may bring a
  // new one (OIDC Core §12.2), and only the refresh can.
  let current = idCredential(token);
  if (current === undefined || !lastsLongEnough(current, ctx.now())) {
    current = idCredential(await session.manager.getToken({ ...request, force: true }));
  }
  if (current === undefined) {
    throw new OauthxError("AUTH_REQUIRED", `the ${provider} login holds no ID token for kubectl`, {
      remedy: `log in with the openid scope: ${loginCommand(provider, profile)} --scope openid`,
    });
  }
  if (!lastsLongEnough(current, ctx.now())) {
    throw new OauthxError(
      "AUTH_REQUIRED",
      `${provider} issued no new ID token on refresh, and the last one has expired`,
      {
        remedy: `log in again: ${loginCommand(provider, profile)}`,
      },
    );
  }
  return current;
}

/** kubectl keeps a credential until its expiry: hand out one with at least this long left. */
const ID_TOKEN_MIN_TTL_SECONDS = 60;

function idCredential(token: TokenEntry): Credential | undefined {
  if (token.id_token === undefined) return undefined;
  return { token: token.id_token, expiresAt: jwtExpiry(token.id_token) };
}

function lastsLongEnough(credential: Credential, nowMs: number): boolean {
  return (
    credential.expiresAt === undefined || credential.expiresAt - nowMs / 1000 >= ID_TOKEN_MIN_TTL_SECONDS
  );
}

/**
 * No login, or one whose refresh token is dead: a new login fixes both. Never in CI mode, where
 * the seeded refresh token is the login and nobody can answer a browser.
 */
function needsLogin(ctx: Context, provider: string, error: unknown): boolean {
  if (!isOauthxError(error, "AUTH_REQUIRED") && !isOauthxError(error, "REFRESH_REJECTED")) return false;
  return ctx.env[oauthxVar(provider, "REFRESH_TOKEN")] === undefined;
}
