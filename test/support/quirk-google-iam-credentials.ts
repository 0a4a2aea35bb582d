// Google IAM Credentials' generateAccessToken, the service-account impersonation that follows a
// workload identity federation exchange (providers.yaml google-cloud, `impersonation_url`): not
// OAuth, and no local server has it, so this quirk stands in. It answers
//   POST /v1/projects/-/serviceAccounts/<email>:generateAccessToken  (Bearer: a federated token)
//   {"scope": [...], "lifetime": "3600s"} → {"accessToken", "expireTime"}
// only for a federated token the federation token server accepts (asked over HTTP at its /check),
// and only for the one service account the pool's principal may impersonate; Google's error shape
// otherwise. GET /check says whether a service-account token is valid.

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { listenOnLoopback } from "./loopback-http.ts";

export interface IamCredentialsQuirk {
  url: string;
  /** The service-account tokens handed out. */
  issued: string[];
  close(): Promise<void>;
}

export async function startIamCredentialsQuirk(options: {
  /** The federation token server's /check URL: which federated tokens are valid. */
  checkUrl: string;
  serviceAccount: string;
}): Promise<IamCredentialsQuirk> {
  const tokens = new Map<string, number>();
  const state: IamCredentialsQuirk = { url: "", issued: [], close: async () => {} };
  const server = createServer((request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const denied = (message: string) =>
      send(403, { error: { code: 403, message, status: "PERMISSION_DENIED" } });
    const url = new URL(request.url ?? "/", state.url);
    const bearer = (request.headers.authorization ?? "").replace(/^Bearer /, "");
    if (request.method === "GET" && url.pathname === "/check") {
      return send((tokens.get(bearer) ?? 0) > Date.now() ? 200 : 401, {});
    }
    const match = /^\/v1\/projects\/-\/serviceAccounts\/([^/]+):generateAccessToken$/.exec(url.pathname);
    if (request.method !== "POST" || !match) return send(404, { error: { code: 404, status: "NOT_FOUND" } });
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (text += chunk));
    request.on("end", async () => {
      const federated = await fetch(options.checkUrl, { headers: { authorization: `Bearer ${bearer}` } });
      if (federated.status !== 200) return denied("the caller's token is not valid");
      if (decodeURIComponent(match[1] as string) !== options.serviceAccount) {
        return denied("Permission 'iam.serviceAccounts.getAccessToken' denied on resource");
      }
      const body = JSON.parse(text || "{}") as { scope?: unknown };
      if (!Array.isArray(body.scope) || body.scope.length === 0) {
        return send(400, { error: { code: 400, message: "scope is required", status: "INVALID_ARGUMENT" } });
      }
      const accessToken = `ya29.${randomBytes(24).toString("base64url")}`;
      const expires = Date.now() + 3600_000;
      tokens.set(accessToken, expires);
      state.issued.push(accessToken);
      send(200, { accessToken, expireTime: new Date(expires).toISOString() });
    });
  });
  const listening = await listenOnLoopback(server);
  state.url = listening.url;
  state.close = () => listening.close();
  return state;
}
