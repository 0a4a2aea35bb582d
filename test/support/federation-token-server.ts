// A token endpoint of the project's own for federated CI tests: it takes a CI identity token in the
// three federated grants (RFC 8693 token exchange, the RFC 7523 jwt-bearer grant, and RFC 7523
// client assertion with client_credentials) and checks it as a provider's trust policy does: an
// ES256 signature against the issuer's JWKS (fetched over HTTP), `iss`, `aud`, `sub`, `exp` and
// `nbf`. oidc-provider implements none of these grants for a foreign issuer, so this small server
// stands in for Entra, Google STS or Keycloak; it is not a quirk fake. Access tokens are opaque and
// short-lived; GET /check says whether one is valid. Every test that starts one closes it.

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { listenOnLoopback } from "./loopback-http.ts";

export interface FederationServerOptions {
  issuer: string;
  jwksUri: string;
  /** The `aud` the trust policy accepts. */
  audience: string;
  /** The `sub` the trust policy accepts. */
  subject: string;
  /** client-assertion: the client the federated credential belongs to. */
  clientId: string;
  /** token-exchange: the RFC 8693 `audience` the exchange must name, if any. */
  exchangeAudience?: string;
  /** Access token lifetime in seconds; default 300. */
  accessTokenTtl?: number;
}

export interface FederationServer {
  url: string;
  tokenEndpoint: string;
  /** Successful exchanges, by grant_type. */
  exchanges: Record<string, number>;
  /** The `jti` of every identity token exchanged. */
  jtis: string[];
  /** Every request body member seen, for protocol checks (the last request). */
  lastRequest: Record<string, string>;
  close(): Promise<void>;
}

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";

class Refusal extends Error {
  readonly error: string;
  readonly status: number;
  constructor(error: string, description: string, status = 400) {
    super(description);
    this.error = error;
    this.status = status;
  }
}

export async function startFederationServer(options: FederationServerOptions): Promise<FederationServer> {
  const ttl = options.accessTokenTtl ?? 300;
  const tokens = new Map<string, { expires: number; sub: string; grant: string }>();
  let jwks: Promise<{ keys: (JsonWebKey & { kid?: string })[] }> | undefined;
  const state: FederationServer = {
    url: "",
    tokenEndpoint: "",
    exchanges: {},
    jtis: [],
    lastRequest: {},
    close: async () => {},
  };

  async function verify(jwt: string, refusal: string): Promise<Record<string, unknown>> {
    const parts = jwt.split(".");
    if (parts.length !== 3) throw new Refusal(refusal, "not a JWT");
    const [head, body, signature] = parts as [string, string, string];
    const header = JSON.parse(Buffer.from(head, "base64url").toString()) as { alg?: string; kid?: string };
    if (header.alg !== "ES256") throw new Refusal(refusal, "unsupported alg");
    jwks ??= fetch(options.jwksUri).then((response) => response.json() as never);
    const jwk = (await jwks).keys.find((key) => key.kid === header.kid);
    if (!jwk) throw new Refusal(refusal, "unknown signing key");
    const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, [
      "verify",
    ]);
    const valid = await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      key,
      Buffer.from(signature, "base64url"),
      new TextEncoder().encode(`${head}.${body}`),
    );
    if (!valid) throw new Refusal(refusal, "signature does not verify");
    const claims = JSON.parse(Buffer.from(body, "base64url").toString()) as Record<string, unknown>;
    const now = Date.now() / 1000;
    if (claims.iss !== options.issuer) throw new Refusal(refusal, "issuer not trusted");
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(options.audience))
      throw new Refusal(refusal, "audience not accepted by the trust policy");
    if (typeof claims.exp !== "number" || claims.exp <= now) throw new Refusal(refusal, "token expired");
    if (typeof claims.nbf === "number" && claims.nbf > now + 30)
      throw new Refusal(refusal, "token not yet valid");
    if (claims.sub !== options.subject) throw new Refusal(refusal, "subject does not match the trust policy");
    return claims;
  }

  async function exchange(form: URLSearchParams): Promise<Record<string, unknown>> {
    const grant = form.get("grant_type") ?? "";
    let claims: Record<string, unknown>;
    if (grant === TOKEN_EXCHANGE) {
      if (form.get("subject_token_type") !== JWT_TYPE)
        throw new Refusal("invalid_request", "subject_token_type");
      if (options.exchangeAudience !== undefined && form.get("audience") !== options.exchangeAudience) {
        throw new Refusal("invalid_target", "the exchange audience is not served here");
      }
      claims = await verify(form.get("subject_token") ?? "", "invalid_grant");
    } else if (grant === JWT_BEARER) {
      claims = await verify(form.get("assertion") ?? "", "invalid_grant");
    } else if (grant === "client_credentials") {
      if (
        form.get("client_assertion_type") !== CLIENT_ASSERTION_TYPE ||
        form.get("client_id") !== options.clientId
      ) {
        throw new Refusal("invalid_client", "unknown client or assertion type", 401);
      }
      claims = await verify(form.get("client_assertion") ?? "", "invalid_client");
    } else {
      throw new Refusal("unsupported_grant_type", "grant not supported");
    }
    const accessToken = randomBytes(24).toString("base64url");
    tokens.set(accessToken, { expires: Date.now() / 1000 + ttl, sub: String(claims.sub), grant });
    state.exchanges[grant] = (state.exchanges[grant] ?? 0) + 1;
    state.jtis.push(String(claims.jti));
    return {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: ttl,
      ...(grant === TOKEN_EXCHANGE
        ? { issued_token_type: "urn:ietf:params:oauth:token-type:access_token" }
        : {}),
      ...(form.get("scope") ? { scope: form.get("scope") } : {}),
    };
  }

  const server = createServer((request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      response.end(JSON.stringify(body));
    };
    const url = new URL(request.url ?? "/", state.url);
    if (request.method === "GET" && url.pathname === "/check") {
      const token = (request.headers.authorization ?? "").replace(/^Bearer /, "");
      const found = tokens.get(token);
      if (!found || found.expires <= Date.now() / 1000) return send(401, { error: "invalid_token" });
      return send(200, { sub: found.sub, grant: found.grant });
    }
    if (request.method !== "POST" || url.pathname !== "/token") return send(404, { error: "not_found" });
    void readBody(request)
      .then((text) => {
        const form = new URLSearchParams(text);
        state.lastRequest = Object.fromEntries(form);
        return exchange(form);
      })
      .then(
        (body) => send(200, body),
        (error: unknown) =>
          error instanceof Refusal
            ? send(error.status, { error: error.error, error_description: error.message })
            : send(500, { error: "server_error" }),
      );
  });
  const listening = await listenOnLoopback(server);
  state.url = listening.url;
  state.tokenEndpoint = `${listening.url}/token`;
  state.close = () => listening.close();
  return state;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (text += chunk));
    request.on("end", () => resolve(text));
    request.on("error", reject);
  });
}
