// `oauthx login <provider>`: the Authorization Code flow with PKCE over a loopback redirect
// (RFC 6749 §4.1, RFC 7636, RFC 8252), or the device flow (RFC 8628) with --device; the tokens go
// to the store. Prints who logged in, on stderr; never a token, code or verifier.

import process from "node:process";
import type { Context } from "../core/context.ts";
import { resolveEndpoints } from "../core/endpoints.ts";
import { clientFor, type ProviderClient, revocationOptions } from "../core/provider-client.ts";
import { stringValues } from "../core/refresher.ts";
import { DEFAULT_PROFILE } from "../core/session.ts";
import { expiresAt } from "../core/token-manager.ts";
import { OauthxError } from "../errors.ts";
import type { AuthorizationCode } from "../oauth/authorization-response.ts";
import type { TokenSet } from "../oauth/types.ts";
import { openBrowser } from "../platform/browser.ts";
import type { ProviderEntry } from "../providers/registry.ts";
import type { StoreDocument, TokenEntry } from "../store/document.ts";
import type { Command } from "./command.ts";
import { parseDuration } from "./duration.ts";

export const command: Command = {
  args: "<provider>",
  // With --issuer the provider id is optional (a slug of --name); run() checks it otherwise.
  positionals: { min: 0, max: 1 },
  flags: {
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
  },
  description:
    "The client secret is never taken on the command line: use OAUTHX_<ID>_CLIENT_SECRET or --client-secret-stdin.\n" +
    "With --issuer URL --client-id ID --name NAME [<provider>], the provider is added to $OAUTHX_HOME/providers.yaml first.",
  examples: [
    "oauthx login github",
    "oauthx login microsoft --set tenant=contoso.com",
    "oauthx login gitlab --device",
    "oauthx login --issuer https://sso.example.com/realms/acme --client-id cli --name 'Acme SSO'",
    'printf %s "$SECRET" | oauthx login google --client-secret-stdin',
  ],
  async run(ctx, { flags, positionals }) {
    const profile = (flags.profile as string | undefined) ?? DEFAULT_PROFILE;
    const timeoutMs =
      flags.timeout === undefined ? undefined : parseDuration(flags.timeout as string, "--timeout") * 1000;
    const port = flags.port === undefined ? undefined : parsePort(flags.port as string);
    const vars = parseSettings((flags.set as string[] | undefined) ?? []);
    const secretFromStdin = flags["client-secret-stdin"] ? (await ctx.readStdin()).trim() : undefined;
    if (secretFromStdin === "") throw new OauthxError("USAGE", "--client-secret-stdin read an empty secret");

    let providerId = positionals[0];
    if (flags.issuer !== undefined) {
      const { addProviderFromIssuer } = await import("./login-issuer.ts");
      providerId = await addProviderFromIssuer(ctx, {
        issuer: flags.issuer as string,
        clientId: flags["client-id"] as string | undefined,
        name: flags.name as string | undefined,
        id: providerId,
        scopes: flags.scope as string[] | undefined,
      });
    } else if (flags.name !== undefined) {
      throw new OauthxError("USAGE", "--name goes with --issuer");
    }
    if (providerId === undefined) throw new OauthxError("USAGE", "missing argument: <provider>");

    const { loadRegistry } = await import("../providers/registry.ts");
    const { openStore } = await import("../store/store.ts");
    const entry = (await loadRegistry(ctx.home)).get(providerId);
    const store = openStore({ home: ctx.home, env: ctx.env, now: ctx.now });
    const before = await store.read();
    const stored = before.profiles[providerId]?.[profile];
    const resolved = clientFor(ctx, entry, stored, {
      vars,
      ...(flags["client-id"] ? { clientId: flags["client-id"] as string } : {}),
      ...(secretFromStdin ? { clientSecret: secretFromStdin } : {}),
    });
    const client = await resolveEndpoints(resolved, before);
    const scopes = (flags.scope as string[] | undefined) ?? [...entry.definition.scopes];

    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once("SIGINT", onSigint);
    let tokens: TokenSet;
    try {
      tokens = flags.device
        ? await deviceFlow(ctx, client, scopes, { browser: !flags["no-browser"], signal: abort.signal })
        : await codeFlow(ctx, entry, client, scopes, {
            browser: !flags["no-browser"],
            signal: abort.signal,
            ...(timeoutMs === undefined ? {} : { timeoutMs }),
            ...(port === undefined ? {} : { port }),
          });
    } finally {
      process.off("SIGINT", onSigint);
    }

    const account = await accountLabel(client, tokens);
    const now = ctx.now();
    const expiry = expiresAt(tokens, now);
    const next: TokenEntry = {
      access_token: tokens.access_token,
      token_type: tokens.token_type,
      ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
      ...(expiry === undefined ? {} : { expires_at: expiry }),
      scopes: tokens.scope ?? scopes,
      obtained_at: Math.floor(now / 1000),
      ...(account.label ? { account: account.label } : {}),
      ...(account.claims ? { id_token_claims: account.claims } : {}),
      ...(Object.keys(tokens.extra).length > 0 ? { extra: stringValues(tokens.extra) } : {}),
      // The client id is remembered so refreshes work without flags; a secret only when it was
      // handed to this command (from the environment it will be there next time too).
      client: {
        client_id: client.client.client_id,
        ...(secretFromStdin
          ? { client_secret: secretFromStdin }
          : stored?.client?.client_secret
            ? { client_secret: stored.client.client_secret }
            : {}),
      },
      ...(Object.keys(client.vars).length > 0 ? { vars: client.vars } : {}),
    };
    const { withEntry, withDiscovery: cacheDiscovery } = await import("../store/document.ts");
    await store.update((current: StoreDocument) => {
      const withToken = withEntry(current, providerId, profile, next);
      if (!("metadata" in client) || !client.metadata) return withToken;
      return cacheDiscovery(withToken, client.metadata.issuer, {
        ...client.metadata,
        fetched_at: Math.floor(now / 1000),
      });
    });

    const who = account.label ? ` as ${account.label}` : "";
    const where = profile === DEFAULT_PROFILE ? "" : ` (profile ${profile})`;
    if (flags.json) {
      ctx.stdout.write(
        `${JSON.stringify({ provider: providerId, profile, account: account.label ?? null, scopes: next.scopes, expires_at: expiry ?? null })}\n`,
      );
    }
    ctx.stderr.write(`Logged in to ${entry.definition.name}${who}${where}.\n`);
    if (!next.refresh_token) {
      ctx.stderr.write(
        `note: ${entry.definition.name} issued no refresh token; log in again when the token expires${entry.definition.refresh.issued ? ` (refresh tokens: ${entry.definition.refresh.issued})` : ""}.\n`,
      );
    }
    return 0;
  },
};

