import { describe, expect, it } from "vitest";
import { isOauthxError, type OauthxError } from "../../src/errors.ts";
import { parseTokenResponse } from "../../src/oauth/token-endpoint.ts";
import { readTokenResponse } from "../../src/oauth/token-response.ts";
import type { TokenResponseQuirks } from "../../src/oauth/types.ts";

function answer(status: number, body: string, contentType?: string) {
  const headers = new Headers(contentType ? { "content-type": contentType } : {});
  return { status, headers, body };
}
const json = (status: number, value: unknown) =>
  answer(status, JSON.stringify(value), "application/json; charset=utf-8");

function failure(run: () => unknown): OauthxError {
  try {
    run();
  } catch (error) {
    if (isOauthxError(error)) return error;
    throw error;
  }
  throw new Error("expected an OauthxError");
}

const code = { grant: "authorization_code" as const, host: "auth.example.com" };
const refresh = {
  grant: "refresh_token" as const,
  host: "auth.example.com",
  relogin_remedy: "run `oauthx login acme`",
};

describe("token response parsing (RFC 6749 §5.1)", () => {
  it("reads a standard JSON response", () => {
    const tokens = parseTokenResponse(
      json(200, {
        access_token: "at",
        token_type: "bearer",
        expires_in: 3600,
        refresh_token: "rt",
        scope: "openid email",
        id_token: "a.b.c",
        other: 1,
      }),
      {},
      code,
    );
    expect(tokens).toEqual({
      access_token: "at",
      token_type: "Bearer",
      expires_in: 3600,
      refresh_token: "rt",
      scope: ["openid", "email"],
      id_token: "a.b.c",
      extra: {},
    });
  });

  it("tolerates expires_in as a numeric string, null members and a missing token_type", () => {
    const tokens = parseTokenResponse(
      json(200, { access_token: "at", expires_in: "28800", refresh_token: null, scope: null }),
      {},
      code,
    );
    expect(tokens.expires_in).toBe(28800);
    expect(tokens.token_type).toBe("Bearer");
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.scope).toBeUndefined();
  });

  it("compares token_type case-insensitively and refuses other token types", () => {
    expect(
      parseTokenResponse(json(200, { access_token: "at", token_type: "BeArEr" }), {}, code).token_type,
    ).toBe("Bearer");
    const error = failure(() =>
      parseTokenResponse(json(200, { access_token: "at", token_type: "DPoP" }), {}, code),
    );
    expect(error.code).toBe("INVALID_RESPONSE");
  });

  it("reads a form-encoded body (GitHub without Accept: application/json) with a comma scope", () => {
    const tokens = parseTokenResponse(
      answer(
        200,
        "access_token=gho_x&scope=repo%2Cgist&token_type=bearer",
        "application/x-www-form-urlencoded",
      ),
      { response: { scope_separator: "," } },
      code,
    );
    expect(tokens.access_token).toBe("gho_x");
    expect(tokens.scope).toEqual(["repo", "gist"]);
  });

  it("guesses the format of an unlabelled or text/plain body", () => {
    expect(parseTokenResponse(answer(200, '{"access_token":"a"}'), {}, code).access_token).toBe("a");
    expect(
      parseTokenResponse(answer(200, "access_token=b&expires_in=60", "text/plain"), {}, code),
    ).toMatchObject({
      access_token: "b",
      expires_in: 60,
    });
  });

  it("treats an error member as an error whatever the HTTP status (GitHub answers 200)", () => {
    const error = failure(() =>
      parseTokenResponse(
        json(200, {
          error: "bad_verification_code",
          error_description: "The code passed is incorrect or expired.",
        }),
        {},
        code,
      ),
    );
    expect(error.code).toBe("TOKEN_EXCHANGE_FAILED");
    expect(error.message).toContain("bad_verification_code: The code passed is incorrect or expired.");
    const form = failure(() =>
      parseTokenResponse(
        answer(200, "error=bad_verification_code", "application/x-www-form-urlencoded"),
        {},
        code,
      ),
    );
    expect(form.message).toContain("bad_verification_code");
  });

  it("reads Slack's nested user token and its ok flag", () => {
    const quirks: TokenResponseQuirks = {
      nested_in: "authed_user",
      ok_field: "ok",
      scope_separator: ",",
      keep: ["team"],
    };
    const tokens = parseTokenResponse(
      json(200, {
        ok: true,
        access_token: "xoxb-bot",
        token_type: "bot",
        team: { id: "T1", name: "Acme" },
        authed_user: {
          id: "U1",
          access_token: "xoxp-user",
          token_type: "user",
          scope: "search:read,chat:write",
          refresh_token: "xoxe-1",
          expires_in: 43200,
        },
      }),
      { response: quirks },
      code,
    );
    expect(tokens).toMatchObject({
      access_token: "xoxp-user",
      token_type: "Bearer",
      refresh_token: "xoxe-1",
      expires_in: 43200,
      scope: ["search:read", "chat:write"],
      extra: { team: { id: "T1", name: "Acme" } },
    });
    const notOk = failure(() =>
      parseTokenResponse(json(200, { ok: false, error: "invalid_code" }), { response: quirks }, code),
    );
    expect(notOk.code).toBe("TOKEN_EXCHANGE_FAILED");
    expect(notOk.message).toContain("invalid_code");
    const silent = readTokenResponse(json(200, { ok: false }), quirks);
    expect(silent).toEqual({ kind: "oauth-error", status: 200, error: { error: "ok_false" } });
    const missingNested = failure(() =>
      parseTokenResponse(json(200, { ok: true, team: { id: "T1" } }), { response: quirks }, code),
    );
    expect(missingNested.code).toBe("INVALID_RESPONSE");
    expect(missingNested.message).toContain("authed_user is missing");
  });

  it("reads Slack's flat refresh response at the top level, and stays strict otherwise", () => {
    const quirks: TokenResponseQuirks = { nested_in: "authed_user", ok_field: "ok", scope_separator: "," };
    // oauth.v2.access with grant_type=refresh_token answers flat, with token_type "user".
    const refreshed = parseTokenResponse(
      json(200, {
        ok: true,
        access_token: "xoxe.xoxp-new",
        token_type: "user",
        refresh_token: "xoxe-2",
        expires_in: 43200,
        scope: "search:read,chat:write",
      }),
      { response: quirks },
      refresh,
    );
    expect(refreshed).toMatchObject({
      access_token: "xoxe.xoxp-new",
      token_type: "Bearer",
      refresh_token: "xoxe-2",
      expires_in: 43200,
      scope: ["search:read", "chat:write"],
    });
    // The member is present: it must hold the token; the top-level bot token is not taken instead.
    const botOnly = failure(() =>
      parseTokenResponse(
        json(200, { ok: true, access_token: "xoxb-bot", authed_user: { id: "U1" } }),
        { response: quirks },
        code,
      ),
    );
    expect(botOnly.code).toBe("INVALID_RESPONSE");
    expect(botOnly.message).toContain("authed_user.access_token is missing");
    expect(botOnly.message).not.toContain("xoxb");
    for (const nested of ["xoxp-user", ["xoxp"], 7]) {
      const error = failure(() =>
        parseTokenResponse(
          json(200, { ok: true, access_token: "xoxb-bot", authed_user: nested }),
          { response: quirks },
          code,
        ),
      );
      expect(error.message).toContain("authed_user is missing or not an object");
    }
    // ok:false still wins over a flat body.
    const rejected = failure(() =>
      parseTokenResponse(
        json(200, { ok: false, error: "invalid_refresh_token" }),
        { response: quirks },
        refresh,
      ),
    );
    expect(rejected.message).toContain("invalid_refresh_token");
  });

  it("accepts scope as a JSON array of strings (Twitch) as well as a separated string", () => {
    const tokens = parseTokenResponse(
      json(200, {
        access_token: "at",
        token_type: "bearer",
        expires_in: 14124,
        refresh_token: "rt",
        scope: ["user:read:email", "chat:read", " ", ""],
      }),
      {},
      code,
    );
    expect(tokens.scope).toEqual(["user:read:email", "chat:read"]);
    expect(parseTokenResponse(json(200, { access_token: "at", scope: [] }), {}, code).scope).toEqual([]);
    for (const scope of [["a", 7], { a: 1 }, 5]) {
      const error = failure(() => parseTokenResponse(json(200, { access_token: "at", scope }), {}, code));
      expect(error.code).toBe("INVALID_RESPONSE");
      expect(error.message).toMatch(/scope/);
    }
  });

  it("keeps the members named in keep (Salesforce instance_url)", () => {
    const tokens = parseTokenResponse(
      json(200, { access_token: "a", instance_url: "https://acme.my.salesforce.com", signature: "s" }),
      { response: { keep: ["instance_url", "absent"] } },
      code,
    );
    expect(tokens.extra).toEqual({ instance_url: "https://acme.my.salesforce.com" });
  });

  it("takes the lifetime from the access token's exp (Jobber) or a default (Salesforce)", () => {
    const jwt = (claims: object) =>
      `${Buffer.from('{"alg":"HS256"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;
    const now = () => 1_700_000_000_000;
    const fromJwt = parseTokenResponse(
      json(200, { access_token: jwt({ exp: 1_700_003_600 }), refresh_token: "r" }),
      { response: { expires_from: "jwt_exp" } },
      { ...code, now },
    );
    expect(fromJwt.expires_in).toBe(3600);
    const explicitWins = parseTokenResponse(
      json(200, { access_token: jwt({ exp: 1_700_003_600 }), expires_in: 60 }),
      { response: { expires_from: "jwt_exp" } },
      { ...code, now },
    );
    expect(explicitWins.expires_in).toBe(60);
    const opaque = parseTokenResponse(
      json(200, { access_token: "opaque" }),
      { response: { expires_from: "jwt_exp", default_expires_in: 7200 } },
      code,
    );
    expect(opaque.expires_in).toBe(7200);
    expect(parseTokenResponse(json(200, { access_token: "opaque" }), {}, code).expires_in).toBeUndefined();
  });

  it("maps a rejected refresh to REFRESH_REJECTED with the caller's remedy", () => {
    const error = failure(() =>
      parseTokenResponse(
        json(400, { error: "invalid_grant", error_description: "grant request is invalid" }),
        {},
        refresh,
      ),
    );
    expect(error.code).toBe("REFRESH_REJECTED");
    expect(error.remedy).toBe("run `oauthx login acme`");
    const other = failure(() => parseTokenResponse(json(401, { error: "invalid_client" }), {}, refresh));
    expect(other.code).toBe("TOKEN_EXCHANGE_FAILED");
  });

  it("reports malformed responses as INVALID_RESPONSE without echoing values", () => {
    const cases: Array<[ReturnType<typeof answer>, RegExp]> = [
      [json(200, {}), /access_token is missing/],
      [json(200, { access_token: "" }), /access_token must not be empty/],
      [json(200, { access_token: 42 }), /access_token must be a string/],
      [json(200, { access_token: "a", expires_in: -5 }), /expires_in/],
      [json(200, { access_token: "a", expires_in: "soon-secret" }), /expires_in/],
      [json(200, { access_token: "a", refresh_token: 7 }), /refresh_token/],
      [answer(200, "<html>oops</html>", "text/html"), /neither a JSON object nor form-encoded/],
      [answer(200, "not json", "application/json"), /neither/],
      [json(200, ["access_token"]), /neither/],
    ];
    for (const [response, message] of cases) {
      const error = failure(() => parseTokenResponse(response, {}, code));
      expect(error.code).toBe("INVALID_RESPONSE");
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain("soon-secret");
    }
  });

  it("sanitises the server's error text", () => {
    const error = failure(() =>
      parseTokenResponse(
        json(400, { error: "invalid_grant\u001b[31m", error_description: `x${"y".repeat(500)}` }),
        {},
        code,
      ),
    );
    expect(error.message).not.toContain("\u001b");
    expect(error.message.length).toBeLessThan(320);
  });

  it("reports non-OAuth HTTP failures and redirects", () => {
    expect(
      failure(() => parseTokenResponse(answer(502, "<html>Bad gateway</html>", "text/html"), {}, code)).code,
    ).toBe("TOKEN_EXCHANGE_FAILED");
    expect(failure(() => parseTokenResponse(answer(302, ""), {}, code)).code).toBe("INVALID_RESPONSE");
  });
});

describe("refresh_rejected_errors: a provider's own name for a dead refresh token", () => {
  const dead = json(200, {
    error: "bad_refresh_token",
    error_description: "The refresh token passed is incorrect or expired.",
  });

  it("is REFRESH_REJECTED, with the relogin remedy, when the provider lists it (GitHub)", () => {
    const error = failure(() =>
      parseTokenResponse(
        dead,
        { response: { refresh_rejected_errors: ["bad_refresh_token"] } },
        {
          ...refresh,
          relogin_remedy: "run `oauthx login github`",
        },
      ),
    );
    expect(error.code).toBe("REFRESH_REJECTED");
    expect(error.remedy).toBe("run `oauthx login github`");
  });

  it("stays TOKEN_EXCHANGE_FAILED for a provider that does not list it", () => {
    expect(failure(() => parseTokenResponse(dead, {}, refresh)).code).toBe("TOKEN_EXCHANGE_FAILED");
  });

  it("does not turn a code exchange error into REFRESH_REJECTED", () => {
    const error = failure(() =>
      parseTokenResponse(dead, { response: { refresh_rejected_errors: ["bad_refresh_token"] } }, code),
    );
    expect(error.code).toBe("TOKEN_EXCHANGE_FAILED");
  });
});

describe("a refresh refused with 400 or 401 and no OAuth error body", () => {
  const bare = (status: number, body: string, type?: string) => ({
    status,
    headers: new Headers(type ? { "content-type": type } : {}),
    body,
  });
  const context = { ...refresh, relogin_remedy: "run `oauthx login acme`" };

  it.each([
    ["an empty 400", bare(400, "")],
    ["an HTML 401", bare(401, "<html><body>Unauthorized</body></html>", "text/html")],
    ["a JSON 400 without `error`", bare(400, '{"message":"nope"}', "application/json")],
  ])("%s is REFRESH_REJECTED with the re-login remedy", (_name, result) => {
    const error = failure(() => parseTokenResponse(result, {}, context));
    expect(error.code).toBe("REFRESH_REJECTED");
    expect(error.remedy).toBe("run `oauthx login acme`");
  });

  it("stays TOKEN_EXCHANGE_FAILED for a code exchange, and for other statuses", () => {
    expect(failure(() => parseTokenResponse(bare(400, ""), {}, code)).code).toBe("TOKEN_EXCHANGE_FAILED");
    expect(failure(() => parseTokenResponse(bare(403, ""), {}, context)).code).toBe("TOKEN_EXCHANGE_FAILED");
    expect(failure(() => parseTokenResponse(bare(500, ""), {}, context)).code).toBe("TOKEN_EXCHANGE_FAILED");
  });
});
