// git's credential helper protocol (git-credential(1), "INPUT/OUTPUT FORMAT"): git writes
// `key=value` lines, ended by a blank line or the end of input, and reads the same back. Only the
// keys oauthx uses are kept; git adds keys over time (`wwwauth[]`, `capability[]`) and a helper
// ignores those it does not know.

import { OauthxError } from "../../errors.ts";

export interface CredentialRequest {
  protocol?: string;
  host?: string;
  path?: string;
  username?: string;
  /** Sent with `erase`: the password the server rejected. */
  password?: string;
}

const KEYS = new Set<keyof CredentialRequest>(["protocol", "host", "path", "username", "password"]);

export function parseCredentialRequest(text: string): CredentialRequest {
  const request: CredentialRequest = {};
  for (const line of text.split("\n")) {
    if (line === "") break;
    const at = line.indexOf("=");
    // git itself dies on such a line ("invalid credential line"); the line is not repeated here
    // because it may hold a password.
    if (at <= 0) {
      throw new OauthxError("USAGE", "git's credential request has a line that is not key=value", {
        remedy: "oauthx git-credential is run by git: configure it as a credential.helper",
      });
    }
    const key = line.slice(0, at);
    if (KEYS.has(key as keyof CredentialRequest))
      request[key as keyof CredentialRequest] = line.slice(at + 1);
  }
  return request;
}

/**
 * The answer to `get`, one `key=value` line each. A value must not contain a newline (git would
 * read the rest as another key) or NUL (git-credential(1)): such a value is refused, not sent.
 */
export function formatCredential(fields: Readonly<Record<string, string>>): string {
  let text = "";
  for (const [key, value] of Object.entries(fields)) {
    if (/[\n\0]/.test(value)) {
      throw new OauthxError("INVALID_RESPONSE", `the ${key} for git contains a line break or NUL`, {
        remedy: "git's credential protocol cannot carry it; report this to the provider",
      });
    }
    text += `${key}=${value}\n`;
  }
  return text;
}
