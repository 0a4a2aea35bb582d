// `oauthx login <provider>`: the Authorization Code flow with PKCE over a loopback redirect
// (RFC 6749 §4.1, RFC 7636, RFC 8252), or the device flow (RFC 8628) with --device; the tokens go
// to the store. Prints who logged in, on stderr; never a token, code or verifier.
// `oauthx seed` (seed.ts) runs the same login through authorize() and keeps nothing.

import process from "node:process";
import type { Context } from "../../core/context.ts";
import type { ResolvedClient } from "../../core/endpoints.ts";
import { resolveEndpoints } from "../../core/endpoints.ts";
import { accountLabel, defaultScopes, loginEntry, revokeReplaced } from "../../core/login-record.ts";
import { clientFor } from "../../core/provider-client.ts";
import { DEFAULT_PROFILE } from "../../core/session.ts";
import type { DocumentStore } from "../../core/token-manager.ts";
import { OauthxError, severityLabel } from "../../errors.ts";
import type { TokenSet } from "../../oauth/types.ts";
import type { ProviderEntry } from "../../providers/registry.ts";
import type { StoreDocument, TokenEntry } from "../../store/document.ts";
import { defineCommand, type Flag, type FlagValues } from "../command.ts";
import { parseDuration } from "../duration.ts";
import { relativeTime } from "../output.ts";
import { codeFlow } from "./code-flow.ts";
import { deviceFlow } from "./device-flow.ts";

/** The flags of `login`, shared with `seed` (which has no --json: its stdout is the token). */
export const loginFlags = {
  profile: {
    type: "string",
    value: "NAME",
    help: "Keep this login under a profile name (default: default)",
  },
  scope: {
    type: "string",
    multiple: true,
    value: "SCOPE",
    help: "Scope to request (repeatable; replaces the defaults)",
  },
  set: {
    type: "string",
    multiple: true,
    value: "NAME=VALUE",
    help: "Provider setting, e.g. tenant=contoso.com",
  },
  "client-id": { type: "string", value: "ID", help: "OAuth client id (or OAUTHX_<ID>_CLIENT_ID)" },
  "client-secret-stdin": {
    type: "boolean",
    help: "Read the client secret from stdin and keep it in the store",
  },
  device: { type: "boolean", help: "Use the device flow (RFC 8628): for machines without a browser" },
  "no-browser": {
    type: "boolean",
    help: "Print the URL only; on a terminal, accept the redirected URL pasted back",
  },
  port: { type: "string", value: "N", help: "Loopback port for the redirect (default: any free port)" },
  timeout: {
    type: "string",
    value: "DURATION",
    help: "Give up waiting for the browser after this (default 5m)",
  },
  json: { type: "boolean", help: "Print the result as JSON on stdout" },
  issuer: {
    type: "string",
    value: "URL",
    help: "Add an OpenID Connect provider by discovery to your providers file, then log in (with --client-id, --name)",
  },
  name: {
    type: "string",
    value: "NAME",
    help: "With --issuer: the provider's name; its id defaults to a slug of it",
  },
} as const satisfies Record<string, Flag>;

export const loginDescription =
  "The client secret is never taken on the command line: use OAUTHX_<ID>_CLIENT_SECRET or --client-secret-stdin.\n" +
  "With --issuer URL --client-id ID --name NAME [<provider>], the provider is added to $OAUTHX_HOME/providers.yaml first.";

/** A login's outcome before anything is stored: what `login` stores and `seed` prints. */
export interface Authorized {
  providerId: string;
  profile: string;
  entry: ProviderEntry;
  client: ResolvedClient;
  tokens: TokenSet;
  scopes: string[];
  /** The login this profile holds now, if any: its remembered settings were used. */
  stored: TokenEntry | undefined;
  secretFromStdin: string | undefined;
  /** The store the login was read from (the file, or the shared store): `login` writes it. */
  store: DocumentStore;
}

/**
 * Resolves the provider and the client from the flags (and a stored login's remembered settings)
 * and runs the code or device flow. Reads the store, never writes it; --issuer writes the user's
 * providers file.
 */
export async function authorize(
  ctx: Context,
  flags: Omit<FlagValues<typeof loginFlags>, "json">,
  provider: string | undefined,
): Promise<Authorized> {
  const profile = flags.profile ?? DEFAULT_PROFILE;
  const timeoutMs =
    flags.timeout === undefined
      ? undefined
      : parseDuration(flags.timeout, "--timeout", { positive: true }) * 1000;
  const port = flags.port === undefined ? undefined : parsePort(flags.port);
  const vars = parseSettings(flags.set ?? []);
  const secretFromStdin = flags["client-secret-stdin"] ? (await ctx.readStdin()).trim() : undefined;
  if (secretFromStdin === "") throw new OauthxError("USAGE", "--client-secret-stdin read an empty secret");

  let providerId = provider;
  if (flags.issuer !== undefined) {
    const { addProviderFromIssuer } = await import("./issuer.ts");
    providerId = await addProviderFromIssuer(ctx, {
      issuer: flags.issuer,
      clientId: flags["client-id"],
      name: flags.name,
      id: providerId,
      scopes: flags.scope,
      port,
    });
  } else if (flags.name !== undefined) {
    throw new OauthxError("USAGE", "--name goes with --issuer");
  }
  if (providerId === undefined) throw new OauthxError("USAGE", "missing argument: <provider>");

  const { loadRegistry } = await import("../../providers/registry.ts");
  const { openConfiguredStore } = await import("../../core/shared-store.ts");
  const entry = (await loadRegistry(ctx.home, { env: ctx.env })).get(providerId);
  const { federation, authorization_endpoint, issuer } = entry.definition;
  if (federation && !authorization_endpoint && !issuer) {
    // A federated CI provider has nothing to log in to: a CI job's identity token is its login.
    throw new OauthxError(
      "USAGE",
      `${providerId} serves CI jobs only (federation, ${federation.grant}): there is no login`,
      {
        remedy: "in a CI job, give oauthx its identity token (`oauthx help ci`)",
      },
    );
  }
  const store = await openConfiguredStore(ctx, { provider: providerId, profile });
  const before = await store.read();
  const stored = before.profiles[providerId]?.[profile];
  const resolved = clientFor(ctx, entry, stored, {
    vars,
    ...(flags["client-id"] ? { clientId: flags["client-id"] } : {}),
    ...(secretFromStdin ? { clientSecret: secretFromStdin } : {}),
  });
  // A new grant asks the issuer itself, never the store's discovery cache: the browser, the code,
  // the verifier and a client secret all go where that document says, and the cache is no
  // stronger than the store (a shared store's row can be written by anyone who may write its table;
  // age authenticates no writer). Discovery checks the issuer it names (RFC 8414 §3.3).
  const client = await resolveEndpoints(resolved, undefined);
  const scopes = flags.scope ?? defaultScopes(client);

  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once("SIGINT", onSigint);
  let tokens: TokenSet;
  try {
    const flow = { browser: !flags["no-browser"], signal: abort.signal };
    tokens = flags.device
      ? await deviceFlow(ctx, client, scopes, flow)
      : await codeFlow(ctx, client, scopes, {
          ...flow,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(port === undefined ? {} : { port }),
        });
  } finally {
    process.off("SIGINT", onSigint);
  }
  return { providerId, profile, entry, client, tokens, scopes, stored, secretFromStdin, store };
}

