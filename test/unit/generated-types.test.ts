// Type-level tests of the generated provider modules. vitest runs them as ordinary tests; the
// assertions that matter are checked by `npx tsc --noEmit -p .` (each `@ts-expect-error` fails the
// type check if the line below it ever compiles).

import { describe, expectTypeOf, it } from "vitest";
import type {
  BuiltinProviderId,
  GithubEnvName,
  GithubScope,
  GitlabScope,
  MicrosoftEnvName,
  SalesforceEnvName,
  SlackScope,
  SpotifyScope,
} from "../../src/providers/generated/index.ts";
import { builtinProviders } from "../../src/providers/generated/index.ts";
import type { BuiltinProvider } from "../../src/providers/schema.ts";

describe("generated provider types", () => {
  it("scope unions accept known scopes and reject others", () => {
    expectTypeOf<"repo">().toExtend<GithubScope>();
    expectTypeOf<"read:org">().toExtend<GithubScope>();
    expectTypeOf<"nope">().not.toExtend<GithubScope>();
    expectTypeOf<"read_api">().toExtend<GitlabScope>();
    expectTypeOf<"users:read">().toExtend<SlackScope>();
    expectTypeOf<"user-read-private">().toExtend<SpotifyScope>();

    const repo: GithubScope = "repo";
    // @ts-expect-error "nope" is not a GitHub scope
    const nope: GithubScope = "nope";
    // @ts-expect-error GitHub scopes are not Slack scopes
    const crossed: SlackScope = "repo";
    void [repo, nope, crossed];
  });

  it("env unions name exactly the provider's variables", () => {
    expectTypeOf<GithubEnvName>().toEqualTypeOf<"GH_TOKEN" | "GITHUB_TOKEN">();
    expectTypeOf<SalesforceEnvName>().toEqualTypeOf<"SF_ACCESS_TOKEN" | "SFDX_ACCESS_TOKEN">();
    // No env list: the union is empty and exec falls back to MICROSOFT_ACCESS_TOKEN.
    expectTypeOf<MicrosoftEnvName>().toBeNever();
    // @ts-expect-error GITLAB_TOKEN is GitLab's, not GitHub's
    const wrong: GithubEnvName = "GITLAB_TOKEN";
    void wrong;
  });

  it("BuiltinProviderId is the union of every built-in id", () => {
    expectTypeOf<BuiltinProviderId>().toEqualTypeOf<
      | "atlassian"
      | "auth0"
      | "bitbucket"
      | "box"
      | "discord"
      | "dropbox"
      | "github"
      | "github-enterprise"
      | "gitlab"
      | "google"
      | "jobber"
      | "linear"
      | "microsoft"
      | "notion"
      | "oidc"
      | "okta"
      | "salesforce"
      | "slack"
      | "spotify"
      | "twitch"
      | "zoom"
    >();
    // @ts-expect-error openai is deliberately not a built-in (no first-party client borrowed)
    const openai: BuiltinProviderId = "openai";
    void openai;
  });

  it("provider data is literal and satisfies the schema's output type", () => {
    expectTypeOf(
      builtinProviders.github.token_endpoint,
    ).toEqualTypeOf<"https://github.com/login/oauth/access_token">();
    expectTypeOf(builtinProviders.slack.scope_param).toEqualTypeOf<"user_scope">();
    expectTypeOf(builtinProviders.jobber.token_response.expires_from).toEqualTypeOf<"jwt_exp">();
    expectTypeOf(builtinProviders.microsoft.template_vars.tenant.default).toEqualTypeOf<"common">();
    expectTypeOf(builtinProviders.google).toExtend<BuiltinProvider>();
    expectTypeOf(builtinProviders.oidc).toExtend<BuiltinProvider>();
  });
});