interface FlowOptions {
  browser: boolean;
  signal: AbortSignal;
  timeoutMs?: number;
  port?: number;
}

async function codeFlow(
  ctx: Context,
  entry: ProviderEntry,
  client: ProviderClient & { metadata?: { authorization_response_iss_parameter_supported?: boolean } },
  scopes: string[],
  options: FlowOptions,
): Promise<TokenSet> {
  const { startLoopbackServer } = await import("../oauth/loopback.ts");
  const { prepareAuthorization } = await import("../oauth/authorize.ts");
  const { exchangeCode } = await import("../oauth/token-endpoint.ts");
  const { redirect } = entry.definition;
  const server = await startLoopbackServer({
    host: redirect.host,
    path: redirect.path,
    ...(options.port !== undefined
      ? { ports: [options.port] }
      : redirect.ports
        ? { ports: redirect.ports }
        : {}),
  });
  try {
    const prepared = await prepareAuthorization(client.server, client.client, {
      redirect_uri: server.redirect_uri,
      scopes,
      scope_separator: entry.definition.scope_separator,
      scope_param: entry.definition.scope_param,
      extra_params: entry.definition.authorize_params,
      pkce: entry.definition.pkce,
    });
    const url = prepared.url.toString();
    ctx.stderr.write(`Open this URL to log in to ${entry.definition.name}:\n\n  ${url}\n\n`);
    if (options.browser && !(await openBrowser(url, ctx.env))) {
      ctx.stderr.write("(could not start a browser: open the URL yourself)\n");
    }
    const expectation = {
      state: prepared.state,
      ...(client.server.issuer ? { issuer: client.server.issuer } : {}),
      ...(client.server.authorization_response_iss_parameter_supported ? { iss_required: true } : {}),
      deny_returns_no_params: entry.definition.authorization_response.deny_returns_no_params,
    };
    const waiting = server.waitForCallback({
      ...expectation,
      signal: options.signal,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    let code: AuthorizationCode;
    if (!options.browser && ctx.interactive) {
      // Over SSH the browser cannot reach this machine's loopback: accept the URL it ends on.
      ctx.stderr.write(
        "After approving, paste the address your browser ended on (or wait for the redirect):\n",
      );
      const { parseRedirectedUrl } = await import("../oauth/authorization-response.ts");
      const stopReading = new AbortController();
      const pasted = ctx.readLine(stopReading.signal).then((text) => {
        // Closed without a line (the redirect arrived, or stdin ended): leave it to the server.
        if (text.trim() === "") return waiting;
        return parseRedirectedUrl(text, { ...expectation, redirect_uri: server.redirect_uri });
      });
      // Whichever loses must not surface later as an unhandled rejection.
      waiting.catch(() => {});
      pasted.catch(() => {});
      try {
        code = await Promise.race([waiting, pasted]);
      } finally {
        stopReading.abort();
      }
    } else {
      code = await waiting;
    }
    const tokens = await exchangeCode(
      client.server,
      client.client,
      {
        code: code.code,
        redirect_uri: server.redirect_uri,
        ...(prepared.code_verifier ? { code_verifier: prepared.code_verifier } : {}),
      },
      client.tokenOptions,
    );
    if (tokens.id_token) {
      const { checkIdTokenBinding, decodeIdTokenClaimsUnverified } = await import("../oauth/id-token.ts");
      const claims = decodeIdTokenClaimsUnverified(tokens.id_token);
      try {
        checkIdTokenBinding(claims, { clientId: client.client.client_id, nonce: prepared.nonce });
      } catch (error) {
        await discardTokens(client, tokens);
        throw error;
      }
    }
    return tokens;
  } finally {
    await server.close();
  }
}

/**
 * Revokes, best effort, tokens the server issued but this login refuses (RFC 7009 §2.1: the refresh
 * token first), so they do not stay valid at the provider with nobody holding them.
 */
async function discardTokens(client: ProviderClient, tokens: TokenSet): Promise<void> {
  if (!client.server.revocation_endpoint) return;
  const { revokeToken, revokesAccessTokenOnly } = await import("../oauth/revoke.ts");
  const options = revocationOptions(client);
  const requests = [
    ...(tokens.refresh_token && !revokesAccessTokenOnly(client.definition.revocation)
      ? [{ token: tokens.refresh_token, token_type_hint: "refresh_token" as const }]
      : []),
    { token: tokens.access_token, token_type_hint: "access_token" as const },
  ];
  for (const request of requests) {
    await revokeToken(client.server, client.client, request, options).catch(() => undefined);
  }
}

async function deviceFlow(
  ctx: Context,
  client: ProviderClient,
  scopes: string[],
  options: FlowOptions,
): Promise<TokenSet> {
  const { startDeviceAuthorization, pollDeviceToken } = await import("../oauth/device.ts");
  if (!client.server.device_authorization_endpoint) {
    throw new OauthxError(
      "CONFIG_INVALID",
      `${client.definition.name} has no device authorization endpoint`,
      {
        remedy: `log in without --device, or set device_authorization_endpoint for ${client.id}`,
      },
    );
  }
  const startedAt = ctx.now();
  const authorization = await startDeviceAuthorization(
    client.server,
    client.client,
    { scopes, scope_separator: client.definition.scope_separator },
    { ...client.tokenOptions, signal: options.signal },
  );
  ctx.stderr.write(
    `To log in to ${client.definition.name}, open ${authorization.verification_uri}\nand enter the code: ${authorization.user_code}\n`,
  );
  if (options.browser && authorization.verification_uri_complete) {
    await openBrowser(authorization.verification_uri_complete, ctx.env);
  }
  return pollDeviceToken(client.server, client.client, authorization, {
    ...client.tokenOptions,
    signal: options.signal,
    started_at: startedAt,
    scope_separator: client.definition.scope_separator,
  });
}

/** A label for people: from the id_token's claims (not verified: display only) or userinfo. */
async function accountLabel(client: ProviderClient, tokens: TokenSet) {
  const { decodeIdTokenClaimsUnverified, accountLabelFromClaims } = await import("../oauth/id-token.ts");
  const claims = tokens.id_token ? decodeIdTokenClaimsUnverified(tokens.id_token) : undefined;
  // An ID token often carries only `sub`; userinfo usually has a name a person recognises.
  const humanLabel = claims && ["email", "preferred_username", "name", "login"].some((name) => claims[name]);
  let label = humanLabel ? accountLabelFromClaims(claims) : undefined;
  if (!label && client.server.userinfo_endpoint) {
    const { fetchUserInfo } = await import("../oauth/userinfo.ts");
    // Best effort: a login is not failed for want of a name.
    const info = await fetchUserInfo(client.server, tokens.access_token, {
      headers: client.tokenOptions.headers ?? {},
      timeoutMs: 10_000,
    }).catch(() => undefined);
    label = accountLabelFromClaims(info) ?? accountLabelFromClaims(claims);
  } else {
    label ??= accountLabelFromClaims(claims);
  }
  return { label, claims };
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
