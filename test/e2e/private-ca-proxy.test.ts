// The compiled binary behind a company's network (issue 24): an HTTPS server whose certificate a
// private CA signed, and an egress CONNECT proxy. Untrusted, the error names the certificate and
// the remedy; with the root CA in NODE_EXTRA_CA_CERTS, or in SSL_CERT_FILE, the same request
// works; HTTPS_PROXY (and https_proxy) send it through the proxy, NO_PROXY past it.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConnectProxy, startConnectProxy } from "../support/connect-proxy.ts";
import { type ListeningServer, listenOnLoopback } from "../support/loopback-http.ts";
import { makePrivateCa, type PrivateCa } from "../support/private-ca.ts";
import { BIN, run } from "../support/run-node.ts";

describe("private CAs and proxies", () => {
  let ca: PrivateCa;
  let server: ListeningServer;
  let proxy: ConnectProxy;
  let root: string;
  let requests = 0;
  beforeAll(async () => {
    ca = makePrivateCa();
    // A discovery document only: the login that follows is not this test's concern.
    const https = createServer({ key: ca.key, cert: ca.cert }, (request, response) => {
      requests++;
      if (request.url === "/.well-known/openid-configuration") {
        const issuer = server.url;
        response.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            scopes_supported: ["openid"],
          }),
        );
      } else {
        response.writeHead(404).end();
      }
    });
    server = await listenOnLoopback(https);
    proxy = await startConnectProxy();
    root = mkdtempSync(join(tmpdir(), "oauthx-ca-"));
  });
  afterAll(async () => {
    await server?.close();
    await proxy?.close();
    ca?.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  let homes = 0;
  /** `login --issuer` against the server: discovery is its first request. */
  function login(env: Record<string, string>) {
    const home = join(root, `home-${homes++}`);
    mkdirSync(home, { mode: 0o700 });
    return run(
      BIN.oauthx,
      [
        "login",
        "--issuer",
        server.url,
        "--client-id",
        "c",
        "--name",
        "Corp SSO",
        "--no-browser",
        "--timeout",
        "1s",
      ],
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: root,
          OAUTHX_HOME: home,
          NO_COLOR: "1",
          ...env,
        },
      },
    );
  }
  const discovered = "Added provider";

  it("an untrusted certificate is named, with the host, the code and the remedy", async () => {
    const result = await login({});
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(
      /error: the certificate of 127\.0\.0\.1:\d+ is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)\) \[TLS_UNTRUSTED\]/,
    );
    expect(result.stderr).toContain("NODE_EXTRA_CA_CERTS (or SSL_CERT_FILE)");
    expect(result.stderr).not.toContain(discovered);
  });

  it("trusts the root CA given in NODE_EXTRA_CA_CERTS", async () => {
    const result = await login({ NODE_EXTRA_CA_CERTS: ca.caFile });
    expect(result.stderr).toContain(discovered);
  });

  it("trusts the root CA given in SSL_CERT_FILE", async () => {
    const result = await login({ SSL_CERT_FILE: ca.caFile });
    expect(result.stderr).toContain(discovered);
  });

  it("goes through the CONNECT proxy in HTTPS_PROXY or https_proxy, and past it for NO_PROXY", async () => {
    for (const variable of ["HTTPS_PROXY", "https_proxy"]) {
      const before = proxy.tunnels.length;
      const result = await login({ NODE_EXTRA_CA_CERTS: ca.caFile, [variable]: proxy.url });
      expect(result.stderr, variable).toContain(discovered);
      expect(proxy.tunnels.slice(before), variable).toContain(server.url.replace("https://", ""));
    }
    const before = { tunnels: proxy.tunnels.length, requests };
    const direct = await login({
      NODE_EXTRA_CA_CERTS: ca.caFile,
      HTTPS_PROXY: proxy.url,
      NO_PROXY: "127.0.0.1",
    });
    expect(direct.stderr).toContain(discovered);
    expect(proxy.tunnels.length).toBe(before.tunnels);
    expect(requests).toBeGreaterThan(before.requests);
  });
});
