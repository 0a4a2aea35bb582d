// The authorization endpoint of the quirk fakes (quirk-*.ts): a user who always consents. It checks
// the request the way the provider would (client id, response_type=code, a loopback redirect_uri,
// state, PKCE parameters as the provider wants them, the parameter that carries the scopes), then
// 302-redirects to redirect_uri with a fresh code and the same state — or, when told to deny, the
// way that provider reports a denial. Codes remember what the token endpoint must check.

import { createHash, randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";

export interface AuthorizeRules {
  client_id: string;
  /** `required`: S256 challenge must be present; `optional`: may be; `unsupported`: must be absent. */
  pkce: "required" | "optional" | "unsupported";
  /** The parameter that must carry the scopes (Slack: user_scope); undefined = no scope expected. */
  scope_param?: string;
  /** Parameters that must not be sent (Slack: `scope`, which would ask for bot scopes). */
  forbidden?: string[];
}

export interface IssuedCode {
  redirect_uri: string;
  code_challenge?: string;
  scope?: string;
  /** Every query parameter of the authorization request, for assertions. */
  params: Record<string, string>;
}

export type Denial = "error" | "bare";

/**
 * Answers GET <authorize>. Returns the issued code's record (also kept in `codes`), or undefined
 * when the request was refused (400) or denied (a redirect without code).
 */
export function answerAuthorize(
  url: URL,
  response: ServerResponse,
  rules: AuthorizeRules,
  codes: Map<string, IssuedCode>,
  deny?: Denial,
): IssuedCode | undefined {
  const q = url.searchParams;
  const refuse = (why: string) => {
    response.writeHead(400, { "content-type": "text/plain" });
    response.end(`authorization request refused: ${why}`);
    return undefined;
  };
  if (q.get("response_type") !== "code") return refuse("response_type must be code");
  if (q.get("client_id") !== rules.client_id) return refuse("unknown client_id");
  const redirect = q.get("redirect_uri") ?? "";
  if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+\//.test(redirect)) return refuse("redirect_uri");
  const state = q.get("state");
  if (!state) return refuse("state is missing");
  const challenge = q.get("code_challenge") ?? undefined;
  if (rules.pkce === "required" && (!challenge || q.get("code_challenge_method") !== "S256")) {
    return refuse("PKCE S256 is required");
  }
  if (rules.pkce === "unsupported" && (challenge || q.has("code_challenge_method"))) {
    return refuse("PKCE parameters are not supported");
  }
  if (challenge && q.get("code_challenge_method") !== "S256") return refuse("S256 only");
  for (const name of rules.forbidden ?? []) if (q.has(name)) return refuse(`${name} is not expected`);
  const scope = rules.scope_param ? (q.get(rules.scope_param) ?? undefined) : undefined;
  if (rules.scope_param && !scope) return refuse(`${rules.scope_param} is missing`);

  const target = new URL(redirect);
  if (deny === "bare") {
    // Jobber: a denial comes back with no parameters at all.
    response.writeHead(302, { location: target.toString() });
    response.end();
    return undefined;
  }
  if (deny === "error") {
    target.searchParams.set("error", "access_denied");
    target.searchParams.set("state", state);
    response.writeHead(302, { location: target.toString() });
    response.end();
    return undefined;
  }
  const code = `code-${randomBytes(8).toString("hex")}`;
  const issued: IssuedCode = {
    redirect_uri: redirect,
    ...(challenge ? { code_challenge: challenge } : {}),
    ...(scope ? { scope } : {}),
    params: Object.fromEntries(q),
  };
  codes.set(code, issued);
  target.searchParams.set("code", code);
  target.searchParams.set("state", state);
  response.writeHead(302, { location: target.toString() });
  response.end();
  return issued;
}

/**
 * Takes a code once (RFC 6749 §4.1.2: single use) and checks redirect_uri and the PKCE verifier
 * (RFC 7636 §4.6). Returns the record, or a reason for refusing.
 */
export function redeemCode(
  codes: Map<string, IssuedCode>,
  form: URLSearchParams,
): { ok: true; issued: IssuedCode } | { ok: false; why: string } {
  const code = form.get("code") ?? "";
  const issued = codes.get(code);
  if (!issued) return { ok: false, why: "unknown or used code" };
  codes.delete(code);
  if (form.get("redirect_uri") !== issued.redirect_uri) return { ok: false, why: "redirect_uri mismatch" };
  const verifier = form.get("code_verifier");
  if (issued.code_challenge !== undefined) {
    const computed = verifier ? createHash("sha256").update(verifier).digest("base64url") : "";
    if (computed !== issued.code_challenge) return { ok: false, why: "PKCE verification failed" };
  } else if (verifier) {
    return { ok: false, why: "code_verifier without a challenge" };
  }
  return { ok: true, issued };
}

/** Reads a request body as text. */
export function readBody(request: import("node:http").IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** The bearer token of a request (RFC 6750 §2.1), or undefined. */
export function bearer(request: import("node:http").IncomingMessage): string | undefined {
  const match = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? "");
  return match?.[1];
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(value));
}
