// The paste-back path of `login` on a terminal (--no-browser, or no browser can open here): the
// browser runs on another machine and cannot reach this one's loopback redirect (RFC 8252 §7.3), so
// the person pastes the address it ended on. One bad paste does not end the login: a text that is
// not this login's redirect, or a code the token endpoint refuses as invalid (a truncated paste),
// is said and asked for again, until the login's own timeout. A redirect that does arrive, as
// ever, ends the wait.

import type { Context } from "../../core/context.ts";
import { isOauthxError, type OauthxError } from "../../errors.ts";
import type { AuthorizationCode, CallbackExpectation } from "../../oauth/authorization-response.ts";
import type { TokenSet } from "../../oauth/types.ts";

/** Enough for slips of the hand; a person still pasting after this many is better off restarting. */
const MAX_PASTES = 5;

export const PASTE_PROMPT =
  "After approving, paste the address your browser ended on (or wait for the redirect):\n";

const PASTE_AGAIN = "Paste the address again (or wait for the redirect; Ctrl-C to stop):\n";

/**
 * The tokens of whichever comes first with a usable code: the redirect (`waiting`) or a pasted
 * address. `exchange` turns a code into tokens. Rejects with the login's own errors: the timeout,
 * a denial, an issuer mismatch, a refused exchange that a new paste cannot fix.
 */
export async function pasteOrWait(
  ctx: Context,
  waiting: Promise<AuthorizationCode>,
  expectation: CallbackExpectation & { redirect_uri: string },
  exchange: (code: AuthorizationCode) => Promise<TokenSet>,
): Promise<TokenSet> {
  const { parseRedirectedUrl } = await import("../../oauth/authorization-response.ts");
  const redirected = waiting.then((code) => ({ kind: "redirect" as const, code }));
  redirected.catch(() => {});
  ctx.stderr.write(PASTE_PROMPT);
  for (let paste = 1; ; ) {
    const stopReading = new AbortController();
    const line = ctx.readLine(stopReading.signal).then((text) => ({ kind: "line" as const, text }));
    let next: Awaited<typeof redirected> | Awaited<typeof line>;
    try {
      next = await Promise.race([redirected, line]);
    } finally {
      stopReading.abort();
    }
    if (next.kind === "redirect") return exchange(next.code);
    // Closed without a line (stdin ended): leave it to the redirect, or the timeout.
    if (next.text === undefined) return exchange(await waiting);
    // An empty line is a stray Enter, not a paste (nor the end of input): ask again.
    if (next.text.trim() === "") {
      ctx.stderr.write(PASTE_AGAIN);
      continue;
    }
    try {
      return await exchange(parseRedirectedUrl(next.text, expectation));
    } catch (error) {
      if (!isBadPaste(error) || paste++ >= MAX_PASTES) throw error;
      ctx.stderr.write(`That did not work: ${error.message} [${error.code}].\n${PASTE_AGAIN}`);
    }
  }
}

/** A failure another paste can mend; a denial or a mismatched issuer is the login's answer. */
function isBadPaste(error: unknown): error is OauthxError {
  if (isOauthxError(error, "INVALID_RESPONSE") || isOauthxError(error, "STATE_MISMATCH")) return true;
  // RFC 6749 §5.2: invalid_grant is the code's own refusal — invalid, expired or mistyped. (Any
  // other refusal, invalid_client say, is the same for every paste.)
  return isOauthxError(error, "TOKEN_EXCHANGE_FAILED") && /\(invalid_grant\b/.test(error.message);
}
