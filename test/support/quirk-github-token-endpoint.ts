// GitHub's OAuth quirks, which no standard server reproduces (sources in providers.yaml, github):
//   - the token body is form-encoded unless the request says `Accept: application/json`;
//   - errors such as `bad_verification_code` come back with HTTP 200 and an `error` member;
//   - the granted scope comes back comma-separated;
//   - the API (GET /user) refuses requests without a User-Agent;
//   - revocation is `DELETE /applications/{client_id}/token` with Basic auth and JSON {access_token};
//   - with `expiring: true`, GitHub App user tokens: ghu_ access tokens for 8 h with a single-use
//     ghr_ refresh token (refreshing kills the old refresh and access token).
// Also a consenting authorization endpoint (GET /login/oauth/authorize, PKCE optional as on
// github.com), so the real CLI can log in. Binds 127.0.0.1 on an ephemeral port.

import { createServer } from "node:http";
import { answerAuthorize, type IssuedCode, readBody, redeemCode } from "./fake-authorize.ts";
import { listenOnLoopback } from "./loopback-http.ts";

export const GITHUB_FAKE_CLIENT_ID = "Iv1.fakeclient";
export const GITHUB_FAKE_CLIENT_SECRET = "fake-github-secret";
export const GITHUB_FAKE_GOOD_CODE = "good-code";

export interface GitHubRequest {
  method: string;
  path: string;
  accept: string | undefined;
  user_agent: string | undefined;
  /** The form members of a token request. */
  form?: Record<string, string>;
}

export interface GitHubTokenEndpoint {
  /**
   * Base URL; authorization at /login/oauth/authorize, token endpoint at /login/oauth/access_token,
   * API at /user, revocation at /applications/{client_id}/token.
   */
  url: string;
  /** Access tokens issued and not yet revoked. */
  liveTokens: Set<string>;
  /** Refresh tokens issued and not yet used (expiring mode). */
  liveRefreshTokens: Set<string>;
  requests: GitHubRequest[];
  /** The authorization requests that got a code. */
  authorizations: IssuedCode[];
  close(): Promise<void>;
}

export async function startGitHubTokenEndpoint(
  options: { expiring?: boolean } = {},
): Promise<GitHubTokenEndpoint> {
  const liveTokens = new Set<string>();
  const liveRefreshTokens = new Set<string>();
  const requests: GitHubRequest[] = [];
  const authorizations: IssuedCode[] = [];
  const codes = new Map<string, IssuedCode>();
  let issued = 0;
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const isForm = (request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    requests.push({
      method: request.method ?? "",
      path: url.pathname,
      accept: request.headers.accept,
      user_agent: request.headers["user-agent"],
      ...(isForm ? { form: Object.fromEntries(new URLSearchParams(body)) } : {}),
    });
    const wantsJson = (request.headers.accept ?? "").includes("application/json");
    const reply = (members: Record<string, string | number>) => {
      const strings = Object.fromEntries(Object.entries(members).map(([key, value]) => [key, String(value)]));
      if (wantsJson) {
        response.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        response.end(JSON.stringify(members));
      } else {
        response.writeHead(200, { "content-type": "application/x-www-form-urlencoded; charset=utf-8" });
        response.end(new URLSearchParams(strings).toString());
      }
    };
    const issue = (): Record<string, string | number> => {
      const n = ++issued;
      if (!options.expiring) {
        const token = `gho_fake${n}`;
        liveTokens.add(token);
        return { access_token: token, scope: "repo,gist", token_type: "bearer" };
      }
      const token = `ghu_fake${n}`;
      const refresh = `ghr_fake${n}`;
      liveTokens.add(token);
      liveRefreshTokens.add(refresh);
      return {
        access_token: token,
        expires_in: 28800,
        refresh_token: refresh,
        refresh_token_expires_in: 15897600,
        scope: "repo,gist",
        token_type: "bearer",
      };
    };

    if (request.method === "GET" && url.pathname === "/login/oauth/authorize") {
      const code = answerAuthorize(
        url,
        response,
        { client_id: GITHUB_FAKE_CLIENT_ID, pkce: "optional" },
        codes,
      );
      if (code) authorizations.push(code);
      return;
    }

    if (request.method === "POST" && url.pathname === "/login/oauth/access_token") {
      const form = new URLSearchParams(body);
      if (
        form.get("client_id") !== GITHUB_FAKE_CLIENT_ID ||
        form.get("client_secret") !== GITHUB_FAKE_CLIENT_SECRET
      ) {
        reply({
          error: "incorrect_client_credentials",
          error_description: "The client_id and/or client_secret passed are incorrect.",
        });
        return;
      }
      if (options.expiring && form.get("grant_type") === "refresh_token") {
        const old = form.get("refresh_token") ?? "";
        if (!liveRefreshTokens.delete(old)) {
          reply({
            error: "bad_refresh_token",
            error_description: "The refresh token passed is incorrect or expired.",
          });
          return;
        }
        // Single use: the old access token dies with it.
        liveTokens.delete(old.replace(/^ghr_/, "ghu_"));
        reply(issue());
        return;
      }
      const legacy = form.get("code") === GITHUB_FAKE_GOOD_CODE;
      const redeemed = legacy ? undefined : redeemCode(codes, form);
      if (form.get("grant_type") !== "authorization_code" || (!legacy && !redeemed?.ok)) {
        // HTTP 200, as GitHub does.
        reply({
          error: "bad_verification_code",
          error_description: "The code passed is incorrect or expired.",
          error_uri:
            "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
        });
        return;
      }
      reply(issue());
      return;
    }

    if (request.method === "GET" && url.pathname === "/user") {
      if (!request.headers["user-agent"]) {
        response.writeHead(403, { "content-type": "text/plain" });
        response.end(
          "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
        );
        return;
      }
      const token = /^(?:Bearer|token) (\S+)$/i.exec(request.headers.authorization ?? "")?.[1] ?? "";
      if (!liveTokens.has(token)) {
        response.writeHead(401, { "content-type": "application/json" });
        response.end('{"message":"Bad credentials"}');
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ login: "octocat", id: 583231, name: "The Octocat" }));
      return;
    }

    const revoke = /^\/applications\/([^/]+)\/token$/.exec(url.pathname);
    if (request.method === "DELETE" && revoke) {
      const expected = `Basic ${Buffer.from(`${GITHUB_FAKE_CLIENT_ID}:${GITHUB_FAKE_CLIENT_SECRET}`).toString("base64")}`;
      if (
        decodeURIComponent(revoke[1] as string) !== GITHUB_FAKE_CLIENT_ID ||
        request.headers.authorization !== expected
      ) {
        response.writeHead(404, { "content-type": "application/json" });
        response.end('{"message":"Not Found"}');
        return;
      }
      const token = (JSON.parse(body || "{}") as { access_token?: string }).access_token ?? "";
      if (!liveTokens.delete(token)) {
        response.writeHead(404, { "content-type": "application/json" });
        response.end('{"message":"Not Found"}');
        return;
      }
      liveRefreshTokens.delete(token.replace(/^ghu_/, "ghr_"));
      response.writeHead(204);
      response.end();
      return;
    }
    response.writeHead(404, { "content-type": "text/html" });
    response.end("<html>Not Found</html>");
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    liveTokens,
    liveRefreshTokens,
    requests,
    authorizations,
    close: listening.close,
  };
}
