// `oauthx kube-credential <provider>`: kubectl's exec credential plugin (a kubeconfig
// `users[].user.exec` entry). Prints an ExecCredential (exec-credential.ts) with a fresh access
// token. With no usable login, kubectl's interactiveMode decides: when it says a person is there
// (`spec.interactive`), the login runs on the terminal, then the token is printed; otherwise the
// error goes to stderr and the exit status is non-zero, which kubectl reports.
//
// The token sent is the access token. An API server that verifies tokens itself
// (`--oidc-issuer-url`) accepts it when it is a JWT with the audience it expects.

import type { Context } from "../core/context.ts";
import { maskForGitHubActions } from "../core/github-actions.ts";
import { refresherFor } from "../core/refresher.ts";
import { DEFAULT_PROFILE, openSession } from "../core/session.ts";
import { isOauthxError } from "../errors.ts";
import { oauthxVar } from "../providers/env-names.ts";
import type { TokenEntry } from "../store/document.ts";
import { defineCommand } from "./command.ts";
import { execCredential, readExecInfo } from "./exec-credential.ts";

export const command = defineCommand({
  positionals: [{ name: "provider", kind: "provider" }],
  flags: {
    profile: { type: "string", value: "NAME", help: "Profile (default: default)" },
  },
  description:
    "kubectl's exec credential plugin: prints an ExecCredential (client.authentication.k8s.io/v1,\n" +
    "or v1beta1 when KUBERNETES_EXEC_INFO asks for it) holding a fresh access token. With no usable\n" +
    "login it logs in on the terminal when the kubeconfig's interactiveMode allows, else fails.",
  examples: [
    "kubectl config set-credentials oidc --exec-api-version=client.authentication.k8s.io/v1 --exec-command=oauthx --exec-arg=kube-credential --exec-arg=oidc --exec-interactive-mode=IfAvailable",
  ],
  async run(ctx, { flags, positionals }) {
    const [provider] = positionals;
    const profile = flags.profile ?? DEFAULT_PROFILE;
    const info = readExecInfo(ctx.env);
    let token: TokenEntry;
    try {
      token = await freshToken(ctx, provider, profile);
    } catch (error) {
      // Without KUBERNETES_EXEC_INFO (run by hand), a person at the terminal counts as interactive.
      const interactive = info.interactive ?? ctx.interactive;
      if (!interactive || !needsLogin(ctx, provider, error)) throw error;
      ctx.stderr.write(`oauthx: no usable ${provider} login for kubectl; logging in.\n`);
      const login = (await import("./login.ts")).command;
      const status = await login.run(ctx, { flags: { profile }, positionals: [provider], rest: [] });
      if (status !== 0) return status;
      token = await freshToken(ctx, provider, profile);
    }
    maskForGitHubActions(ctx, token.access_token);
    ctx.stdout.write(execCredential(info.apiVersion, token.access_token, token.expires_at));
    return 0;
  },
});

async function freshToken(ctx: Context, provider: string, profile: string): Promise<TokenEntry> {
  const session = await openSession(ctx, { provider, profile });
  const entry = session.registry.get(provider);
  return session.manager.getToken({
    provider,
    profile,
    refresher: refresherFor(ctx, session, entry, profile),
  });
}

/**
 * No login, or one whose refresh token is dead: a new login fixes both. Never in CI mode, where
 * the seeded refresh token is the login and nobody can answer a browser.
 */
function needsLogin(ctx: Context, provider: string, error: unknown): boolean {
  if (!isOauthxError(error, "AUTH_REQUIRED") && !isOauthxError(error, "REFRESH_REJECTED")) return false;
  return ctx.env[oauthxVar(provider, "REFRESH_TOKEN")] === undefined;
}
