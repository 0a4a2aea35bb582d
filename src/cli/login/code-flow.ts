// The authorization code flow of `oauthx login` (RFC 6749 §4.1 with PKCE, RFC 7636, over a loopback
// redirect, RFC 8252 §7.3): a loopback server, the authorization URL opened in the browser (or, with
// --no-browser or where no browser can open, the address it ended on pasted back: paste.ts),
// the code exchanged for tokens, the ID token's binding checked. Never prints the code, the verifier or a token.

import type { Context } from "../../core/context.ts";
import type { ResolvedClient } from "../../core/endpoints.ts";
import { revokeLogin } from "../../core/revocation.ts";
import { OauthxError, severityLabel } from "../../errors.ts";
import type { AuthorizationCode } from "../../oauth/authorization-response.ts";
import type { TokenSet } from "../../oauth/types.ts";
import { noBrowserReason, openBrowser } from "../../platform/browser.ts";
import { pasteOrWait } from "./paste.ts";

export interface FlowOptions {
  browser: boolean;
  signal: AbortSignal;
  timeoutMs?: number;
  /** --port: one fixed loopback port instead of the provider's (or any free one). */
  port?: number;
}

export async function codeFlow(
  ctx: Context,
  client: ResolvedClient,
  scopes: string[],
  options: FlowOptions,
): Promise<TokenSet> {
  const { startLoopbackServer } = await import("../../oauth/loopback.ts");
  const { prepareAuthorization } = await import("../../oauth/authorize.ts");
  const { exchangeCode } = await import("../../oauth/token-endpoint.ts");
  const { definition } = client;
  const { redirect } = definition;
  const ports = options.port !== undefined ? [options.port] : redirect.ports;
  const server = await startLoopbackServer({
    host: redirect.host,
    path: redirect.path,
    ...(ports ? { ports } : {}),
  });
  try {
    const prepared = await prepareAuthorization(client.server, client.client, {
      redirect_uri: server.redirect_uri,
      scopes,
      scope_separator: definition.scope_separator,
      scope_param: definition.scope_param,
      extra_params: definition.authorize_params,
      pkce: definition.pkce,
    });
    await checkAuthorizationHost(
      ctx,
      client,
      prepared.url,
      !options.browser || noBrowserReason(ctx.env) !== undefined,
      options.signal,
    );
    // Ctrl-C during the check (up to 6 s): end here, before the URL is shown.
    if (options.signal.aborted) throw new OauthxError("INTERRUPTED", "the login was cancelled");
    const url = prepared.url.toString();
    ctx.stderr.write(`Open this URL to log in to ${definition.name}:\n\n  ${url}\n\n`);
    // A server that matches redirect URIs exactly, port included (against RFC 8252 §7.3, but
    // common), shows its own error page instead of coming back: the wait would end only at the
    // timeout. Say which URI is in use, so it can be compared with the registered one.
    ctx.stderr.write(
      `Waiting for the browser to return to ${server.redirect_uri}\n` +
        (ports
          ? ""
          : `(if ${definition.name} reports a redirect URI mismatch, register a fixed port and log in with --port)\n`),
    );
    const expectation = {
      state: prepared.state,
      ...(client.server.issuer ? { issuer: client.server.issuer } : {}),
      ...(client.server.authorization_response_iss_parameter_supported ? { iss_required: true } : {}),
      deny_returns_no_params: definition.authorization_response.deny_returns_no_params,
    };
    const waiting = server.waitForCallback({
      ...expectation,
      signal: options.signal,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    // Awaited below, maybe after a race it lost: it must not surface as an unhandled rejection.
    waiting.catch(() => {});
    // Over SSH the browser runs elsewhere and cannot reach this machine's loopback: the address it
    // ends on is pasted back instead (paste.ts).
    let pasteBack = !options.browser;
    if (options.browser) {
      const none = noBrowserReason(ctx.env);
      // The answer may come back before the opener exits (a fast browser): then it worked.
      const opened =
        none === undefined &&
        (await Promise.race([
          openBrowser(url, ctx.env),
          waiting.then(
            () => true,
            () => true,
          ),
        ]));
      if (!opened) {
        ctx.stderr.write(
          none
            ? `No browser can open here (${none}): open the URL in a browser on any machine.\n`
            : "Could not start a browser: open the URL yourself.\n",
        );
        if (client.server.device_authorization_endpoint) {
          ctx.stderr.write(
            `(${definition.name} also has the device flow, which needs no browser here: run again with --device)\n`,
          );
        }
        pasteBack = true;
      }
    }
    const exchange = (code: AuthorizationCode) =>
      exchangeCode(
        client.server,
        client.client,
        {
          code: code.code,
          redirect_uri: server.redirect_uri,
          ...(prepared.code_verifier ? { code_verifier: prepared.code_verifier } : {}),
        },
        client.tokenOptions,
      );
    const tokens =
      pasteBack && ctx.interactive
        ? await pasteOrWait(ctx, waiting, { ...expectation, redirect_uri: server.redirect_uri }, exchange)
        : await exchange(await waiting);
    if (tokens.id_token) {
      const { checkIdTokenBinding, decodeIdTokenClaimsUnverified } = await import("../../oauth/id-token.ts");
      try {
        checkIdTokenBinding(decodeIdTokenClaimsUnverified(tokens.id_token), {
          clientId: client.client.client_id,
          nonce: prepared.nonce,
        });
      } catch (error) {
        // Refused: revoke what the server issued (RFC 7009 §2.1), best effort, so it does not stay
        // valid at the provider with nobody holding it.
        await revokeLogin(client.id, client, {
          access_token: tokens.access_token,
          token_type: tokens.token_type,
          ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
          scopes: [],
          obtained_at: 0,
        }).catch(() => undefined);
        throw error;
      }
    }
    return tokens;
  } finally {
    await server.close();
  }
}

/**
 * How long the authorization endpoint's host has to answer before the login goes on regardless:
 * past glibc's 5 s before it asks a DNS server again, so one lost packet is not taken for silence.
 */
const HOST_CHECK_MS = 6000;
const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];

/**
 * Fails in seconds, naming the host, when the authorization endpoint's host does not resolve or
 * answer, instead of waiting minutes for a browser that shows "server not found" (a mistyped
 * `--set domain=…`). Only a warning when the browser runs on another machine (--no-browser, SSH),
 * which may reach what this one cannot (a VPN on the laptop) — unless the token endpoint is on the
 * same host: this machine must reach that one itself.
 */
async function checkAuthorizationHost(
  ctx: Context,
  client: ResolvedClient,
  endpoint: URL,
  browserElsewhere: boolean,
  signal: AbortSignal,
): Promise<void> {
  // Behind a proxy this machine may resolve nothing itself; the browser goes through the proxy.
  if (PROXY_VARIABLES.some((name) => ctx.env[name])) return;
  const { hostProblem, isDefinite } = await import("../../platform/host-check.ts");
  const problem = await hostProblem(endpoint, HOST_CHECK_MS, signal);
  if (problem === undefined) return;
  const what = `the authorization endpoint's host ${endpoint.host} ${problem}`;
  const settings = `check the provider's settings (oauthx providers show ${client.id}) and any --set value`;
  const tokenHost =
    client.server.token_endpoint && URL.canParse(client.server.token_endpoint)
      ? new URL(client.server.token_endpoint).host
      : undefined;
  // Silence may be a lost packet or a firewall the browser's path avoids: say it and go on.
  if (!isDefinite(problem)) {
    ctx.stderr.write(
      `${severityLabel("warning", ctx.color)} ${what} within ${HOST_CHECK_MS / 1000} s; if the browser cannot reach it, ${settings}.\n`,
    );
    return;
  }
  if (browserElsewhere && tokenHost !== endpoint.host) {
    ctx.stderr.write(
      `${severityLabel("warning", ctx.color)} ${what} from this machine; if the browser's machine cannot reach it either, ${settings}.\n`,
    );
    return;
  }
  throw new OauthxError("NETWORK", what, { remedy: `${settings}, then this machine's connection` });
}
