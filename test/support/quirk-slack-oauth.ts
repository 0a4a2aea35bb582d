// Slack's OAuth v2 quirks for a user token (sources in providers.yaml, slack):
//   - the user's scopes travel in `user_scope` (comma-separated); `scope` would ask for bot scopes;
//   - oauth.v2.access answers HTTP 200 whatever happens: `{ok:false, error:"invalid_code"}` on
//     failure, and on success the user token nested in `authed_user` (no top-level access_token
//     when no bot scope was asked for);
//   - with token rotation, the refresh grant answers flat (access_token etc. at the top level,
//     token_type "user") and spends the old refresh token;
//   - the Web API (auth.test) and auth.revoke take the token as Bearer and answer 200 with `ok`.
// Authorization at /oauth/v2/authorize (PKCE optional, a consenting user). Binds 127.0.0.1 on an
// ephemeral port.

import { createServer } from "node:http";
import {
  answerAuthorize,
  bearer,
  type IssuedCode,
  readBody,
  redeemCode,
  sendJson,
} from "./fake-authorize.ts";
import { listenOnLoopback } from "./loopback-http.ts";

export const SLACK_FAKE_CLIENT_ID = "1234567890.0987654321";
export const SLACK_FAKE_CLIENT_SECRET = "fake-slack-secret";

export interface SlackRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  form?: Record<string, string>;
}

export interface SlackFake {
  /** Base URL: /oauth/v2/authorize, /api/oauth.v2.access, /api/auth.test, /api/auth.revoke. */
  url: string;
  liveTokens: Set<string>;
  liveRefreshTokens: Set<string>;
  revoked: string[];
  requests: SlackRequest[];
  authorizations: IssuedCode[];
  close(): Promise<void>;
}

const TEAM = { id: "T0FAKE", name: "Acme" };
const USER_ID = "U0ALICE";

export async function startSlackFake(): Promise<SlackFake> {
  const liveTokens = new Set<string>();
  const liveRefreshTokens = new Set<string>();
  const revoked: string[] = [];
  const requests: SlackRequest[] = [];
  const authorizations: IssuedCode[] = [];
  const codes = new Map<string, IssuedCode>();
  let issued = 0;
  const mint = (scope: string) => {
    const n = ++issued;
    const token = `xoxe.xoxp-1-fake${n}`;
    const refresh = `xoxe-1-fake${n}`;
    liveTokens.add(token);
    liveRefreshTokens.add(refresh);
    return { access_token: token, token_type: "user", refresh_token: refresh, expires_in: 43200, scope };
  };
  const scopeOf = new Map<string, string>();

  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const isForm = (request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    requests.push({
      method: request.method ?? "",
      path: url.pathname,
      authorization: request.headers.authorization,
      ...(isForm ? { form: Object.fromEntries(new URLSearchParams(body)) } : {}),
    });

    if (request.method === "GET" && url.pathname === "/oauth/v2/authorize") {
      const code = answerAuthorize(
        url,
        response,
        {
          client_id: SLACK_FAKE_CLIENT_ID,
          pkce: "optional",
          scope_param: "user_scope",
          forbidden: ["scope"],
        },
        codes,
      );
      if (code) authorizations.push(code);
      return;
    }

    if (request.method === "POST" && url.pathname === "/api/oauth.v2.access") {
      const form = new URLSearchParams(body);
      // Basic preferred, body accepted (oauth.v2.access reference).
      const basic = `Basic ${Buffer.from(`${SLACK_FAKE_CLIENT_ID}:${SLACK_FAKE_CLIENT_SECRET}`).toString("base64")}`;
      const authenticated =
        request.headers.authorization === basic ||
        (form.get("client_id") === SLACK_FAKE_CLIENT_ID &&
          form.get("client_secret") === SLACK_FAKE_CLIENT_SECRET);
      if (!authenticated) return sendJson(response, 200, { ok: false, error: "invalid_client_id" });
      if (form.get("grant_type") === "refresh_token") {
        const old = form.get("refresh_token") ?? "";
        if (!liveRefreshTokens.delete(old))
          return sendJson(response, 200, { ok: false, error: "invalid_refresh_token" });
        const scope = scopeOf.get(old) ?? "";
        const tokens = mint(scope);
        scopeOf.set(tokens.refresh_token, scope);
        // Flat: the refresh answer has no authed_user.
        return sendJson(response, 200, {
          ok: true,
          app_id: "A0FAKE",
          user_id: USER_ID,
          team: TEAM,
          enterprise: null,
          ...tokens,
        });
      }
      const redeemed = redeemCode(codes, form);
      if (!redeemed.ok) return sendJson(response, 200, { ok: false, error: "invalid_code" });
      const scope = redeemed.issued.scope ?? "";
      const tokens = mint(scope);
      scopeOf.set(tokens.refresh_token, scope);
      return sendJson(response, 200, {
        ok: true,
        app_id: "A0FAKE",
        authed_user: { id: USER_ID, ...tokens },
        team: TEAM,
        enterprise: null,
        is_enterprise_install: false,
      });
    }

    if (request.method === "POST" && url.pathname === "/api/auth.test") {
      const token = bearer(request);
      if (!token || !liveTokens.has(token))
        return sendJson(response, 200, { ok: false, error: "invalid_auth" });
      return sendJson(response, 200, {
        ok: true,
        user: "alice",
        user_id: USER_ID,
        team: TEAM.name,
        team_id: TEAM.id,
      });
    }

    if (request.method === "POST" && url.pathname === "/api/auth.revoke") {
      const token = bearer(request);
      if (!token || !liveTokens.delete(token))
        return sendJson(response, 200, { ok: false, error: "invalid_auth" });
      revoked.push(token);
      return sendJson(response, 200, { ok: true, revoked: true });
    }
    response.writeHead(404, { "content-type": "text/html" });
    response.end("<html>Not Found</html>");
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    liveTokens,
    liveRefreshTokens,
    revoked,
    requests,
    authorizations,
    close: listening.close,
  };
}
