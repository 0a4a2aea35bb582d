// git's credential helper protocol (git-credential(1)): the request oauthx reads and the answer
// it writes.

import { describe, expect, it } from "vitest";
import {
  formatCredential,
  parseCredentialRequest,
} from "../../src/cli/integrations/git-credential-protocol.ts";
import { OauthxError } from "../../src/errors.ts";

describe("parseCredentialRequest", () => {
  it("reads key=value lines up to the blank line, keeping the keys oauthx uses", () => {
    const request = parseCredentialRequest(
      "capability[]=authtype\nprotocol=https\nhost=gitlab.example.com:8443\npath=group/project.git\n" +
        'wwwauth[]=Basic realm="GitLab"\nusername=oauth2\npassword=a=b=c\n\nhost=after.example\n',
    );
    expect(request).toEqual({
      protocol: "https",
      host: "gitlab.example.com:8443",
      path: "group/project.git",
      username: "oauth2",
      // Only the first '=' separates: the value keeps the rest.
      password: "a=b=c",
    });
  });

  it("reads to the end of input when git sends no blank line", () => {
    expect(parseCredentialRequest("protocol=https\nhost=github.com")).toEqual({
      protocol: "https",
      host: "github.com",
    });
    expect(parseCredentialRequest("")).toEqual({});
  });

  it("refuses a line that is not key=value, without repeating it", () => {
    let thrown: unknown;
    try {
      parseCredentialRequest("protocol=https\nsecret-without-equals\n");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OauthxError);
    expect((thrown as OauthxError).code).toBe("USAGE");
    expect((thrown as OauthxError).message).not.toContain("secret-without-equals");
  });
});

describe("formatCredential", () => {
  it("writes one key=value line per field, in order", () => {
    expect(formatCredential({ username: "oauth2", password: "tok", password_expiry_utc: "1700000000" })).toBe(
      "username=oauth2\npassword=tok\npassword_expiry_utc=1700000000\n",
    );
  });

  it("refuses a value with a line break or NUL, naming the key and not the value", () => {
    for (const bad of ["tok\nhost=evil.example", "tok\0"]) {
      expect(() => formatCredential({ password: bad })).toThrow(OauthxError);
      try {
        formatCredential({ password: bad });
      } catch (error) {
        expect((error as OauthxError).code).toBe("INVALID_RESPONSE");
        expect((error as OauthxError).message).toContain("password");
        expect((error as OauthxError).message).not.toContain("tok");
      }
    }
  });
});
