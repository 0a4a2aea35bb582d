// `oauthx login --issuer URL --client-id ID --name NAME [<provider>]`: adds an OpenID Connect
// provider found by discovery to the user's providers file, so that the login that follows (and
// every later command) knows it by id. Nothing is written unless discovery succeeds; an id that
// exists already (built-in or the user's) is refused rather than overwritten.

import type { Context } from "../../core/context.ts";
import { OauthxError } from "../../errors.ts";
import { isSecureEndpoint } from "../../oauth/endpoint-url.ts";
import type { ProviderInput } from "../../providers/schema.ts";

export interface IssuerLogin {
  issuer: string;
  clientId: string | undefined;
  name: string | undefined;
  /** The positional provider id, if given; otherwise a slug of the name. */
  id: string | undefined;
  /** `--scope` values; otherwise openid plus those of profile, email, offline_access the server lists. */
  scopes: string[] | undefined;
  /**
   * `--port`: the server matches redirect URIs exactly, port included, so the entry pins it and
   * every later login uses the port that was registered.
   */
  port: number | undefined;
}

/** `Acme SSO (staging)` -> `acme-sso-staging`; undefined when nothing usable is left. */
export function providerSlug(name: string): string | undefined {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
  return slug === "" ? undefined : slug.slice(0, 63).replace(/-+$/, "");
}

const OPTIONAL_SCOPES = ["profile", "email", "offline_access"];

/** Adds the provider to $OAUTHX_HOME/providers.yaml and returns its id. */
export async function addProviderFromIssuer(ctx: Context, input: IssuerLogin): Promise<string> {
  const { issuer } = input;
  if (!URL.canParse(issuer) || !isSecureEndpoint(new URL(issuer))) {
    throw new OauthxError("USAGE", `--issuer takes an https URL, not "${issuer}"`);
  }
  if (!input.name) throw new OauthxError("USAGE", "--issuer needs --name NAME (how the provider is shown)");
  if (!input.clientId) {
    throw new OauthxError("USAGE", "--issuer needs --client-id ID (the client you registered at the issuer)");
  }
  const id = input.id ?? providerSlug(input.name);
  if (id === undefined) {
    throw new OauthxError("USAGE", `cannot make a provider id from --name "${input.name}"`, {
      remedy: "give the id too: oauthx login --issuer URL --client-id ID --name NAME <id>",
    });
  }

  if (!/^[a-z][a-z0-9-]*$/.test(id)) {
    throw new OauthxError("USAGE", `"${id}" is not a provider id: use lower-case letters, digits and '-'`);
  }

  const { loadRegistry } = await import("../../providers/registry.ts");
  const registry = await loadRegistry(ctx.home, { env: ctx.env });
  const existing = registry.list().find((entry) => entry.id === id);
  if (existing) {
    throw new OauthxError(
      "CONFIG_INVALID",
      `a provider "${id}" exists already (${existing.source === "builtin" ? "built in" : `in ${registry.userFile}`})`,
      {
        remedy: `log in with \`oauthx login ${id}\`, or give another id: oauthx login --issuer ... <id>`,
      },
    );
  }

  const { discover } = await import("../../oauth/discovery.ts");
  const metadata = await discover(issuer);
  if (!metadata.authorization_endpoint) {
    throw new OauthxError("CONFIG_INVALID", `${issuer} has no authorization endpoint`, {
      remedy: "oauthx logs in with the authorization code flow; check the issuer",
    });
  }
  // Only scopes the server lists. A server that lists none may still refuse one it does not know
  // (Django OAuth Toolkit answers `invalid_scope` to offline_access, and issues refresh tokens
  // without it), and the entry written here would fail every time: unknown support means openid
  // alone, as issuer-only entries already ask, plus what the user names with --scope.
  const supported = metadata.scopes_supported ?? [];
  const scopes = input.scopes ?? ["openid", ...OPTIONAL_SCOPES.filter((scope) => supported.includes(scope))];
  const methods = metadata.code_challenge_methods_supported;
  // S256 is sent for required and optional alike; a server that lists methods without S256 gets none.
  const pkce = methods === undefined ? "optional" : methods.includes("S256") ? "required" : "unsupported";
  const entry: ProviderInput = {
    name: input.name,
    // The issuer as given: discovery has just confirmed the document names exactly this one.
    issuer,
    client_id: input.clientId,
    client_auth: "none",
    pkce,
    scopes,
    ...(input.port === undefined ? {} : { redirect: { ports: [input.port] } }),
  };

  const { addUserProvider } = await import("../../providers/user-file.ts");
  const file = registry.userFile as string;
  const today = new Date(ctx.now()).toISOString().slice(0, 10);
  await addUserProvider(file, id, entry, `added by \`oauthx login --issuer\` on ${today}`);
  ctx.stderr.write(`Added provider "${id}" (${input.name}) to ${file}.\n`);
  return id;
}
