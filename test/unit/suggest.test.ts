import { describe, expect, it } from "vitest";
import { closest, editDistance } from "../../src/suggest.ts";

describe("did-you-mean", () => {
  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("tokne", "token")).toBe(1);
    expect(editDistance("login", "logout")).toBe(3);
  });
  it("suggests only close candidates", () => {
    expect(closest("provders", ["providers", "login"])).toBe("providers");
    expect(closest("xyz", ["providers", "login"])).toBeUndefined();
  });
  it("suggests the one candidate a word cut short begins, but not among several or from a letter or two", () => {
    expect(closest("local", ["github", "local-sso", "okta"])).toBe("local-sso");
    expect(closest("Google-C", ["google", "google-cloud"])).toBe("google-cloud");
    expect(closest("log", ["login", "logout", "status"])).toBeUndefined();
    expect(closest("lo", ["local-sso"])).toBeUndefined();
    expect(closest("gitlab", ["github", "gitlab-self"])).toBe("gitlab-self");
    expect(closest("githbu", ["github", "github-enterprise"])).toBe("github");
  });
});
