// The authorization URL of every built-in provider, compared with a reviewed golden file
// (authorize-golden.txt, one line per provider). The URL is built the way `oauthx login` builds it
// (resolveProvider fills the endpoint, buildAuthorizationUrl adds the parameters) with fixed
// state, PKCE challenge and nonce, the default scopes, and example values for the settings.
// A change to providers.yaml or to src/oauth/authorize.ts that moves a URL shows up here as a
// diff to review; `UPDATE_GOLDEN=1 npx vitest run test/unit/authorize-golden.test.ts` rewrites the
// file after review.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveProvider } from "../../src/core/provider-client.ts";
import { buildAuthorizationUrl } from "../../src/oauth/authorize.ts";
import { builtinProviders } from "../../src/providers/generated/index.ts";
import type { BuiltinProvider } from "../../src/providers/schema.ts";

const GOLDEN = join(import.meta.dirname, "authorize-golden.txt");
const STATE = "STATE";
const CHALLENGE = "CHALLENGE";
const NONCE = "NONCE";
/** Any port, for providers that take one; a provider that pins ports gets its first. */
const ANY_PORT = 1234;
/** The origin shown for an authorization endpoint that only discovery can give (the oidc entry). */
const DISCOVERED = "https://discovered.invalid/authorization_endpoint";

/** Example values for settings without a default, and a few that show a non-default case. */
const EXAMPLES: Record<string, string> = {
  "microsoft.tenant": "contoso.onmicrosoft.com",
  "gitlab.host": "gitlab.example.com",
  "github-enterprise.host": "github.example.com",
  "okta.domain": "example.okta.com",
  "auth0.domain": "example.us.auth0.com",
  "oidc.issuer": "https://sso.example.com/realms/acme",
};

function line(id: string, definition: BuiltinProvider): string {
  const vars: Record<string, string> = {};
  for (const [name, spec] of Object.entries(definition.template_vars)) {
    const value = EXAMPLES[`${id}.${name}`] ?? spec.default;
    if (value === undefined) throw new Error(`${id}: add an example value for {${name}} to EXAMPLES`);
    vars[name] = value;
  }
  const resolved = resolveProvider(
    { id, source: "builtin", overrides: [], definition },
    { env: {}, vars, clientId: "CLIENT_ID", clientSecret: "not-in-the-url" },
  );
  const endpoint = resolved.server.authorization_endpoint;
  const { host, path, ports } = definition.redirect;
  const url = buildAuthorizationUrl({ authorization_endpoint: endpoint ?? DISCOVERED }, resolved.client, {
    redirect_uri: `http://${host}:${ports?.[0] ?? ANY_PORT}${path}`,
    scopes: definition.scopes,
    scope_separator: definition.scope_separator,
    scope_param: definition.scope_param,
    state: STATE,
    ...(definition.pkce === "unsupported" ? {} : { code_challenge: CHALLENGE }),
    // As prepareAuthorization: a nonce whenever openid is requested.
    ...(definition.scopes.includes("openid") ? { nonce: NONCE } : {}),
    extra_params: definition.authorize_params,
  });
  const text = url.toString();
  expect(text, id).not.toContain("not-in-the-url");
  return `${id} ${endpoint === undefined ? `(discovered) ${text}` : text}`;
}

function lines(): string[] {
  return (
    Object.entries(builtinProviders as unknown as Record<string, BuiltinProvider>)
      // Federated CI providers with no login (entra, google-cloud) have no authorization URL.
      .filter(
        ([, definition]) =>
          !(definition.federation && !definition.authorization_endpoint && !definition.issuer),
      )
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, definition]) => line(id, definition))
  );
}

describe("authorization URL of every built-in provider (golden file)", () => {
  it("matches test/unit/authorize-golden.txt", () => {
    const actual = `${lines().join("\n")}\n`;
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, actual);
    const expected = readFileSync(GOLDEN, "utf8");
    // Line by line, so a failure names the provider.
    expect(actual.split("\n")).toEqual(expected.split("\n"));
  });
});
