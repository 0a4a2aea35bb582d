// Salesforce's token response quirks (sources in providers.yaml, salesforce; jsforce
// TokenResponse): no `expires_in` ever (the session timeout is an org setting); the answer carries
// `instance_url` (the org's API host, which must become the API base), `id` (the identity URL),
// `issued_at` in milliseconds as a string, and `signature`. A refresh returns a new access token
// only, no refresh token. PKCE S256 required; the connected app needs no secret. Authorization at
// /services/oauth2/authorize (a consenting user), API at /services/data/. With the `openid` scope
// the code exchange also returns an `id_token` (aud = the client, the request's nonce; the
// signature is not real: oauthx does not verify it). `idTokenFromAnotherLogin` makes that ID token
// carry another login's nonce, as a mix-up would. Binds 127.0.0.1 on an ephemeral port; the fake is
// its own instance_url.

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

export const SALESFORCE_FAKE_CLIENT_ID = "3MVG9fake.connected.app";
const ORG_ID = "00DFAKE000000001";
const USER_ID = "005FAKE000000001";

export interface SalesforceFake {
  url: string;
  liveTokens: Set<string>;
  liveRefreshTokens: Set<string>;
  requests: { method: string; path: string; form?: Record<string, string> }[];
  authorizations: IssuedCode[];
  /** Set to answer the next code exchanges with an ID token bearing another login's nonce. */
  idTokenFromAnotherLogin: boolean;
  close(): Promise<void>;
}

export async function startSalesforceFake(): Promise<SalesforceFake> {
  const liveTokens = new Set<string>();
  const liveRefreshTokens = new Set<string>();
  const requests: SalesforceFake["requests"] = [];
  const authorizations: IssuedCode[] = [];
  const codes = new Map<string, IssuedCode>();
  let issued = 0;
  let base = "";
  const fake: SalesforceFake = {
    url: "",
    liveTokens,
    liveRefreshTokens,
    requests,
    authorizations,
    idTokenFromAnotherLogin: false,
    close: async () => {},
  };
  const session = (scope: string) => {
    const token = `${ORG_ID}!AQfake.session${++issued}`;
    liveTokens.add(token);
    return {
      access_token: token,
      signature: Buffer.from(`sig${issued}`).toString("base64"),
      scope,
      instance_url: base,
      id: `${base}/id/${ORG_ID}/${USER_ID}`,
      token_type: "Bearer",
      issued_at: String(Date.now()),
    };
  };

  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const isForm = (request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    requests.push({
      method: request.method ?? "",
      path: url.pathname,
      ...(isForm ? { form: Object.fromEntries(new URLSearchParams(body)) } : {}),
    });

    if (request.method === "GET" && url.pathname === "/services/oauth2/authorize") {
      const code = answerAuthorize(
        url,
        response,
        { client_id: SALESFORCE_FAKE_CLIENT_ID, pkce: "required", scope_param: "scope" },
        codes,
      );
      if (code) authorizations.push(code);
      return;
    }

    if (request.method === "POST" && url.pathname === "/services/oauth2/token") {
      const form = new URLSearchParams(body);
      if (form.get("client_id") !== SALESFORCE_FAKE_CLIENT_ID) {
        return sendJson(response, 400, {
          error: "invalid_client_id",
          error_description: "client identifier invalid",
        });
      }
      if (form.get("grant_type") === "refresh_token") {
        if (!liveRefreshTokens.has(form.get("refresh_token") ?? "")) {
          return sendJson(response, 400, {
            error: "invalid_grant",
            error_description: "expired access/refresh token",
          });
        }
        // Only a new access token; the refresh token stays.
        return sendJson(response, 200, session("api refresh_token"));
      }
      const redeemed = redeemCode(codes, form);
      if (!redeemed.ok) {
        return sendJson(response, 400, { error: "invalid_grant", error_description: redeemed.why });
      }
      const refresh = `5Aep861fake.refresh${issued + 1}`;
      liveRefreshTokens.add(refresh);
      const scope = redeemed.issued.scope ?? "";
      const idToken = scope.split(" ").includes("openid")
        ? { id_token: fakeIdToken(base, redeemed.issued.params.nonce, fake.idTokenFromAnotherLogin) }
        : {};
      return sendJson(response, 200, { ...session(scope), refresh_token: refresh, ...idToken });
    }

    const token = bearer(request);
    if (request.method === "GET" && url.pathname === "/services/oauth2/userinfo") {
      if (!token || !liveTokens.has(token)) return sendJson(response, 403, "Bad_OAuth_Token");
      return sendJson(response, 200, {
        sub: `${base}/id/${ORG_ID}/${USER_ID}`,
        user_id: USER_ID,
        organization_id: ORG_ID,
        preferred_username: "alice@acme.example",
        email: "alice@acme.example",
        name: "Alice Admin",
      });
    }
    if (request.method === "GET" && url.pathname.startsWith("/services/data/")) {
      if (!token || !liveTokens.has(token)) {
        return sendJson(response, 401, [
          { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
        ]);
      }
      return sendJson(response, 200, {
        sobjects: `${url.pathname}sobjects`,
        limits: `${url.pathname}limits`,
      });
    }
    if (request.method === "POST" && url.pathname === "/services/oauth2/revoke") {
      const revoked = new URLSearchParams(body).get("token") ?? "";
      liveTokens.delete(revoked);
      liveRefreshTokens.delete(revoked);
      response.writeHead(200);
      response.end();
      return;
    }
    response.writeHead(404, { "content-type": "text/html" });
    response.end("<html>Not Found</html>");
  });
  const listening = await listenOnLoopback(server);
  base = listening.url;
  fake.url = base;
  fake.close = listening.close;
  return fake;
}

/** A JWS-shaped ID token (OIDC Core §2) whose signature is a placeholder. */
function fakeIdToken(issuer: string, nonce: string | undefined, fromAnotherLogin: boolean): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer,
    sub: `${issuer}/id/${ORG_ID}/${USER_ID}`,
    aud: SALESFORCE_FAKE_CLIENT_ID,
    iat: now,
    exp: now + 300,
    ...(nonce === undefined ? {} : { nonce: fromAnotherLogin ? "nonce-of-another-login" : nonce }),
    preferred_username: "alice@acme.example",
  };
  return `${part({ alg: "RS256", kid: "fake" })}.${part(claims)}.${Buffer.from("not a signature").toString("base64url")}`;
}
