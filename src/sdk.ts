// The library face of oauthx: `import { TokenManager } from "oauthx"`. The same store, providers
// and refresh rules as the CLI (a login made with `oauthx login` is used as is), for programs that
// want a token or an authenticated fetch without spawning the binary.
//
//   const github = new TokenManager({ provider: "github", scopes: ["repo"] });
//   const token = await github.getToken();             // valid for at least 60 s
//   const me = await github.fetch("/user");           // api_base + Bearer; one refresh on 401
//
// Provider ids and scopes are typed from the catalogue (providers.yaml, through the codegen): an
// editor completes "github", and `scopes: ["rpo"]` does not compile. Other ids take any string.

import process from "node:process";
import { resolveApiUrl } from "./core/api-url.ts";
import { inCiTerms } from "./core/ci-remedy.ts";
import type { Context } from "./core/context.ts";
import { clientFor } from "./core/provider-client.ts";
import { DEFAULT_PROFILE, openSession, type Session } from "./core/session.ts";
import { loginCommand } from "./core/token-manager.ts";
import { isOauthxError, OauthxError } from "./errors.ts";
import { untrustedCertificate } from "./oauth/certificate-error.ts";
import { defaultOauthxHome } from "./platform/paths.ts";
import type { BuiltinProviderId, ProviderScope } from "./providers/generated/types.ts";
import type { TokenEntry } from "./store/document.ts";

export { type ErrorCode, OauthxError } from "./errors.ts";
export type { BuiltinProviderId, ProviderScope } from "./providers/generated/types.ts";

/** A provider id: a built-in's (completed by editors), or the id of one in your providers file. */
export type ProviderId = BuiltinProviderId | (string & {});

export interface TokenManagerOptions<P extends ProviderId = ProviderId> {
  provider: P;
  /**
   * Scopes the login must have been granted. A token of a login without one of them is refused
   * (AUTH_REQUIRED, naming the `oauthx login` that asks for them) rather than handed to a call
   * that would fail with 403.
   */
  scopes?: readonly ProviderScope<P>[];
  /** Default "default". */
  profile?: string;
  /** Default: process.env. CI mode applies when OAUTHX_<ID>_REFRESH_TOKEN is set in it. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Default: OAUTHX_HOME, else $XDG_CONFIG_HOME/oauthx, else ~/.config/oauthx. */
  home?: string;
  /**
   * The shared store, `postgres://…` (docs/shared-store.md), as OAUTHX_STORE does for the CLI.
   * Needs Bun (its built-in PostgreSQL client). Default: OAUTHX_STORE in env, else the local file.
   */
  store?: string;
  /** Tokens handed out stay valid at least this long. Default 60. */
  minTtlSeconds?: number;
  /**
   * Hosts (`host` or `host:port`) fetch() may send the token to besides the provider's API origins
   * (its api_base and api_origins). Default none: any other URL is refused (ORIGIN_MISMATCH).
   */
  allowHosts?: readonly string[];
}

export class TokenManager<P extends ProviderId = ProviderId> {
  readonly provider: P;
  readonly profile: string;
  readonly #scopes: readonly string[];
  readonly #ctx: Context;
  readonly #minTtl: number | undefined;
  readonly #allowHosts: readonly string[];
  #session: Promise<Session> | undefined;

  constructor(options: TokenManagerOptions<P>) {
    this.provider = options.provider;
    this.#scopes = options.scopes ?? [];
    this.profile = options.profile ?? DEFAULT_PROFILE;
    this.#minTtl = options.minTtlSeconds;
    this.#allowHosts = options.allowHosts ?? [];
    const given = options.env ?? process.env;
    const env = options.store === undefined ? given : { ...given, OAUTHX_STORE: options.store };
    this.#ctx = {
      home: options.home ?? defaultOauthxHome(env),
      env,
      now: () => Date.now(),
      // A library prints nothing on stdout; warnings (a spent CI seed) go to stderr.
      stdout: { write: () => {} },
      stderr: { write: (text) => void process.stderr.write(text) },
      readStdin: async () => "",
      readLine: async () => undefined,
      interactive: false,
      color: false,
    };
  }

  /** The access token, refreshed first when it would expire within the minimum lifetime. */
  async getToken(options: { minTtlSeconds?: number; force?: boolean } = {}): Promise<string> {
    return (await this.#entry(options)).access_token;
  }

  /**
   * fetch with `Authorization: Bearer …`. A relative URL is resolved against the provider's
   * api_base. On 401 the token is refreshed and the request sent once more, when its body can be
   * sent twice (none, or a string). A server certificate this machine does not trust rejects
   * with TLS_UNTRUSTED (NODE_EXTRA_CA_CERTS or SSL_CERT_FILE adds a root CA).
   */
  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    let token = await this.#entry({});
    const url = await this.#resolve(input, token);
    const send = async (accessToken: string) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${accessToken}`);
      try {
        return await fetch(url, { ...init, headers });
      } catch (error) {
        // A certificate this machine does not trust is TLS_UNTRUSTED naming the host and the
        // remedy, as for the CLI's requests (oauth/certificate-error.ts); any other failure (the
        // caller's abort, a reset) stays the runtime's own error.
        throw untrustedCertificate(url.host, error) ?? error;
      }
    };
    const response = await send(token.access_token);
    const replayable = init.body === undefined || init.body === null || typeof init.body === "string";
    if (response.status !== 401 || !replayable) return response;
    await response.body?.cancel();
    token = await this.#entry({ force: true });
    return send(token.access_token);
  }

  async #entry(options: { minTtlSeconds?: number; force?: boolean }): Promise<TokenEntry> {
    try {
      return await this.#checkedEntry(options);
    } catch (error) {
      // In CI mode no remedy names `oauthx login` (core/ci-remedy.ts).
      throw isOauthxError(error) ? inCiTerms(error, this.#ctx.env) : error;
    }
  }

  async #checkedEntry(options: { minTtlSeconds?: number; force?: boolean }): Promise<TokenEntry> {
    const session = await this.#open();
    const minTtl = options.minTtlSeconds ?? this.#minTtl;
    const token = await session.manager.getToken({
      provider: this.provider,
      profile: this.profile,
      refresher: session.refresher(this.provider, this.profile),
      ...(minTtl === undefined ? {} : { minTtlSeconds: minTtl }),
      ...(options.force ? { force: true } : {}),
    });
    const missing = this.#scopes.filter((scope) => !token.scopes.includes(scope));
    if (missing.length > 0) {
      const asked = [...new Set([...token.scopes, ...this.#scopes])]
        .map((scope) => ` --scope ${scope}`)
        .join("");
      throw new OauthxError(
        "AUTH_REQUIRED",
        `the ${this.provider} login lacks the scope ${missing.join(", ")}`,
        {
          remedy: `log in with it: ${loginCommand(this.provider, this.profile)}${asked}`,
        },
      );
    }
    return token;
  }

  async #resolve(input: string | URL, token: TokenEntry): Promise<URL> {
    const session = await this.#open();
    return resolveApiUrl(input, {
      client: clientFor(this.#ctx, (await session.registry()).get(this.provider), token),
      entry: token,
      allowHosts: this.#allowHosts,
    });
  }

  #open(): Promise<Session> {
    this.#session ??= openSession(this.#ctx, {
      provider: this.provider,
      profile: this.profile,
      deferSignals: false,
    });
    return this.#session;
  }
}
