import { describe, expect, it } from "vitest";
import { isOauthxError } from "../../src/errors.ts";
import { buildAuthorizationUrl, prepareAuthorization } from "../../src/oauth/authorize.ts";
import { computeCodeChallenge } from "../../src/oauth/pkce.ts";

const server = { authorization_endpoint: "https://auth.example.com/authorize" };
const client = { client_id: "my app" };

describe("buildAuthorizationUrl (RFC 6749 §4.1.1)", () => {
  it("sets the code flow parameters, PKCE and state", () => {
    const url = buildAuthorizationUrl(server, client, {
      redirect_uri: "http://127.0.0.1:4711/callback",
      scopes: ["repo", "read:org"],
      state: "s1",
      code_challenge: "c1",
    });
    expect(url.origin + url.pathname).toBe("https://auth.example.com/authorize");
    const q = url.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("client_id")).toBe("my app");
    expect(q.get("redirect_uri")).toBe("http://127.0.0.1:4711/callback");
    expect(q.get("scope")).toBe("repo read:org");
    expect(q.get("state")).toBe("s1");
    expect(q.get("code_challenge")).toBe("c1");
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.has("nonce")).toBe(false);
    expect(url.href).toContain("scope=repo+read%3Aorg");
  });

  it("joins scopes with the provider's separator and omits an empty scope", () => {
    const comma = buildAuthorizationUrl(server, client, {
      redirect_uri: "http://127.0.0.1/cb",
      scopes: ["read", "write"],
      scope_separator: ",",
      state: "s",
    });
    expect(comma.searchParams.get("scope")).toBe("read,write");
    expect(comma.searchParams.has("code_challenge")).toBe(false);
    const none = buildAuthorizationUrl(server, client, {
      redirect_uri: "http://127.0.0.1/cb",
      scopes: [],
      state: "s",
    });
    expect(none.searchParams.has("scope")).toBe(false);
  });

  it("puts the scopes in the provider's scope parameter (Slack user_scope)", () => {
    const url = buildAuthorizationUrl(server, client, {
      redirect_uri: "http://127.0.0.1/cb",
      scopes: ["search:read", "chat:write"],
      scope_separator: ",",
      scope_param: "user_scope",
      state: "s",
    });
    expect(url.searchParams.get("user_scope")).toBe("search:read,chat:write");
    expect(url.searchParams.has("scope")).toBe(false);
  });

  it("keeps the endpoint's own query and adds extra parameters", () => {
    const url = buildAuthorizationUrl(
      { authorization_endpoint: "https://api.notion.com/v1/oauth/authorize?owner=user" },
      client,
      {
        redirect_uri: "http://127.0.0.1/cb",
        scopes: [],
        state: "s",
        extra_params: { access_type: "offline", prompt: "consent" },
      },
    );
    expect(url.searchParams.get("owner")).toBe("user");
    expect(url.searchParams.get("access_type")).toBe("offline");
    expect(url.searchParams.get("prompt")).toBe("consent");
  });

  it("refuses extra parameters that would replace protocol ones, or carry a secret", () => {
    for (const name of ["state", "redirect_uri", "client_secret", "code_challenge_method"]) {
      try {
        buildAuthorizationUrl(server, client, {
          redirect_uri: "http://127.0.0.1/cb",
          scopes: [],
          state: "s",
          extra_params: { [name]: "x" },
        });
        expect.unreachable();
      } catch (error) {
        expect(isOauthxError(error, "CONFIG_INVALID")).toBe(true);
      }
    }
  });

  it("refuses an http endpoint that is not loopback, and a missing one", () => {
    expect(() =>
      buildAuthorizationUrl({ authorization_endpoint: "http://auth.example.com/authorize" }, client, {
        redirect_uri: "http://127.0.0.1/cb",
        scopes: [],
        state: "s",
      }),
    ).toThrow(/https/);
    expect(() =>
      buildAuthorizationUrl({}, client, { redirect_uri: "http://127.0.0.1/cb", scopes: [], state: "s" }),
    ).toThrow(/not configured/);
  });
});

describe("prepareAuthorization", () => {
  it("draws state, verifier and, for openid, a nonce, and puts them in the URL", async () => {
    const prepared = await prepareAuthorization(server, client, {
      redirect_uri: "http://127.0.0.1/cb",
      scopes: ["openid", "email"],
    });
    const q = prepared.url.searchParams;
    expect(q.get("state")).toBe(prepared.state);
    expect(q.get("nonce")).toBe(prepared.nonce);
    expect(q.get("code_challenge")).toBe(await computeCodeChallenge(prepared.code_verifier!));
    expect(prepared.url.href).not.toContain(prepared.code_verifier!);
  });

  it("sends no nonce without openid and no PKCE when unsupported", async () => {
    const prepared = await prepareAuthorization(server, client, {
      redirect_uri: "http://127.0.0.1/cb",
      scopes: ["repo"],
      pkce: "unsupported",
    });
    expect(prepared.nonce).toBeUndefined();
    expect(prepared.code_verifier).toBeUndefined();
    expect(prepared.url.searchParams.has("nonce")).toBe(false);
    expect(prepared.url.searchParams.has("code_challenge")).toBe(false);
  });
});
