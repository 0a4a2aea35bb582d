// The request members of the three federated grants, member by member as the RFCs name them: a
// provider refuses a request with a missing or misnamed member, and the JWT must travel in the one
// member its grant defines.

import { describe, expect, it } from "vitest";
import { isOauthxError } from "../../src/errors.ts";
import { federatedGrantParams } from "../../src/oauth/federated-grant.ts";

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
