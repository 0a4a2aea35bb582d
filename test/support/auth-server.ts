// A real authorization server for integration tests: oidc-provider (the certified OpenID/OAuth
// server for Node) on 127.0.0.1 with an ephemeral port, configured strictly:
//   - PKCE required for every client (S256 is the only method oidc-provider 9 accepts);
//   - a refresh token with every grant, rotated on every use; reusing an old one is `invalid_grant`
//     and revokes the whole grant (oidc-provider's reuse detection);
//   - device flow, revocation, userinfo, and the development login + consent pages, which a test
//     drives by HTTP (browserless-login.ts) or with a browser.
// Every test that starts one must `await server.close()`.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
// @ts-expect-error oidc-provider ships no type declarations (and @types/oidc-provider is not installed).
import Provider from "oidc-provider";

export const NATIVE_CLIENT_ID = "oauthx-native";
export const CONFIDENTIAL_CLIENT_ID = "oauthx-confidential";
/** Test-only secret of the confidential client; contains characters Basic auth must form-encode. */
export const CONFIDENTIAL_CLIENT_SECRET = "s3cret: with/special+chars&=";
export const REDIRECT_URI = "http://127.0.0.1/callback";

export interface AuthServerOptions {
  /** Access token lifetime in seconds; default 60. */
  accessTokenTtl?: number;
  /** Refresh token lifetime in seconds; default one day. */
  refreshTokenTtl?: number;
  /** Device code lifetime in seconds; default 600. */
  deviceCodeTtl?: number;
  /** Rotate refresh tokens on use (with reuse detection); default true. */
  rotateRefreshToken?: boolean;
  /** Issue refresh tokens at all; default true. False: a deployment that grants no offline access. */
  issueRefreshTokens?: boolean;
  /**
   * oidc-provider's own refresh token policy (OIDC Core §11): offline_access is honoured only with
   * prompt=consent, as LemonLDAP::NG does. Default false: every login gets a refresh token.
   */
  offlineAccessNeedsConsent?: boolean;
}

export interface AuthServerCounters {
  /** POST /token, whatever the grant and outcome. */
  tokenRequests: number;
  /** POST /token with grant_type=refresh_token. */
  refreshRequests: number;
  /** POST /token/revocation. */
  revocations: number;
  /** Grants revoked (by revocation, or by refresh token reuse detection). */
  grantsRevoked: number;
}

export interface AuthServer {
  /** The issuer identifier, `http://127.0.0.1:<port>` (no trailing slash). */
  issuer: string;
  /** Same as issuer: the base URL of every endpoint. */
  url: string;
  endpoints: {
    authorization_endpoint: string;
    token_endpoint: string;
    revocation_endpoint: string;
    device_authorization_endpoint: string;
    userinfo_endpoint: string;
  };
  counters: AuthServerCounters;
  /** The oidc-provider instance, for tests that need its API (typed loosely: it has no types). */
  provider: {
    on(event: string, listener: (...args: unknown[]) => void): void;
    use(middleware: (ctx: unknown, next: () => Promise<void>) => Promise<void>): void;
  };
  close(): Promise<void>;
}

interface KoaContext {
  method: string;
  path: string;
  oidc?: { params?: Record<string, unknown> };
}

/** The account behind any login name: e-mail and name claims give the CLI an account label. */
async function findAccount(_ctx: unknown, sub: string) {
  return {
    accountId: sub,
    async claims() {
      return { sub, email: `${sub}@example.test`, email_verified: true, name: `Test User ${sub}` };
    },
  };
}

