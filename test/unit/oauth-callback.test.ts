import { describe, expect, it } from "vitest";
import { isOauthxError } from "../../src/errors.ts";
import { judgeAuthorizationResponse, parseRedirectedUrl } from "../../src/oauth/authorization-response.ts";
import { escapeHtml, renderCallbackPage } from "../../src/oauth/callback-page.ts";

const expect_ = { state: "good-state", issuer: "https://issuer.example" };
const params = (value: string) => new URLSearchParams(value);

describe("authorization response rules", () => {
  it("accepts the code with our state, and the right iss", () => {
    expect(judgeAuthorizationResponse(params("code=c1&state=good-state"), expect_)).toEqual({
      kind: "code",
      result: { code: "c1" },
    });
    expect(
      judgeAuthorizationResponse(
        params("code=c1&state=good-state&iss=https%3A%2F%2Fissuer.example"),
        expect_,
      ),
    ).toEqual({ kind: "code", result: { code: "c1", iss: "https://issuer.example" } });
  });

  it("ignores responses without our state", () => {
    expect(judgeAuthorizationResponse(params("code=c1"), expect_).kind).toBe("ignore");
    expect(judgeAuthorizationResponse(params("code=c1&state=other"), expect_).kind).toBe("ignore");
    expect(judgeAuthorizationResponse(params("error=access_denied&state=other"), expect_).kind).toBe(
      "ignore",
    );
    expect(
      judgeAuthorizationResponse(params("code=c1&state=good-state&state=good-state"), expect_).kind,
    ).toBe("ignore");
    expect(judgeAuthorizationResponse(params(""), expect_).kind).toBe("ignore");
  });

  it("ends with AUTH_DENIED on error=, with the sanitised description", () => {
    const verdict = judgeAuthorizationResponse(
      params("error=access_denied&error_description=User%20said%20no%1b%5B2J&state=good-state"),
      expect_,
    );
    expect(verdict.kind).toBe("fail");
    if (verdict.kind !== "fail") return;
    expect(verdict.error.code).toBe("AUTH_DENIED");
    expect(verdict.error.message).toContain("User said no");
    expect(verdict.error.message).not.toContain("\u001b");
  });

  it("checks iss (RFC 9207)", () => {
    const wrong = judgeAuthorizationResponse(
      params("code=c&state=good-state&iss=https%3A%2F%2Fevil.example"),
      expect_,
    );
    expect(wrong.kind === "fail" && wrong.error.code).toBe("ISSUER_MISMATCH");
    const missing = judgeAuthorizationResponse(params("code=c&state=good-state"), {
      ...expect_,
      iss_required: true,
    });
    expect(missing.kind === "fail" && missing.error.code).toBe("ISSUER_MISMATCH");
  });

  it("treats an empty redirect as a denial only when the quirk says so (Jobber)", () => {
    const verdict = judgeAuthorizationResponse(params(""), { ...expect_, deny_returns_no_params: true });
    expect(verdict.kind === "fail" && verdict.error.code).toBe("AUTH_DENIED");
  });

  it("parses a pasted redirect URL the same way", () => {
    const redirect = { ...expect_, redirect_uri: "http://127.0.0.1:33333/callback" };
    expect(
      parseRedirectedUrl(" http://127.0.0.1:33333/callback?code=abc&state=good-state \n", redirect),
    ).toEqual({
      code: "abc",
    });
    expect(parseRedirectedUrl("?code=abc&state=good-state", redirect)).toEqual({ code: "abc" });
    const codes = (text: string) => {
      try {
        parseRedirectedUrl(text, redirect);
      } catch (error) {
        return isOauthxError(error) ? error.code : "other";
      }
      return "none";
    };
    expect(codes("http://127.0.0.1:33333/callback?code=abc&state=bad")).toBe("STATE_MISMATCH");
    expect(codes("http://127.0.0.1:33333/other?code=abc&state=good-state")).toBe("INVALID_RESPONSE");
    expect(codes("hello")).toBe("INVALID_RESPONSE");
    expect(codes("http://127.0.0.1:33333/callback?error=access_denied&state=good-state")).toBe("AUTH_DENIED");
  });
});

describe("callback pages", () => {
  it("escapes every reflected value", () => {
    expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;",
    );
    const page = renderCallbackPage(
      "error",
      "Login <failed>",
      `the authorization was denied (<img src=x onerror=alert(1)>)`,
    );
    expect(page).not.toContain("<img");
    expect(page).not.toContain("<failed>");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});
