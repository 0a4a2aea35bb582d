// Judging the authorization response that comes back to the redirect URI (RFC 6749 §4.1.2 and
// §4.1.2.1, RFC 9207, RFC 9700 §4.7). Pure, so the loopback server and the pasted-URL path
// (`--no-browser` over SSH) apply exactly the same rules.
//
// A response whose `state` is missing or wrong is not ours (a stale tab, another program, an
// attacker's CSRF attempt): the loopback server ignores it and keeps waiting; only a response with
// our state can end the flow — with a code, an error, or an issuer mismatch.
//
// Jobber quirk: a denial returns to the redirect URI with no parameters at all. Treating an empty
// callback as a denial is opt-in (`deny_returns_no_params`): by default an empty request is
// ignored, because anything on this machine (a prefetch, a reload, a port scanner) can send one
// and it carries no state to prove where it came from. With the option, a Jobber user who clicks
// "deny" sees AUTH_DENIED at once instead of waiting for the timeout.

import { OauthxError } from "../errors.ts";
import { sanitizeOAuthText } from "./oauth-error.ts";
import { timingSafeEqualString } from "./pkce.ts";

export interface CallbackExpectation {
  /** The state sent in the authorization request. */
  state: string;
  /** The expected issuer (RFC 9207 §2.4); without it `iss` cannot be checked. */
  issuer?: string;
  /** The server advertises `authorization_response_iss_parameter_supported`: `iss` is required. */
  iss_required?: boolean;
  /** Provider quirk (Jobber): a callback without any parameter means the user denied access. */
  deny_returns_no_params?: boolean;
}

export interface AuthorizationCode {
  code: string;
  /** RFC 9207 `iss`, when the server sent one (already compared with the expected issuer). */
  iss?: string;
}

export type CallbackVerdict =
  | { kind: "code"; result: AuthorizationCode }
  /** Ours and final: the flow ends with this error. */
  | { kind: "fail"; error: OauthxError }
  /** Not ours: show a page and keep waiting. `state` is true when the state was the problem. */
  | { kind: "ignore"; reason: string; state: boolean };

function denied(error: string, description: string | undefined): OauthxError {
  const detail = description
    ? `${sanitizeOAuthText(error, 64)}: ${sanitizeOAuthText(description)}`
    : sanitizeOAuthText(error, 64);
  if (error === "access_denied") {
    return new OauthxError("AUTH_DENIED", `the authorization was denied (${detail})`, {
      remedy: "run the login again and approve the request",
    });
  }
  return new OauthxError("AUTH_DENIED", `the authorization server refused the request (${detail})`, {
    remedy:
      error === "invalid_scope"
        ? "check the requested scopes"
        : "check the client id, redirect settings and scopes of the provider",
  });
}

export function judgeAuthorizationResponse(
  params: URLSearchParams,
  expect: CallbackExpectation,
): CallbackVerdict {
  const names = [...params.keys()];
  if (names.length === 0) {
    if (expect.deny_returns_no_params) {
      return {
        kind: "fail",
        error: new OauthxError(
          "AUTH_DENIED",
          "the authorization was denied (the provider returned without a code)",
          {
            remedy: "run the login again and approve the request",
          },
        ),
      };
    }
    return { kind: "ignore", reason: "the request has no authorization response parameters", state: false };
  }
  // RFC 6749 §3.1: parameters MUST NOT be included more than once.
  if (new Set(names).size !== names.length) {
    return { kind: "ignore", reason: "a parameter is repeated", state: false };
  }
  const state = params.get("state");
  if (state === null || state === "") {
    return { kind: "ignore", reason: "the response has no state", state: true };
  }
  // RFC 6749 §10.12: the state binds the response to this login; compared in constant time.
  if (!timingSafeEqualString(state, expect.state)) {
    return { kind: "ignore", reason: "the state does not match this login", state: true };
  }
  const iss = params.get("iss");
  if (expect.issuer !== undefined) {
    // RFC 9207 §2.4: compare exactly (simple string comparison); a missing iss from a server that
    // advertises support is as suspicious as a wrong one (mix-up attack, RFC 9700 §4.4).
    if ((iss !== null && iss !== expect.issuer) || (iss === null && expect.iss_required)) {
      return {
        kind: "fail",
        error: new OauthxError(
          "ISSUER_MISMATCH",
          iss === null
            ? "the authorization response has no issuer (iss), though the server promises one"
            : "the authorization response comes from a different issuer than expected",
          { remedy: "check the provider's issuer setting; a mismatch can mean a mix-up attack" },
        ),
      };
    }
  }
  const error = params.get("error");
  if (error !== null) {
    return { kind: "fail", error: denied(error, params.get("error_description") ?? undefined) };
  }
  const code = params.get("code");
  if (code === null || code === "") {
    return {
      kind: "fail",
      error: new OauthxError(
        "INVALID_RESPONSE",
        "the authorization response has neither a code nor an error",
        {
          remedy: "run the login again",
        },
      ),
    };
  }
  return { kind: "code", result: { code, ...(iss === null ? {} : { iss }) } };
}

/**
 * For `--no-browser`: the user pastes the URL the browser was redirected to (the page itself fails
 * to load when nothing listens). Accepts the full URL or just its query. The path must be the
 * redirect URI's; any problem is final here, since there is nothing to keep waiting for.
 */
export function parseRedirectedUrl(
  pasted: string,
  expect: CallbackExpectation & { redirect_uri: string },
): AuthorizationCode {
  const text = pasted.trim();
  const expected = new URL(expect.redirect_uri);
  let params: URLSearchParams;
  if (URL.canParse(text)) {
    const url = new URL(text);
    if (url.pathname !== expected.pathname || url.protocol !== expected.protocol) {
      throw new OauthxError("INVALID_RESPONSE", "the pasted URL is not the redirect URI of this login", {
        remedy: `paste the whole address the browser shows after approving, starting with ${expected.protocol}//`,
      });
    }
    params = url.searchParams;
  } else if (/^\??[A-Za-z0-9_.~%+-]+=/.test(text)) {
    params = new URLSearchParams(text.startsWith("?") ? text.slice(1) : text);
  } else {
    throw new OauthxError("INVALID_RESPONSE", "the pasted text is not a URL", {
      remedy: "paste the whole address the browser shows after approving",
    });
  }
  const verdict = judgeAuthorizationResponse(params, expect);
  if (verdict.kind === "code") return verdict.result;
  if (verdict.kind === "fail") throw verdict.error;
  throw new OauthxError(
    verdict.state ? "STATE_MISMATCH" : "INVALID_RESPONSE",
    `the pasted URL is not the answer to this login: ${verdict.reason}`,
    { remedy: "paste the address from the browser tab of this login, or run the login again" },
  );
}
