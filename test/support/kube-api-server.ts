// A stand-in Kubernetes API server for end-to-end tests: HTTPS on 127.0.0.1 with a self-signed
// certificate made by openssl (kubectl sends exec plugin credentials over TLS only), answering
// `GET /api/v1/namespaces/default/pods` and `/version` for a bearer token the test's
// authorization server accepts, and 401 with a Kubernetes Status otherwise. Every test that starts
// one must `await server.close()`.

import { spawnSync } from "node:child_process";
import { type JsonWebKey as CryptoJwk, constants, createPublicKey, verify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenOnLoopback } from "./loopback-http.ts";

export interface KubeApiServer {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** The server certificate (PEM), for the kubeconfig's certificate-authority-data. */
  certificate: string;
  /** Every request's path, bearer token (if any) and the status it got. */
  requests: { path: string; bearer?: string; status: number }[];
  close(): Promise<void>;
}

/** A key and self-signed certificate for 127.0.0.1 (an IP subjectAltName: Go checks it, not CN). */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "oauthx-tls-"));
  try {
    const result = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { encoding: "utf8" },
    );
    if (result.error || result.status !== 0) {
      throw new Error(`openssl could not make a test certificate: ${result.error?.message ?? result.stderr}`);
    }
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startKubeApiServer(options: {
  accepts(token: string): Promise<boolean>;
}): Promise<KubeApiServer> {
  const { key, cert } = selfSignedCertificate();
  const requests: KubeApiServer["requests"] = [];
  const server = createServer({ key, cert }, (request, response) => {
    const path = new URL(request.url ?? "/", "https://127.0.0.1").pathname;
    const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? "")?.[1];
    const record: KubeApiServer["requests"][number] = { path, status: 0, ...(bearer ? { bearer } : {}) };
    requests.push(record);
    const reply = (status: number, body: unknown) => {
      record.status = status;
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(JSON.stringify(body));
    };
    void (async () => {
      if (bearer === undefined || !(await options.accepts(bearer))) {
        reply(401, {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "Unauthorized",
          code: 401,
        });
      } else if (path === "/api/v1/namespaces/default/pods") {
        reply(200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "1" }, items: [] });
      } else if (path === "/version") {
        reply(200, { major: "1", minor: "32", gitVersion: "v1.32.0" });
      } else {
        reply(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
      }
    })();
  });
  const listening = await listenOnLoopback(server);
  return { url: listening.url, certificate: cert, requests, close: listening.close };
}

/**
 * What an API server started with --oidc-issuer-url and --oidc-client-id does with a bearer token:
 * verify it as an ID token of that issuer, signed with a key from its JWKS, for that client, not
 * expired (OIDC Core §3.1.3.7). Accepts nothing else (an access token is not an ID token).
 */
export function acceptsIdTokensOf(issuer: string, clientId: string): (token: string) => Promise<boolean> {
  return async (token) => {
    const [header, payload, signature] = token.split(".");
    if (!header || !payload || !signature) return false;
    const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    const { alg, kid } = decode(header) as { alg: string; kid?: string };
    const claims = decode(payload) as { iss?: string; aud?: string | string[]; exp?: number };
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    const { keys } = (await (await fetch(discovery.jwks_uri)).json()) as { keys: CryptoJwk[] };
    const jwk = keys.find((candidate) => candidate.kid === kid) ?? keys[0];
    if (!jwk) return false;
    const key = createPublicKey({ key: jwk, format: "jwk" });
    const hash = { RS256: "sha256", ES256: "sha256", PS256: "sha256" }[alg];
    if (!hash) return false;
    const options =
      alg === "ES256"
        ? { key, dsaEncoding: "ieee-p1363" as const }
        : alg === "PS256"
          ? { key, padding: constants.RSA_PKCS1_PSS_PADDING }
          : key;
    const signed = verify(
      hash,
      Buffer.from(`${header}.${payload}`),
      options,
      Buffer.from(signature, "base64url"),
    );
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    return (
      signed &&
      claims.iss === issuer &&
      audiences.includes(clientId) &&
      typeof claims.exp === "number" &&
      claims.exp > Date.now() / 1000
    );
  };
}