export const command = defineCommand({
  // With --issuer the provider id is optional (a slug of --name); run() checks it otherwise.
  positionals: [{ name: "provider", kind: "provider", optional: true }],
  flags: loginFlags,
  description: loginDescription,
  examples: [
    "oauthx login github",
    "oauthx login microsoft --set tenant=contoso.com",
    "oauthx login gitlab --device",
    "oauthx login --issuer https://sso.example.com/realms/acme --client-id cli --name 'Acme SSO'",
    'printf %s "$SECRET" | oauthx login google --client-secret-stdin',
  ],
  async run(ctx, { flags, positionals }) {
    const { providerId, profile, entry, client, tokens, scopes, stored, secretFromStdin, store } =
      await authorize(ctx, flags, positionals[0]);
    const account = await accountLabel(client, tokens);
    const next = loginEntry({
      client,
      tokens,
      scopes,
      nowMs: ctx.now(),
      account,
      // A secret is kept when it was handed to this command (one from the environment will be there
      // next time too), or when the replaced login kept one.
      clientSecret: secretFromStdin ?? stored?.client?.client_secret,
    });
    const { withEntry, withDiscovery: cacheDiscovery } = await import("../../store/document.ts");
    await store.update((current: StoreDocument) => {
      const withToken = withEntry(current, providerId, profile, next);
      if (!client.metadata) return withToken;
      return cacheDiscovery(withToken, client.metadata.issuer, {
        ...client.metadata,
        fetched_at: next.obtained_at,
      });
    });
    const name = entry.definition.name;
    if (stored) {
      const failure = await revokeReplaced(providerId, client, stored, next);
      if (failure)
        ctx.stderr.write(`note: the replaced ${name} login could not be revoked: ${failure.message}\n`);
    }

    const who = account.label ? ` as ${account.label}` : "";
    const where = profile === DEFAULT_PROFILE ? "" : ` (profile ${profile})`;
    if (flags.json) {
      ctx.stdout.write(
        `${JSON.stringify({ provider: providerId, profile, account: account.label ?? null, scopes: next.scopes, expires_at: next.expires_at ?? null })}\n`,
      );
    }
    ctx.stderr.write(`Logged in to ${name}${who}${where}.\n`);
    if (!next.refresh_token) ctx.stderr.write(noRefreshTokenNote(ctx, name, scopes, next, entry.definition));
    return 0;
  },
});

/**
 * A login without a refresh token ends when its access token does. Asked for with offline_access
 * and not given, that is a surprise an hour later unless said now, with the likely reason: OIDC
 * Core §11 has a server honour offline_access only with prompt=consent (LemonLDAP::NG drops it
 * otherwise), and authorize_params can send that.
 */
function noRefreshTokenNote(
  ctx: Context,
  name: string,
  scopes: readonly string[],
  next: TokenEntry,
  definition: { refresh: { issued?: string }; authorize_params: Record<string, string> },
): string {
  const left = next.expires_at === undefined ? "" : ` (${relativeTime(next.expires_at - ctx.now() / 1000)})`;
  if (!scopes.includes("offline_access")) {
    const how = definition.refresh.issued ? ` (refresh tokens: ${definition.refresh.issued})` : "";
    return `note: ${name} issued no refresh token; log in again when the token expires${left}${how}.\n`;
  }
  const consent =
    definition.authorize_params.prompt === undefined
      ? "the server may grant offline_access only with prompt=consent (OpenID Connect Core §11): add `authorize_params: { prompt: consent }` to the provider entry and log in again"
      : "check that the client may use the refresh_token grant at the server";
  return `${severityLabel("warning", ctx.color)} ${name} issued no refresh token although offline_access was asked for: this login ends when its token expires${left}.\n  → ${consent}.\n`;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new OauthxError("USAGE", `--port takes a port number from 1 to 65535, not "${value}"`);
  }
  return port;
}

function parseSettings(values: string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    if (at <= 0) throw new OauthxError("USAGE", `--set takes NAME=VALUE, not "${value}"`);
    settings[value.slice(0, at)] = value.slice(at + 1);
  }
  return settings;
}