export async function startAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const grantTypes = ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"];

  // oidc-provider warns (rightly) about its development defaults; tests use them on purpose.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith("oidc-provider WARNING")) return;
    warn(...args);
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: NATIVE_CLIENT_ID,
        application_type: "native",
        token_endpoint_auth_method: "none",
        redirect_uris: [REDIRECT_URI],
        grant_types: grantTypes,
        response_types: ["code"],
      },
      {
        client_id: CONFIDENTIAL_CLIENT_ID,
        client_secret: CONFIDENTIAL_CLIENT_SECRET,
        application_type: "native",
        token_endpoint_auth_method: "client_secret_basic",
        redirect_uris: [REDIRECT_URI],
        grant_types: grantTypes,
        response_types: ["code"],
      },
    ],
    pkce: { required: () => true },
    // Always a refresh token (by default only with offline_access + prompt=consent).
    ...(options.offlineAccessNeedsConsent
      ? {}
      : {
          issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
            (options.issueRefreshTokens ?? true) && client.grantTypeAllowed("refresh_token"),
        }),
    rotateRefreshToken: options.rotateRefreshToken ?? true,
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      // A client may revoke the tokens issued to it (the default policy says so too, with a notice).
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) =>
          client.clientId === token.clientId,
      },
      userinfo: { enabled: true },
    },
    scopes: ["openid", "offline_access", "email", "profile"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    findAccount,
    ttl: {
      AccessToken: options.accessTokenTtl ?? 60,
      AuthorizationCode: 60,
      DeviceCode: options.deviceCodeTtl ?? 600,
      IdToken: 3600,
      Interaction: 3600,
      Session: 3600,
      Grant: 86_400,
      RefreshToken: options.refreshTokenTtl ?? 86_400,
    },
    cookies: { keys: ["oauthx-test-cookie-key-not-a-secret"] },
  });

  const counters: AuthServerCounters = {
    tokenRequests: 0,
    refreshRequests: 0,
    revocations: 0,
    grantsRevoked: 0,
  };
  provider.use(async (ctx: KoaContext, next: () => Promise<void>) => {
    await next();
    if (ctx.method !== "POST") return;
    if (ctx.path === "/token") {
      counters.tokenRequests++;
      if (ctx.oidc?.params?.grant_type === "refresh_token") counters.refreshRequests++;
    } else if (ctx.path === "/token/revocation") {
      counters.revocations++;
    }
  });
  provider.on("grant.revoked", () => {
    counters.grantsRevoked++;
  });
  // Keep the test output clean: oidc-provider reports server errors as events, not on stderr.
  provider.on("server_error", () => {});

  // Koa composes its middleware when the callback is made: one added later (a quirk layered on the
  // running server, quirk-oidc-provider.ts) takes effect by making the callback again.
  type Callback = (request: IncomingMessage, response: ServerResponse) => void;
  let callback = provider.callback() as Callback;
  console.warn = warn;
  server.on("request", (request, response) => callback(request, response));
  const use = provider.use.bind(provider);
  provider.use = (middleware: (ctx: unknown, next: () => Promise<void>) => Promise<void>) => {
    use(middleware);
    callback = provider.callback() as Callback;
  };

  let closing: Promise<void> | undefined;
  return {
    issuer,
    url: issuer,
    endpoints: {
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      revocation_endpoint: `${issuer}/token/revocation`,
      device_authorization_endpoint: `${issuer}/device/auth`,
      userinfo_endpoint: `${issuer}/me`,
    },
    counters,
    provider,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** The status the server's userinfo endpoint answers for a bearer token: 200 when it works. */
export async function userinfoStatus(server: AuthServer, token: string): Promise<number> {
  const response = await fetch(server.endpoints.userinfo_endpoint, {
    headers: { authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  return response.status;
}

/**
 * A providers file whose `local` provider is this server, as the tests log in to it: the native
 * (public) client, discovery from the issuer, the API at the issuer, two variables for `exec`.
 */
export function localProviderYaml(server: AuthServer): string {
  return [
    "providers:",
    "  local:",
    "    name: Local Test Server",
    `    issuer: ${server.issuer}`,
    `    api_base: ${server.issuer}`,
    `    client_id: ${NATIVE_CLIENT_ID}`,
    "    scopes: [openid, email, offline_access]",
    "    env: [LOCAL_TOKEN, LOCAL_ACCESS_TOKEN]",
    "",
  ].join("\n");
}
