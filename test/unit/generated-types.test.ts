// Type-level tests of the generated provider modules. vitest runs them as ordinary tests; the
// assertions that matter are checked by `npx tsc --noEmit -p .` (each `@ts-expect-error` fails the
// type check if the line below it ever compiles).

import { describe, expectTypeOf, it } from "vitest";
import { builtinProviders } from "../../src/providers/generated/index.ts";
import type { BuiltinProvider } from "../../src/providers/schema.ts";
// What the library exports, as a consumer imports it.
import { type BuiltinProviderId, type ProviderScope, TokenManager } from "../../src/sdk.ts";

type GithubScope = ProviderScope<"github">;
type GitlabScope = ProviderScope<"gitlab">;
type SlackScope = ProviderScope<"slack">;
type SpotifyScope = ProviderScope<"spotify">;

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

  it("ProviderScope<P> is a built-in's known scopes, and any string for other providers", () => {
    expectTypeOf<ProviderScope<"github">>().toEqualTypeOf<
      | "gist"
      | "notifications"
      | "public_repo"
      | "read:org"
      | "read:packages"
      | "read:user"
      | "repo"
      | "repo:status"
      | "user:email"
      | "workflow"
      | "write:org"
      | "write:packages"
    >();
    // Jobber's scopes are fixed on the app: none can be asked for.
    expectTypeOf<ProviderScope<"jobber">>().toBeNever();
    expectTypeOf<ProviderScope<"my-own-idp">>().toEqualTypeOf<string>();
    const repo: ProviderScope<"github"> = "repo";
    // @ts-expect-error "rpo" is not a GitHub scope: the typo does not compile
    const typo: ProviderScope<"github"> = "rpo";
    void [repo, typo];
  });

  it("TokenManager takes the provider's scopes, typed by its id", () => {
    new TokenManager({ provider: "github", scopes: ["repo", "read:org"] });
    new TokenManager({ provider: "my-own-idp", scopes: ["anything:goes"] });
    // @ts-expect-error "rpo" is not a GitHub scope
    new TokenManager({ provider: "github", scopes: ["rpo"] });
    // @ts-expect-error GitHub scopes are not Slack's
    new TokenManager({ provider: "slack", scopes: ["repo"] });
    expectTypeOf(new TokenManager({ provider: "gitlab" }).provider).toEqualTypeOf<"gitlab">();
  });

  it("BuiltinProviderId is the union of every built-in id", () => {
    expectTypeOf<BuiltinProviderId>().toEqualTypeOf<
      | "atlassian"
      | "auth0"
      | "bitbucket"
      | "box"
      | "discord"
      | "dropbox"
      | "entra"
      | "github"
      | "github-enterprise"
      | "gitlab"
      | "google"
      | "google-cloud"
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
