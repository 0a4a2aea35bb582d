// Which login answers git for a host (src/cli/integrations/git-hosts.ts): providers' git_hosts, filled from
// each login's remembered settings, with the profile rules and the refusals.

import { describe, expect, it } from "vitest";
import { findGitLogin, type GitLoginQuery } from "../../src/cli/integrations/git-hosts.ts";
import { builtinProviders } from "../../src/providers/generated/index.ts";
import { type ProviderEntry, Registry } from "../../src/providers/registry.ts";
import type { BuiltinProvider } from "../../src/providers/schema.ts";
import { emptyDocument, type StoreDocument, type TokenEntry } from "../../src/store/document.ts";

const registry = new Registry(
  Object.entries(builtinProviders).map(
    ([id, definition]): ProviderEntry => ({
      id,
      source: "builtin",
      overrides: [],
      definition: definition as BuiltinProvider,
    }),
  ),
);

function login(vars?: Record<string, string>): TokenEntry {
  return {
    access_token: "at",
    token_type: "Bearer",
    scopes: [],
    obtained_at: 1,
    client: { client_id: "cid" },
    ...(vars ? { vars } : {}),
  };
}

function documentWith(profiles: StoreDocument["profiles"]): StoreDocument {
  return { ...emptyDocument(), profiles };
}

async function find(
  query: Partial<GitLoginQuery>,
  document: StoreDocument,
  env: Record<string, string> = {},
) {
  let reads = 0;
  const match = await findGitLogin(
    { env },
    registry,
    { protocol: "https", host: undefined, ...query },
    async () => {
      reads++;
      return document;
    },
  );
  return { match, reads };
}

describe("findGitLogin", () => {
  it("maps the built-in hosts: github.com, gitlab.com (the default host), bitbucket.org", async () => {
    const document = documentWith({
      github: { default: login() },
      gitlab: { default: login({ host: "gitlab.com" }) },
      bitbucket: { default: login() },
    });
    for (const [host, provider] of [
      ["github.com", "github"],
      ["GitHub.com", "github"],
      ["gitlab.com", "gitlab"],
      ["bitbucket.org", "bitbucket"],
    ]) {
      const { match } = await find({ host }, document);
      expect(match, host).toEqual({ kind: "login", login: { provider, profile: "default" } });
    }
  });

  it("a self-managed GitLab or GitHub Enterprise host comes from the login's remembered host", async () => {
    const document = documentWith({
      gitlab: { default: login({ host: "gitlab.com" }), work: login({ host: "git.work.example:8443" }) },
      "github-enterprise": { corp: login({ host: "ghe.corp.example" }) },
    });
    expect((await find({ host: "git.work.example:8443" }, document)).match).toEqual({
      kind: "login",
      login: { provider: "gitlab", profile: "work" },
    });
    expect((await find({ host: "ghe.corp.example" }, document)).match).toEqual({
      kind: "login",
      login: { provider: "github-enterprise", profile: "corp" },
    });
    // The port is part of the host: the same name on another port is another server.
    expect((await find({ host: "git.work.example" }, document)).match.kind).toBe("not-served");
  });

  it("the environment does not move a stored login to another host", async () => {
    const document = documentWith({ gitlab: { default: login({ host: "gitlab.work.example" }) } });
    const { match } = await find({ host: "evil.example" }, document, { OAUTHX_GITLAB_HOST: "evil.example" });
    expect(match.kind).toBe("not-served");
  });

  it("several logins for one host: the default profile, else the helper must name one", async () => {
    const withDefault = documentWith({ github: { default: login(), work: login() } });
    expect((await find({ host: "github.com" }, withDefault)).match).toEqual({
      kind: "login",
      login: { provider: "github", profile: "default" },
    });
    expect((await find({ host: "github.com", profile: "work" }, withDefault)).match).toEqual({
      kind: "login",
      login: { provider: "github", profile: "work" },
    });
    const twoOthers = documentWith({ github: { home: login(), work: login() } });
    expect((await find({ host: "github.com" }, twoOthers)).match).toEqual({
      kind: "ambiguous",
      logins: [
        { provider: "github", profile: "home" },
        { provider: "github", profile: "work" },
      ],
    });
  });

  it("a served host without a login says which login to make", async () => {
    expect((await find({ host: "github.com" }, emptyDocument())).match).toEqual({
      kind: "no-login",
      login: { provider: "github", profile: "default" },
    });
    expect(
      (await find({ host: "github.com", provider: "github", profile: "x" }, emptyDocument())).match,
    ).toEqual({
      kind: "no-login",
      login: { provider: "github", profile: "x" },
    });
  });

  it("a named provider answers only for its own hosts", async () => {
    const document = documentWith({ github: { default: login() } });
    const { match } = await find({ host: "gitlab.com", provider: "github" }, document);
    expect(match).toEqual({
      kind: "not-served",
      reason: "github does not serve git for gitlab.com (its git_hosts in providers.yaml)",
    });
    // A provider without git hosts serves none.
    expect((await find({ host: "gitlab.com", provider: "google" }, document)).match.kind).toBe("not-served");
  });

  it("never over plain http off loopback, nor for other protocols (git's `cert`)", async () => {
    const document = documentWith({ github: { default: login() } });
    expect((await find({ protocol: "http", host: "github.com" }, document)).match.kind).toBe("not-served");
    expect((await find({ protocol: "cert", host: "github.com" }, document)).match.kind).toBe("not-served");
    expect((await find({ host: "github.com/../x" }, document)).match.kind).toBe("not-served");
    expect((await find({ host: undefined }, document)).match.kind).toBe("not-served");
  });

  it("in CI mode a seeded provider answers without the store being read", async () => {
    const { match, reads } = await find({ host: "github.com", provider: "github" }, emptyDocument(), {
      OAUTHX_GITHUB_REFRESH_TOKEN: "seed",
    });
    expect(match).toEqual({ kind: "login", login: { provider: "github", profile: "default" } });
    expect(reads).toBe(0);
  });
});
