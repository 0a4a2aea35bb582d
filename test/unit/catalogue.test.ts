// The built-in provider catalogue (providers.yaml, through the generated modules): the
// properties users rely on, checked for every provider, and each provider's known quirks.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isSecureEndpoint } from "../../src/oauth/endpoint-url.ts";
import { builtinProviders } from "../../src/providers/generated/index.ts";
import { parseYaml, validate } from "../../src/providers/load-yaml.ts";
import { type BuiltinProvider, catalogueSchema, templateNames } from "../../src/providers/schema.ts";
import { ROOT } from "../support/run-node.ts";

const providers = builtinProviders as unknown as Record<string, BuiltinProvider>;
const entries = Object.entries(providers);

const ENDPOINTS = [
  "issuer",
  "authorization_endpoint",
  "token_endpoint",
  "revocation_endpoint",
  "device_authorization_endpoint",
  "userinfo_endpoint",
] as const;

/** Placeholders filled by oauthx itself, never declared in template_vars. */
const RESERVED_PLACEHOLDERS = new Set(["client_id"]);

const WHOLE_URL = /^\{([a-z][a-z0-9_]*)\}$/;

function endpoints(provider: BuiltinProvider): [string, string][] {
  return ENDPOINTS.flatMap((name) =>
    provider[name] === undefined ? [] : [[name, provider[name] as string]],
  );
}

/** The federation block's templated values (a Google pool provider's name): they use template vars too. */
function federationValues(provider: BuiltinProvider): string[] {
  const { federation } = provider;
  if (federation === undefined) return [];
  return [
    federation.audience,
    federation.exchange_audience,
    federation.exchange_resource,
    federation.impersonation_url,
  ].filter((value): value is string => value !== undefined);
}

/** A federated CI provider with no way to log in: no authorization endpoint, no issuer. */
function federationOnly(provider: BuiltinProvider): boolean {
  return (
    provider.federation !== undefined &&
    provider.authorization_endpoint === undefined &&
    provider.issuer === undefined
  );
}

/** Fills each placeholder as a user would: a host-like value, or a whole URL for `{issuer}`. */
function fill(value: string): string {
  if (WHOLE_URL.test(value)) return "https://sso.example.com/realms/acme";
  return value.replace(/\{([a-z][a-z0-9_]*)\}/g, (_, name: string) => `${name.replace(/_/g, "-")}.example`);
}

function loadCatalogue(text: string) {
  return validate(catalogueSchema, parseYaml(text, "providers.yaml"), "providers.yaml");
}

