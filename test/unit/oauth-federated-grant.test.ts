// The request members of the three federated grants, member by member as the RFCs name them: a
// provider refuses a request with a missing or misnamed member, and the JWT must travel in the one
// member its grant defines.

import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isOauthxError } from "../../src/errors.ts";
import { federatedGrantParams, requestFederatedToken } from "../../src/oauth/federated-grant.ts";
import { type ListeningServer, listenOnLoopback } from "../support/loopback-http.ts";

const JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2ln";

describe("federated grant requests", () => {
  it("token-exchange: RFC 8693 §2.1, the JWT as subject_token, the target as audience and resource", () => {
    expect(
      federatedGrantParams({
        kind: "token-exchange",
        assertion: JWT,
        scopes: ["a", "b"],
        exchange_audience: "//iam.example/pool",
        exchange_resource: "https://api.example",
        requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
      }),
    ).toEqual({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: JWT,
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
      requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
      audience: "//iam.example/pool",
      resource: "https://api.example",
      scope: "a b",
    });
  });

  it("jwt-bearer: RFC 7523 §2.1, the JWT as assertion", () => {
    expect(federatedGrantParams({ kind: "jwt-bearer", assertion: JWT, client_id: "cli" })).toEqual({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: JWT,
      client_id: "cli",
    });
  });

  it("client-assertion: RFC 7523 §2.2 with client_credentials, and it needs the client id", () => {
    expect(
      federatedGrantParams({
        kind: "client-assertion",
        assertion: JWT,
        client_id: "app",
        scopes: ["https://management.azure.com/.default"],
      }),
    ).toEqual({
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: JWT,
      client_id: "app",
      scope: "https://management.azure.com/.default",
    });
    let error: unknown;
    try {
      federatedGrantParams({ kind: "client-assertion", assertion: JWT });
    } catch (caught) {
      error = caught;
    }
    expect(isOauthxError(error, "CONFIG_MISSING")).toBe(true);
    expect(String((error as Error).message)).not.toContain(JWT);
  });
});

describe("federated grant requests on the wire", () => {
  let server: ListeningServer;
  const seen: { authorization?: string; body: Record<string, string> }[] = [];
  beforeAll(async () => {
    server = await listenOnLoopback(
      createServer((request, response) => {
        let text = "";
        request.on("data", (chunk: Buffer) => (text += chunk));
        request.on("end", () => {
          const body = Object.fromEntries(new URLSearchParams(text));
          seen.push({
            ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
            body,
          });
          response.writeHead(body.subject_token === "tok-REFUSED-123" ? 400 : 200, {
            "content-type": "application/json",
          });
          response.end(
            JSON.stringify(
              body.subject_token === "tok-REFUSED-123"
                ? { error: "invalid_target", error_description: "no such audience" }
                : { access_token: "at", token_type: "Bearer", expires_in: 60 },
            ),
          );
        });
      }),
    );
  });
  afterAll(() => server?.close());

  it("a confidential client authenticates a token exchange itself; a client assertion never sends a secret", async () => {
    const client = { client_id: "cli", client_secret: "s3cret", client_auth: "client_secret_basic" } as const;
    await requestFederatedToken(
      { token_endpoint: `${server.url}/token` },
      {
        kind: "token-exchange",
        assertion: JWT,
        client_id: "cli",
        client,
      },
    );
    expect(seen.at(-1)?.authorization).toMatch(/^Basic /);
    expect(seen.at(-1)?.body.client_id).toBeUndefined();
    await requestFederatedToken(
      { token_endpoint: `${server.url}/token` },
      {
        kind: "client-assertion",
        assertion: JWT,
        client_id: "cli",
        client,
      },
    );
    expect(seen.at(-1)?.authorization).toBeUndefined();
    expect(JSON.stringify(seen.at(-1)?.body)).not.toContain("s3cret");
    expect(seen.at(-1)?.body.client_assertion).toBe(JWT);
  });

  it("a refusal is FEDERATION_REFUSED with the server's error, never the token", async () => {
    let error: unknown;
    try {
      await requestFederatedToken(
        { token_endpoint: `${server.url}/token` },
        { kind: "token-exchange", assertion: "tok-REFUSED-123" },
      );
    } catch (caught) {
      error = caught;
    }
    expect(isOauthxError(error, "FEDERATION_REFUSED")).toBe(true);
    expect((error as Error).message).toContain("invalid_target: no such audience");
    expect((error as Error).message).not.toContain("tok-REFUSED-123");
  });
});
