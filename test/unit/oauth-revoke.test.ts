import { describe, expect, it } from "vitest";
import { type RevocationOptions, revokesAccessTokenOnly, revokeToken } from "../../src/oauth/revoke.ts";
import type { Client } from "../../src/oauth/types.ts";
import { rejection } from "../support/rejection.ts";

interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

/** A fetch that records the request and answers with one canned response. */
function fakeFetch(status: number, body: string, contentType = "application/json") {
  const seen: Seen[] = [];
  const fetch = (async (input: Request | URL | string, init?: RequestInit) => {
    const request = new Request(input, init);
    seen.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: await request.text(),
    });
    return new Response(status === 204 ? null : body, { status, headers: { "content-type": contentType } });
  }) as typeof globalThis.fetch;
  return { seen, fetch };
}

const client: Client = { client_id: "app", client_secret: "app-secret", client_auth: "client_secret_post" };
const dropbox = { revocation_endpoint: "https://api.dropboxapi.com/2/auth/token/revoke" };
const slack = { revocation_endpoint: "https://slack.com/api/auth.revoke" };

describe("revocation style bearer_post (Dropbox, Slack auth.revoke)", () => {
  it("POSTs with the access token as Bearer, no body and no client credentials (Dropbox answers null)", async () => {
    const { seen, fetch } = fakeFetch(200, "null");
    const options: RevocationOptions = { style: "bearer_post", fetch, headers: { "User-Agent": "oauthx" } };
    expect(
      await revokeToken(dropbox, client, { token: "sl.access", token_type_hint: "access_token" }, options),
    ).toBe("revoked");
    expect(seen).toHaveLength(1);
    const [request] = seen as [Seen];
    expect(request.method).toBe("POST");
    expect(request.url).toBe(dropbox.revocation_endpoint);
    expect(request.headers.get("authorization")).toBe("Bearer sl.access");
    expect(request.headers.get("user-agent")).toBe("oauthx");
    expect(request.body).toBe("");
    expect(request.headers.get("content-type")).toBeNull();
    expect(`${request.url} ${[...request.headers].join(" ")}`).not.toContain("app-secret");
  });

  it("reads Slack's {ok, revoked} and treats ok:false with HTTP 200 as a failure", async () => {
    const good = fakeFetch(200, '{"ok":true,"revoked":true}');
    expect(
      await revokeToken(slack, client, { token: "xoxp-1" }, { style: "bearer_post", fetch: good.fetch }),
    ).toBe("revoked");
    const bad = fakeFetch(200, '{"ok":false,"error":"invalid_auth"}');
    const error = await rejection(
      revokeToken(slack, client, { token: "xoxp-1" }, { style: "bearer_post", fetch: bad.fetch }),
    );
    expect(error.code).toBe("TOKEN_EXCHANGE_FAILED");
    expect(error.message).toContain("invalid_auth");
    expect(error.message).not.toContain("xoxp-1");
  });

  it("fails on a non-2xx answer (Dropbox 401 for an expired token) without echoing the token", async () => {
    const { fetch } = fakeFetch(
      401,
      '{"error_summary":"expired_access_token/","error":{".tag":"expired_access_token"}}',
    );
    const error = await rejection(
      revokeToken(dropbox, client, { token: "sl.secret" }, { style: "bearer_post", fetch }),
    );
    expect(error.code).toBe("TOKEN_EXCHANGE_FAILED");
    expect(error.message).toContain("HTTP 401");
    expect(error.message).not.toContain("sl.secret");
  });

  it("refuses a refresh token and a plain-http endpoint, before sending anything", async () => {
    const { seen, fetch } = fakeFetch(200, "null");
    const refresh = await rejection(
      revokeToken(
        dropbox,
        client,
        { token: "rt", token_type_hint: "refresh_token" },
        { style: "bearer_post", fetch },
      ),
    );
    expect(refresh.code).toBe("INTERNAL");
    const plain = await rejection(
      revokeToken(
        { revocation_endpoint: "http://example.com/revoke" },
        client,
        { token: "at" },
        { style: "bearer_post", fetch },
      ),
    );
    expect(plain.code).toBe("CONFIG_INVALID");
    expect(seen).toHaveLength(0);
  });

  it("only GitHub's and the bearer style are access-token-only", () => {
    expect(revokesAccessTokenOnly("bearer_post")).toBe(true);
    expect(revokesAccessTokenOnly("github_application_token")).toBe(true);
    expect(revokesAccessTokenOnly("rfc7009")).toBe(false);
    expect(revokesAccessTokenOnly("none")).toBe(false);
  });
});
