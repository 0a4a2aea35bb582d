// `oauthx git-credential [<provider>] <get|store|erase>`: git's credential helper
// (gitcredentials(7)). `get` answers with the provider's git user name and a fresh access token as
// password, for the hosts the provider serves (git-hosts.ts); `erase`, git's word that the server
// refused the token, makes the next `get` refresh; `store` has nothing to keep. Without a login it
// answers nothing and exits 0, so git asks its next helper or the user.
//
// stdout carries the protocol only; everything for people goes to stderr, which git shows.

import type { Context } from "../../core/context.ts";
import { maskForGitHubActions } from "../../core/github-actions.ts";
import { openSession } from "../../core/session.ts";
import { loginRemedy } from "../../core/token-manager.ts";
import { isOauthxError } from "../../errors.ts";
import { isTerminal } from "../../platform/standard-streams.ts";
import { loadRegistry } from "../../providers/registry.ts";
import { getEntry, withEntry } from "../../store/document.ts";
import { defineCommand } from "../command.ts";
import {
  type CredentialRequest,
  formatCredential,
  parseCredentialRequest,
} from "./git-credential-protocol.ts";
import { findGitLogin, type GitLogin } from "./git-hosts.ts";

/**
 * One git command reuses the credential for every request it makes (a clone or push can run for
 * minutes), so the token handed out should outlive it; as for `exec`.
 */
const GIT_MIN_TTL_SECONDS = 5 * 60;

export const command = defineCommand({
  positionals: [
    { name: "provider", kind: "provider", optional: true },
    // gitcredentials(7): a helper ignores operations it does not know, so any word is accepted.
    { name: "get|store|erase", kind: "text", words: ["get", "store", "erase"] },
  ],
  flags: {
    profile: { type: "string", value: "NAME", help: "Profile (default: the login that serves the host)" },
  },
  description:
    "git's credential helper: answers git with a fresh access token for the hosts a provider serves\n" +
    "(git_hosts in providers.yaml: github.com, gitlab.com, bitbucket.org, a GitHub Enterprise or\n" +
    "GitLab host you logged in to). Without <provider>, the host git asks for picks the login.",
  examples: [
    "git config --global credential.https://gitlab.com.helper '!oauthx git-credential gitlab'",
    "git config --global --add credential.helper '!oauthx git-credential'",
  ],
  async run(ctx, { flags, positionals }) {
    const [provider, action] = positionals;
    const { profile } = flags;
    // git writes its request whatever the action; read it all before answering.
    const request = parseCredentialRequest(await ctx.readStdin());
    // gitcredentials(7): a helper ignores the operations it does not support; `store` is one.
    if (action !== "get" && action !== "erase") return 0;

    const login = await chooseLogin(ctx, request, { provider, profile });
    if (login === undefined) return 0;
    if (action === "erase") {
      await markRejected(ctx, login, request.password);
      return 0;
    }
    return await answer(ctx, login);
  },
});

async function chooseLogin(
  ctx: Context,
  request: CredentialRequest,
  named: { provider: string | undefined; profile: string | undefined },
): Promise<GitLogin | undefined> {
  // Not remembered here: whether this is CI mode (which writes nothing) is known only once the
  // login is found; openSession loads the registry again, and remembers it outside CI mode.
  const registry = await loadRegistry(ctx.home, { remember: false });
  const match = await findGitLogin(
    ctx,
    registry,
    {
      protocol: request.protocol,
      host: request.host,
      ...(named.provider ? { provider: named.provider } : {}),
      ...(named.profile ? { profile: named.profile } : {}),
    },
    async () => {
      const { openConfiguredStore } = await import("../../core/shared-store.ts");
      return (await openConfiguredStore(ctx)).read();
    },
  );
  switch (match.kind) {
    case "login":
      return match.login;
    case "no-login":
      sayNoLogin(ctx, match.login);
      return undefined;
    case "ambiguous":
      ctx.stderr.write(
        `oauthx: several logins serve ${request.host}: ${match.logins.map(describe).join(", ")}; ` +
          "name one in the helper: oauthx git-credential <provider> [--profile NAME]\n",
      );
      return undefined;
    case "not-served":
      // With no provider named, oauthx is one helper among others: silence for other hosts.
      if (named.provider) ctx.stderr.write(`oauthx: ${match.reason}; nothing sent\n`);
      return undefined;
  }
}

async function answer(ctx: Context, { provider, profile }: GitLogin): Promise<number> {
  const session = await openSession(ctx, { provider, profile });
  let token: Awaited<ReturnType<typeof session.manager.getToken>>;
  try {
    token = await session.manager.getToken({
      provider,
      profile,
      minTtlSeconds: GIT_MIN_TTL_SECONDS,
      refresher: session.refresher(provider, profile),
    });
  } catch (error) {
    // The login went away since it was found: as with no login at all.
    if (!isOauthxError(error, "AUTH_REQUIRED") || session.seed) throw error;
    sayNoLogin(ctx, { provider, profile });
    return 0;
  }
  maskForGitHubActions(ctx, token.access_token);
  ctx.stdout.write(
    formatCredential({
      username: (await session.registry()).get(provider).definition.git_username,
      password: token.access_token,
      // git 2.41 and later stop using the password after this time; older versions ignore it.
      ...(token.expires_at === undefined ? {} : { password_expiry_utc: String(token.expires_at) }),
    }),
  );
  return 0;
}

/**
 * git erases a credential the server refused. The login stays (the refresh token may well be
 * good): its access token is marked expired, so the next `get` refreshes. Only if it is still the
 * token git was given: another process may have refreshed it since.
 */
async function markRejected(ctx: Context, { provider, profile }: GitLogin, password: string | undefined) {
  if (password === undefined) return;
  const session = await openSession(ctx, { provider, profile });
  const nowSeconds = Math.floor(ctx.now() / 1000);
  await session.store.update((document) => {
    const entry = getEntry(document, provider, profile);
    if (entry === undefined || entry.access_token !== password) return document;
    if (entry.expires_at !== undefined && entry.expires_at <= nowSeconds) return document;
    return withEntry(document, provider, profile, { ...entry, expires_at: nowSeconds });
  });
}

/** No login: git moves on to its next helper or a prompt; a person at a terminal is told why. */
function sayNoLogin(ctx: Context, login: GitLogin): void {
  if (!isTerminal(2)) return;
  ctx.stderr.write(
    `oauthx: not logged in to ${describe(login)}; ${loginRemedy(login.provider, login.profile)}\n`,
  );
}

function describe({ provider, profile }: GitLogin): string {
  return profile === "default" ? provider : `${provider} (profile ${profile})`;
}