describe("the built-in catalogue", () => {
  it("has every provider people asked for", () => {
    for (const id of [
      "github",
      "google",
      "microsoft",
      "gitlab",
      "atlassian",
      "bitbucket",
      "slack",
      "spotify",
      "dropbox",
      "discord",
      "linear",
      "notion",
      "salesforce",
      "okta",
      "auth0",
      "jobber",
      "box",
      "zoom",
      "twitch",
      "oidc",
    ]) {
      expect(Object.keys(providers), id).toContain(id);
    }
  });

  it("the generated modules hold exactly what providers.yaml says, after validation", () => {
    const catalogue = loadCatalogue(readFileSync(join(ROOT, "providers.yaml"), "utf8"));
    expect(JSON.parse(JSON.stringify(providers))).toEqual(JSON.parse(JSON.stringify(catalogue.providers)));
  });

  it("ships no client id: oauthx ships no borrowed client ids", () => {
    for (const [id, provider] of entries) expect(provider.client_id, id).toBeUndefined();
  });

  it("leaves OpenAI out, saying why at the end of the file", () => {
    expect(Object.keys(providers)).not.toContain("openai");
    const text = readFileSync(join(ROOT, "providers.yaml"), "utf8");
    expect(text).toMatch(/# Not included: OpenAI/);
    // The first-party Codex client id appears only inside that comment, never as a value.
    expect(text).not.toMatch(/^\s*client_id:/m);
  });

  it.each(entries)("%s: every endpoint is https once its placeholders are filled", (_id, provider) => {
    const list = endpoints(provider);
    expect(list.length).toBeGreaterThan(0);
    for (const [name, value] of list) {
      const url = new URL(fill(value));
      expect(url.protocol, `${name}: ${value}`).toBe("https:");
      expect(isSecureEndpoint(url)).toBe(true);
      expect(url.hash, name).toBe("");
    }
  });

  it.each(entries)(
    "%s: can log in (token endpoint, and an authorization endpoint or an issuer), or is federated",
    (_id, provider) => {
      // A federated CI provider needs only the token endpoint its identity token is exchanged at.
      if (federationOnly(provider)) expect(provider.token_endpoint).toBeDefined();
      else if (provider.token_endpoint === undefined || provider.authorization_endpoint === undefined) {
        // Discovery fills the rest.
        expect(provider.issuer).toBeDefined();
      }
    },
  );

  it.each(entries)(
    "%s: every placeholder is declared in template_vars, and every variable is used",
    (_id, provider) => {
      const used = new Set(
        [...endpoints(provider).map(([, value]) => value), ...federationValues(provider)].flatMap(
          templateNames,
        ),
      );
      for (const name of used) {
        if (RESERVED_PLACEHOLDERS.has(name)) continue;
        expect(Object.keys(provider.template_vars), `{${name}}`).toContain(name);
      }
      for (const name of Object.keys(provider.template_vars)) expect([...used], name).toContain(name);
      for (const [name, spec] of Object.entries(provider.template_vars)) {
        expect(spec.description.length, name).toBeGreaterThan(0);
      }
    },
  );

  it.each(entries)("%s: git_hosts placeholders are declared in template_vars", (_id, provider) => {
    for (const host of provider.git_hosts) {
      for (const name of templateNames(host))
        expect(Object.keys(provider.template_vars), host).toContain(name);
    }
  });

  it("only the issuer may be a whole-URL placeholder, and only for the generic oidc entry", () => {
    for (const [id, provider] of entries) {
      for (const [name, value] of endpoints(provider)) {
        if (WHOLE_URL.test(value)) expect(`${id}.${name}`).toBe("oidc.issuer");
      }
    }
    expect(providers.oidc?.issuer).toBe("{issuer}");
    expect(providers.oidc?.template_vars.issuer?.default).toBeUndefined();
  });

  it.each(entries)("%s: has docs_url (https) and setup text", (_id, provider) => {
    expect(provider.docs_url).toMatch(/^https:\/\//);
    expect(provider.setup?.length ?? 0).toBeGreaterThan(40);
  });

  it.each(entries)("%s: env names are valid, unique, and not oauthx's own", (_id, provider) => {
    expect(new Set(provider.env).size).toBe(provider.env.length);
    for (const name of provider.env) {
      expect(name).toMatch(/^[A-Z_][A-Z0-9_]*$/);
      expect(name.startsWith("OAUTHX_"), name).toBe(false);
    }
  });

  it.each(entries)("%s: the setup text names the redirect URI to register", (id, provider) => {
    const { host, path, ports } = provider.redirect;
    if (federationOnly(provider)) return; // no login, no redirect
    if (ports !== undefined && ports.length > 0) {
      for (const port of ports) expect(provider.setup).toContain(`http://${host}:${port}${path}`);
    } else if (id !== "google") {
      // Google desktop clients register no redirect URI at all.
      expect(provider.setup).toContain(`http://${host}${path}`);
    }
  });

  it("redirect hosts follow each provider's loopback rule", () => {
    // Spotify bans localhost; GitLab (Doorkeeper) ignores the port only for IP literals; GitHub
    // discourages localhost; Entra ignores the port only for localhost.
    expect(providers.spotify?.redirect.host).toBe("127.0.0.1");
    expect(providers.gitlab?.redirect.host).toBe("127.0.0.1");
    expect(providers.github?.redirect.host).toBe("127.0.0.1");
    expect(providers.microsoft?.redirect.host).toBe("localhost");
    expect(providers.microsoft?.redirect.ports).toBeUndefined();
    expect(providers.salesforce?.redirect).toEqual({
      host: "localhost",
      path: "/OauthRedirect",
      ports: [1717],
    });
    // A localhost redirect with a random port works only where the provider ignores the port.
    for (const [id, provider] of entries) {
      if (provider.redirect.host === "localhost" && provider.redirect.ports === undefined) {
        expect(id).toBe("microsoft");
      }
    }
  });

  it("marks the comma-separated scope providers", () => {
    expect(providers.slack?.scope_separator).toBe(",");
    expect(providers.linear?.scope_separator).toBe(",");
    // GitHub takes spaces but answers with commas.
    expect(providers.github?.scope_separator).toBe(" ");
    expect(providers.github?.token_response.scope_separator).toBe(",");
    expect(providers["github-enterprise"]?.token_response.scope_separator).toBe(",");
    const commas = entries.filter(([, provider]) => provider.scope_separator === ",").map(([id]) => id);
    expect(commas.sort()).toEqual(["linear", "slack"]);
  });

  it.each(entries)(
    "%s: a client without PKCE must be confidential, a secret-authenticated one needs its secret",
    (_id, provider) => {
      if (provider.pkce === "unsupported") expect(provider.client_secret_required).toBe(true);
      if (provider.client_auth !== "none") expect(provider.client_secret_required).toBe(true);
    },
  );

  it.each(entries)("%s: revocation and its endpoint agree", (_id, provider) => {
    if (provider.revocation === "none") expect(provider.revocation_endpoint).toBeUndefined();
    else if (provider.issuer === undefined || provider.token_endpoint !== undefined) {
      expect(provider.revocation_endpoint).toBeDefined();
    }
    if (provider.revocation === "github_application_token") {
      expect(provider.revocation_endpoint).toContain("/applications/{client_id}/token");
    }
  });

  it.each(entries)("%s: scopes are listed once, defaults among the known ones", (_id, provider) => {
    expect(new Set(provider.scopes).size).toBe(provider.scopes.length);
    expect(new Set(provider.scopes_supported).size).toBe(provider.scopes_supported.length);
    if (provider.scopes_supported.length > 0) {
      for (const scope of provider.scopes) expect(provider.scopes_supported).toContain(scope);
    }
  });
});

describe("provider quirks are fields", () => {
  it("GitHub: secret, User-Agent, its own revocation, a separate GHES entry with /api/v3", () => {
    const github = providers.github!;
    expect(github.client_secret_required).toBe(true);
    expect(github.headers["User-Agent"]).toBeTruthy();
    expect(github.revocation).toBe("github_application_token");
    expect(github.env).toEqual(["GH_TOKEN", "GITHUB_TOKEN"]);
    expect(github.template_vars).toEqual({});
    const ghes = providers["github-enterprise"]!;
    expect(ghes.userinfo_endpoint).toBe("https://{host}/api/v3/user");
    expect(ghes.revocation_endpoint).toBe("https://{host}/api/v3/applications/{client_id}/token");
    expect(ghes.template_vars.host?.default).toBeUndefined();
    expect(ghes.env).toEqual(["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"]);
  });

  it("Google: offline access with re-consent, secret as form params", () => {
    const google = providers.google!;
    expect(google.authorize_params).toEqual({ access_type: "offline", prompt: "consent" });
    expect(google.client_auth).toBe("client_secret_post");
    expect(google.client_secret_required).toBe(true);
  });

  it("Entra: {tenant} defaults to common, offline_access, no revocation", () => {
    const microsoft = providers.microsoft!;
    expect(microsoft.template_vars.tenant?.default).toBe("common");
    expect(microsoft.scopes).toContain("offline_access");
    expect(microsoft.revocation).toBe("none");
  });

  it("Entra and Google Cloud: federated CI only, with the audiences their docs name", () => {
    expect(providers.entra?.federation).toEqual({
      grant: "client-assertion",
      audience: "api://AzureADTokenExchange",
    });
    expect(providers.entra?.token_endpoint).toBe(
      "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
    );
    const pool =
      "projects/{project_number}/locations/global/workloadIdentityPools/{pool}/providers/{pool_provider}";
    expect(providers["google-cloud"]?.federation).toEqual({
      grant: "token-exchange",
      audience: `https://iam.googleapis.com/${pool}`,
      exchange_audience: `//iam.googleapis.com/${pool}`,
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
      requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
      impersonation_url:
        "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/{service_account}:generateAccessToken",
    });
    // Impersonation is optional: the setting has no default.
    expect(providers["google-cloud"]?.template_vars.service_account?.default).toBeUndefined();
    for (const id of ["entra", "google-cloud"]) {
      expect(federationOnly(providers[id] as BuiltinProvider), id).toBe(true);
      expect(providers[id]?.client_id, id).toBeUndefined();
    }
  });

  it("GitLab: {host} defaults to gitlab.com, public PKCE client, 2 h assumed lifetime", () => {
    const gitlab = providers.gitlab!;
    expect(gitlab.template_vars.host?.default).toBe("gitlab.com");
    expect(gitlab.client_auth).toBe("none");
    expect(gitlab.pkce).toBe("required");
    expect(gitlab.token_response.default_expires_in).toBe(7200);
  });

  it("Atlassian: audience and prompt=consent, offline_access, secret in the body", () => {
    const atlassian = providers.atlassian!;
    expect(atlassian.authorize_params).toEqual({ audience: "api.atlassian.com", prompt: "consent" });
    expect(atlassian.scopes).toContain("offline_access");
    expect(atlassian.client_auth).toBe("client_secret_post");
    expect(atlassian.refresh.rotates).toBe(true);
  });

  it("Slack: user scopes in user_scope, commas, ok flag, token nested in authed_user", () => {
    const slack = providers.slack!;
    expect(slack.scope_param).toBe("user_scope");
    expect(slack.token_response.ok_field).toBe("ok");
    expect(slack.token_response.nested_in).toBe("authed_user");
    expect(slack.token_response.keep).toContain("team");
  });

  it("Dropbox: token_access_type=offline, no secret with PKCE", () => {
    const dropbox = providers.dropbox!;
    expect(dropbox.authorize_params).toEqual({ token_access_type: "offline" });
    expect(dropbox.client_auth).toBe("none");
    expect(dropbox.refresh.rotates).toBe(false);
    expect(dropbox.revocation).toBe("bearer_post");
    expect(dropbox.revocation_endpoint).toBe("https://api.dropboxapi.com/2/auth/token/revoke");
    expect(providers.slack?.revocation).toBe("bearer_post");
    expect(providers.slack?.revocation_endpoint).toBe("https://slack.com/api/auth.revoke");
  });

  it("Notion: Basic auth with a JSON body, Notion-Version, owner=user", () => {
    const notion = providers.notion!;
    expect(notion.client_auth).toBe("client_secret_basic");
    expect(notion.token_request.body).toBe("json");
    expect(notion.headers["Notion-Version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(notion.authorize_params).toEqual({ owner: "user" });
  });

  it("Salesforce: {domain} defaults to login, instance_url kept, lifetime assumed", () => {
    const salesforce = providers.salesforce!;
    expect(salesforce.template_vars.domain?.default).toBe("login");
    expect(salesforce.token_endpoint).toBe("https://{domain}.salesforce.com/services/oauth2/token");
    expect(salesforce.token_response.keep).toEqual(expect.arrayContaining(["instance_url", "id"]));
    expect(salesforce.token_response.default_expires_in).toBeGreaterThan(0);
    expect(salesforce.device_authorization_endpoint).toBeUndefined();
  });

  it("Okta and Auth0: templated domains with no default", () => {
    expect(providers.okta?.template_vars.domain?.default).toBeUndefined();
    expect(providers.okta?.template_vars.authorization_server?.default).toBe("default");
    expect(providers.auth0?.template_vars.domain?.default).toBeUndefined();
  });

  it("Jobber: no PKCE, bare denial, lifetime from the JWT", () => {
    const jobber = providers.jobber!;
    expect(jobber.pkce).toBe("unsupported");
    expect(jobber.authorization_response.deny_returns_no_params).toBe(true);
    expect(jobber.token_response.expires_from).toBe("jwt_exp");
    expect(jobber.scopes).toEqual([]);
  });

  it("git: each forge's hosts and the user name its git server takes with an OAuth token", () => {
    const git = (id: string) => ({ hosts: providers[id]?.git_hosts, username: providers[id]?.git_username });
    expect(git("github")).toEqual({ hosts: ["github.com"], username: "x-access-token" });
    expect(git("github-enterprise")).toEqual({ hosts: ["{host}"], username: "x-access-token" });
    expect(git("gitlab")).toEqual({ hosts: ["{host}"], username: "oauth2" });
    expect(git("bitbucket")).toEqual({ hosts: ["bitbucket.org"], username: "x-token-auth" });
    // Everyone else serves no git host until the user's providers file names some.
    for (const [id, provider] of entries) {
      if (["github", "github-enterprise", "gitlab", "bitbucket"].includes(id)) continue;
      expect(provider.git_hosts, id).toEqual([]);
      expect(provider.git_username, id).toBe("oauth2");
    }
  });

  it("new fields default to the old behaviour everywhere else", () => {
    for (const [id, provider] of entries) {
      if (id !== "slack") expect(provider.scope_param, id).toBe("scope");
      if (id !== "jobber") {
        expect(provider.authorization_response.deny_returns_no_params, id).toBe(false);
        expect(provider.token_response.expires_from, id).toBe("expires_in");
      }
    }
  });
});

describe("schema affordances used by the catalogue", () => {
  const one = (fields: string) => `providers:\n  acme:\n    name: Acme\n${fields}`;

  it("fills defaults for the new optional fields", () => {
    const { providers: parsed } = loadCatalogue(one("    token_endpoint: https://acme.example/token\n"));
    const acme = parsed.acme!;
    expect(acme.git_hosts).toEqual([]);
    expect(acme.git_username).toBe("oauth2");
    const forge = loadCatalogue(one('    git_hosts: ["git.acme.example:8443", "{host}"]\n')).providers.acme!;
    expect(forge.git_hosts).toEqual(["git.acme.example:8443", "{host}"]);
    expect(acme.scope_param).toBe("scope");
    expect(acme.authorization_response).toEqual({ deny_returns_no_params: false });
    expect(acme.token_response).toEqual({
      keep: [],
      expires_from: "expires_in",
      refresh_rejected_errors: [],
    });
  });

  it("accepts an endpoint that is exactly one placeholder, and nothing looser", () => {
    expect(() =>
      loadCatalogue(
        one('    issuer: "{issuer}"\n    template_vars:\n      issuer: {description: the issuer}\n'),
      ),
    ).not.toThrow();
    expect(() => loadCatalogue(one('    issuer: "{issuer}/realms/x"\n'))).toThrow(/must be an absolute URL/);
    expect(() => loadCatalogue(one('    token_endpoint: "http://{host}/token"\n'))).toThrow(/must use https/);
  });

  it("takes a federation block: grant and audience required, typos suggested, RFC 8693 members for token-exchange only", () => {
    const federated = (block: string) =>
      one(`    token_endpoint: https://acme.example/token\n    federation:\n${block}`);
    const ok = loadCatalogue(federated("      grant: jwt-bearer\n      audience: https://acme.example\n"));
    expect(ok.providers.acme?.federation).toEqual({ grant: "jwt-bearer", audience: "https://acme.example" });
    expect(() => loadCatalogue(federated("      grant: jwt-bearer\n"))).toThrow(
      /field federation\.audience: is missing \(it is required\)/,
    );
    expect(() => loadCatalogue(federated("      grant: saml\n      audience: x\n"))).toThrow(
      /field federation\.grant/,
    );
    expect(() =>
      loadCatalogue(
        federated("      grant: token-exchange\n      audience: x\n      exchange_audiense: y\n"),
      ),
    ).toThrow(/field federation\.exchange_audiense: unknown field; did you mean exchange_audience\?/);
    expect(() =>
      loadCatalogue(
        federated("      grant: client-assertion\n      audience: x\n      exchange_audience: y\n"),
      ),
    ).toThrow(/belong to grant: token-exchange/);
  });

  it("rejects unknown values of the new fields with their path", () => {
    expect(() => loadCatalogue(one("    token_response:\n      expires_from: header\n"))).toThrow(
      /provider "acme", field token_response\.expires_from/,
    );
    expect(() => loadCatalogue(one("    token_response:\n      default_expires_in: 0\n"))).toThrow(
      /field token_response\.default_expires_in/,
    );
    expect(() => loadCatalogue(one("    scope_param: User-Scope\n"))).toThrow(/field scope_param/);
    for (const host of [
      "https://git.acme.example",
      "Git.Acme.example",
      "git.acme.example:443",
      "acme.example/git",
      "user@acme.example",
    ]) {
      expect(() => loadCatalogue(one(`    git_hosts: ["${host}"]\n`)), host).toThrow(
        /field git_hosts\.0: must be a host name/,
      );
    }
    expect(() => loadCatalogue(one('    git_username: "a:b"\n'))).toThrow(/field git_username/);
    expect(() => loadCatalogue(one("    authorization_response:\n      denied: true\n"))).toThrow(
      /field authorization_response\.denied: unknown field/,
    );
  });
});
