// Jobber's OAuth quirks (sources in providers.yaml, jobber; developer.getjobber.com
// app_authorization): no PKCE and no scope parameter (scopes are fixed on the app); a denial
// redirects back with no parameters at all; the token answer has only access_token and
// refresh_token — no expires_in, no token_type — and the access token is a JWT whose `exp` is the
// only lifetime; refresh tokens rotate. The client secret goes in the body. Binds 127.0.0.1 on an
// ephemeral port; set `deny = true` for the next authorization to be refused.

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

export const JOBBER_FAKE_CLIENT_ID = "jobber-fake-client";
export const JOBBER_FAKE_CLIENT_SECRET = "jobber-fake-secret";
/** Lifetime written into the access token's `exp`. */
export const JOBBER_FAKE_TTL_SECONDS = 3000;

export interface JobberFake {
  url: string;
  deny: boolean;
  liveTokens: Set<string>;
  liveRefreshTokens: Set<string>;
  authorizations: IssuedCode[];
  close(): Promise<void>;
}

function jwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.fake-signature`;
}

export async function startJobberFake(): Promise<JobberFake> {
  const liveTokens = new Set<string>();
  const liveRefreshTokens = new Set<string>();
  const authorizations: IssuedCode[] = [];
  const codes = new Map<string, IssuedCode>();
  let issued = 0;
  const mint = () => {
    const n = ++issued;
    const now = Math.floor(Date.now() / 1000);
    const access = jwt({ sub: "account-1", iat: now, exp: now + JOBBER_FAKE_TTL_SECONDS, n });
    const refresh = `jobber-refresh-${n}`;
    liveTokens.add(access);
    liveRefreshTokens.add(refresh);
    return { access_token: access, refresh_token: refresh };
  };

  const fake: JobberFake = {
    url: "",
    deny: false,
    liveTokens,
    liveRefreshTokens,
    authorizations,
    close: async () => {},
  };
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (request.method === "GET" && url.pathname === "/api/oauth/authorize") {
      const deny = fake.deny ? "bare" : undefined;
      fake.deny = false;
      const code = answerAuthorize(
        url,
        response,
        { client_id: JOBBER_FAKE_CLIENT_ID, pkce: "unsupported", forbidden: ["scope"] },
        codes,
        deny,
      );
      if (code) authorizations.push(code);
      return;
    }
    if (request.method === "POST" && url.pathname === "/api/oauth/token") {
      const form = new URLSearchParams(body);
      if (
        form.get("client_id") !== JOBBER_FAKE_CLIENT_ID ||
        form.get("client_secret") !== JOBBER_FAKE_CLIENT_SECRET
      ) {
        return sendJson(response, 401, { error: "invalid_client" });
      }
      if (form.get("grant_type") === "refresh_token") {
        if (!liveRefreshTokens.delete(form.get("refresh_token") ?? "")) {
          return sendJson(response, 401, { error: "invalid_grant" });
        }
        return sendJson(response, 200, mint());
      }
      const redeemed = redeemCode(codes, form);
      if (!redeemed.ok)
        return sendJson(response, 401, { error: "invalid_grant", error_description: redeemed.why });
      return sendJson(response, 200, mint());
    }
    if (request.method === "POST" && url.pathname === "/api/graphql") {
      const token = bearer(request);
      if (!token || !liveTokens.has(token)) return sendJson(response, 401, { message: "Unauthorized" });
      return sendJson(response, 200, { data: { account: { name: "Acme Lawn Care" } } });
    }
    response.writeHead(404, { "content-type": "text/html" });
    response.end("<html>Not Found</html>");
  });
  const listening = await listenOnLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
