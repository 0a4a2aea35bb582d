// Which login answers git for a host: the providers whose `git_hosts` (providers.yaml) name it,
// with `{var}` placeholders filled from each login's remembered template vars, so that a GitHub
// Enterprise or self-managed GitLab login serves its own host. A host no provider names gets no
// token, even from a helper configured for one provider: git asks every helper for every host its
// configuration matches, and a repository can send it to any host (a submodule's URL).

import type { Context } from "../../core/context.ts";
import { clientFor } from "../../core/provider-client.ts";
import { DEFAULT_PROFILE } from "../../core/session.ts";
import { isOauthxError } from "../../errors.ts";
import { isSecureEndpoint } from "../../oauth/endpoint-url.ts";
import { federationSignal, oauthxVar } from "../../providers/env-names.ts";
import type { ProviderEntry, Registry } from "../../providers/registry.ts";
import type { StoreDocument, TokenEntry } from "../../store/document.ts";

export interface GitLogin {
  provider: string;
  profile: string;
}

export type GitLoginMatch =
  | { kind: "login"; login: GitLogin }
  /** A provider serves the host, but has no login (nor a seeded refresh token) for it. */
  | { kind: "no-login"; login: GitLogin }
  /** More than one login serves the host: the helper must name one. */
  | { kind: "ambiguous"; logins: GitLogin[] }
  /** Not for oauthx: another helper may answer. `reason` says why, for a helper that named a provider. */
  | { kind: "not-served"; reason: string };

export interface GitLoginQuery {
  protocol: string | undefined;
  host: string | undefined;
  /** The provider named in the helper's configuration; otherwise every provider is considered. */
  provider?: string;
  profile?: string;
}

interface Candidate extends GitLogin {
  loggedIn: boolean;
}

export async function findGitLogin(
  ctx: Pick<Context, "env">,
  registry: Registry,
  query: GitLoginQuery,
  readDocument: () => Promise<StoreDocument>,
): Promise<GitLoginMatch> {
  const { protocol, host } = query;
  if (protocol === undefined || host === undefined) {
    return { kind: "not-served", reason: "git sent no protocol or host" };
  }
  // A token is a password here, sent as HTTP Basic: never in clear text off this machine.
  const origin = originOf(protocol, host);
  if (origin === undefined || !isSecureEndpoint(origin)) {
    return { kind: "not-served", reason: `no token is sent over ${protocol} to ${host} (https only)` };
  }
  const entries = query.provider
    ? [registry.get(query.provider)]
    : registry.list().filter((entry) => entry.definition.git_hosts.length > 0);
  let document: StoreDocument | undefined;
  const wanted = query.profile ?? DEFAULT_PROFILE;
  const candidates: Candidate[] = [];
  for (const entry of entries) {
    // CI mode: a seeded refresh token, or a federated provider with an identity token source.
    const seeded =
      ctx.env[oauthxVar(entry.id, "REFRESH_TOKEN")] !== undefined ||
      (entry.definition.federation !== undefined && federationSignal(ctx.env, entry.id));
    // The profiles to consider: every stored login of the provider (or the one asked for), and
    // the profile asked for even without one, to say which login to make. In CI mode no store is
    // read: the seed (or the job's identity) is the login.
    const profiles = new Map<string, TokenEntry | undefined>();
    if (!seeded) {
      document ??= await readDocument();
      for (const [profile, login] of Object.entries(document.profiles[entry.id] ?? {})) {
        if (query.profile === undefined || profile === query.profile) profiles.set(profile, login);
      }
    }
    if (!profiles.has(wanted)) profiles.set(wanted, undefined);
    for (const [profile, login] of profiles) {
      if (!servesHost(ctx, entry, login, origin)) continue;
      candidates.push({ provider: entry.id, profile, loggedIn: seeded || login !== undefined });
    }
  }
  const loggedIn = candidates.filter((candidate) => candidate.loggedIn);
  const defaults = loggedIn.filter((candidate) => candidate.profile === DEFAULT_PROFILE);
  const chosen = loggedIn.length === 1 ? loggedIn : defaults.length === 1 ? defaults : undefined;
  if (chosen) return { kind: "login", login: plain(chosen[0] as Candidate) };
  if (loggedIn.length > 1) return { kind: "ambiguous", logins: loggedIn.map(plain) };
  const first = candidates[0];
  if (first) return { kind: "no-login", login: plain(first) };
  return {
    kind: "not-served",
    reason: query.provider
      ? `${query.provider} does not serve git for ${origin.host} (its git_hosts in providers.yaml)`
      : `no provider serves git for ${origin.host}`,
  };
}

/** The provider's git hosts for a login (or, with none, for the vars in the environment or defaults). */
export function gitHostsOf(
  ctx: Pick<Context, "env">,
  entry: ProviderEntry,
  login: TokenEntry | undefined,
): string[] {
  let vars: Record<string, string>;
  try {
    // The template values a refresh would use: remembered at login > OAUTHX_<ID>_<NAME> > default.
    vars = clientFor(ctx, entry, login, { endpointsOnly: true }).vars;
  } catch (error) {
    // A provider whose endpoints cannot be filled in (no host yet) serves no host.
    if (isOauthxError(error, "CONFIG_MISSING")) return [];
    throw error;
  }
  return entry.definition.git_hosts.flatMap((template) => {
    let complete = true;
    const host = template.replace(/\{([a-z][a-z0-9_]*)\}/g, (_, name: string) => {
      if (vars[name] === undefined) complete = false;
      return vars[name] ?? "";
    });
    return complete ? [host] : [];
  });
}

function servesHost(
  ctx: Pick<Context, "env">,
  entry: ProviderEntry,
  login: TokenEntry | undefined,
  origin: URL,
): boolean {
  return gitHostsOf(ctx, entry, login).some(
    (host) => originOf(origin.protocol.slice(0, -1), host)?.host === origin.host,
  );
}

/** git's protocol and host as a URL (its `host` carries a port when not the default); undefined if invalid. */
function originOf(protocol: string, host: string): URL | undefined {
  if (!/^[a-z][a-z0-9+.-]*$/.test(protocol) || /[/?#@\s\\]/.test(host)) return undefined;
  const text = `${protocol}://${host}/`;
  return URL.canParse(text) ? new URL(text) : undefined;
}

function plain({ provider, profile }: GitLogin): GitLogin {
  return { provider, profile };
}
