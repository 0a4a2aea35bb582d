// A local CI identity issuer, shaped like GitHub Actions' OIDC provider: an ES256 key pair made
// with WebCrypto, its JWKS and discovery document, and the ID token request API a job calls
// (GET <request URL>&audience=… with `Authorization: Bearer <request token>`, the JWT in `value`;
// actions/toolkit packages/core OidcClient). It checks the bearer and honours `audience`. Tokens
// for the env and file sources are made with `issue()`. Every test that starts one closes it.

import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { listenOnLoopback } from "./loopback-http.ts";

export const CI_SUBJECT = "repo:acme/app:ref:refs/heads/main";

export interface CiIdentityIssuer {
  /** The `iss` of every token, `http://127.0.0.1:<port>`. */
  issuer: string;
  jwksUri: string;
  /** ACTIONS_ID_TOKEN_REQUEST_URL: carries a query already, as GitHub's does. */
  requestUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  requestToken: string;
  /** A signed identity token; `lifetime` in seconds (negative: already expired). */
  issue(claims: { aud: string; sub?: string; lifetime?: number }): Promise<string>;
  /** Every identity token the request API handed out, in order. */
  issued: string[];
  /** The `audience` of every request the API answered. */
  audiences: string[];
  /** How the request API answers: normally, 401, 503, or not at all. */
  mode: "ok" | "unauthorized" | "unavailable" | "hang";
  close(): Promise<void>;
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export async function startCiIdentityIssuer(
  options: { tokenLifetime?: number } = {},
): Promise<CiIdentityIssuer> {
  const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const kid = randomBytes(8).toString("hex");
  const publicJwk = {
    ...(await crypto.subtle.exportKey("jwk", keys.publicKey)),
    kid,
    alg: "ES256",
    use: "sig",
  };
  const requestToken = randomBytes(24).toString("base64url");
  const hanging = new Set<import("node:http").ServerResponse>();
  let base = "";

  const sign = async (payload: Record<string, unknown>) => {
    const input = `${encode({ alg: "ES256", typ: "JWT", kid })}.${encode(payload)}`;
    // WebCrypto's ECDSA signature is r ‖ s, exactly the JWS form (RFC 7518 §3.4).
    const signature = await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      keys.privateKey,
      new TextEncoder().encode(input),
    );
    return `${input}.${Buffer.from(signature).toString("base64url")}`;
  };

  const issuer: CiIdentityIssuer = {
    issuer: "",
    jwksUri: "",
    requestUrl: "",
    requestToken,
    issued: [],
    audiences: [],
    mode: "ok",
    issue: async ({ aud, sub = CI_SUBJECT, lifetime = options.tokenLifetime ?? 300 }) => {
      const now = Math.floor(Date.now() / 1000);
      return sign({
        iss: base,
        sub,
        aud,
        jti: randomUUID(),
        iat: now,
        nbf: now - 5,
        exp: now + lifetime,
        repository: "acme/app",
        ref: "refs/heads/main",
      });
    },
    close: async () => {},
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", base);
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === "/.well-known/jwks") return send(200, { keys: [publicJwk] });
    if (url.pathname === "/.well-known/openid-configuration") {
      return send(200, {
        issuer: base,
        jwks_uri: `${base}/.well-known/jwks`,
        id_token_signing_alg_values_supported: ["ES256"],
      });
    }
    if (url.pathname !== "/id-token") return send(404, { message: "Not Found" });
    if (issuer.mode === "hang") {
      hanging.add(response);
      return;
    }
    if (issuer.mode === "unavailable") return send(503, { message: "unavailable" });
    if (issuer.mode === "unauthorized" || request.headers.authorization !== `Bearer ${requestToken}`) {
      return send(401, { message: "Bad credentials" });
    }
    const audience = url.searchParams.get("audience");
    if (!audience) return send(400, { message: "audience is required by this test issuer" });
    issuer.audiences.push(audience);
    void issuer.issue({ aud: audience }).then((token) => {
      issuer.issued.push(token);
      send(200, { count: 1, value: token });
    });
  });
  const listening = await listenOnLoopback(server, () => {
    for (const response of hanging) response.destroy();
  });
  base = listening.url;
  issuer.issuer = base;
  issuer.jwksUri = `${base}/.well-known/jwks`;
  issuer.requestUrl = `${base}/id-token?api-version=2.0`;
  issuer.close = () => listening.close();
  return issuer;
}
