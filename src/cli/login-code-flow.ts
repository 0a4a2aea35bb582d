// The authorization code flow of `oauthx login` (RFC 6749 §4.1 with PKCE, RFC 7636, over a loopback
// redirect, RFC 8252 §7.3): a loopback server, the authorization URL opened in the browser (or
// pasted back over SSH with --no-browser), the code exchanged for tokens, the ID token's binding
// checked. Never prints the code, the verifier or a token.

import type { Context } from "../core/context.ts";
import type { ResolvedClient } from "../core/endpoints.ts";
import { revokeLogin } from "../core/revocation.ts";
import type { AuthorizationCode } from "../oauth/authorization-response.ts";
import type { TokenSet } from "../oauth/types.ts";
import { openBrowser } from "../platform/browser.ts";

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
  const { startLoopbackServer } = await import("../oauth/loopback.ts");
  const { prepareAuthorization } = await import("../oauth/authorize.ts");
  const { exchangeCode } = await import("../oauth/token-endpoint.ts");
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
    if (options.browser && !(await openBrowser(url, ctx.env))) {
      ctx.stderr.write("(could not start a browser: open the URL yourself)\n");
    }
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
