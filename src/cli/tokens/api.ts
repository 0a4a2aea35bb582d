// `oauthx api <provider> <url-or-path>`: an authenticated request, like `gh api`. A path is taken
// relative to the provider's `api_base`; a full URL is used as given (https, or http on loopback),
// and the token goes only to the provider's API origins unless --allow-host names another
// (core/api-url.ts).
// On 401 the token is refreshed once and the request retried once (RFC 6750 §3.1: invalid_token).
// The body goes to stdout; a non-2xx status exits 9 (API_ERROR) after printing it.

import { resolveApiUrl } from "../../core/api-url.ts";
import { maskForGitHubActions } from "../../core/github-actions.ts";
import { clientFor } from "../../core/provider-client.ts";
import { DEFAULT_PROFILE, openSession } from "../../core/session.ts";
import { OauthxError } from "../../errors.ts";
import { untrustedCertificate } from "../../oauth/certificate-error.ts";
import { defineCommand } from "../command.ts";
import { parseDuration } from "../duration.ts";
import { warnIfMinTtlExceedsLifetime } from "./min-ttl.ts";

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);

export const command = defineCommand({
  positionals: [
    { name: "provider", kind: "provider" },
    { name: "url-or-path", kind: "text" },
  ],
  flags: {
    profile: { type: "string", value: "NAME", help: "Profile (default: default)" },
    method: {
      type: "string",
      short: "X",
      value: "METHOD",
      help: "HTTP method (default GET, or POST with -d)",
    },
    header: {
      type: "string",
      short: "H",
      multiple: true,
      value: "'K: V'",
      help: "Request header (repeatable)",
    },
    data: { type: "string", short: "d", value: "DATA", help: "Request body; @file reads a file, @- stdin" },
    "min-ttl": { type: "string", value: "DURATION", help: "Refresh unless valid this long (default 60s)" },
    include: { type: "boolean", short: "i", help: "Print the status line and headers on stderr" },
    "allow-host": {
      type: "string",
      multiple: true,
      value: "HOST",
      help: "Send the token to this host too, outside the provider's API (repeatable)",
    },
  },
  examples: [
    "oauthx api github /user",
    "oauthx api gitlab /projects -H 'Accept: application/json'",
    'oauthx api github /repos/o/r/issues -X POST -d \'{"title":"hi"}\' -H "Content-Type: application/json"',
  ],
  async run(ctx, { flags, positionals }) {
    const [provider, target] = positionals;
    const profile = flags.profile ?? DEFAULT_PROFILE;
    const minTtl = flags["min-ttl"] === undefined ? undefined : parseDuration(flags["min-ttl"], "--min-ttl");
    const session = await openSession(ctx, { provider, profile });
    const entry = (await session.registry()).get(provider);
    const refresher = session.refresher(provider, profile);
    const request = {
      provider,
      profile,
      refresher,
      ...(minTtl === undefined ? {} : { minTtlSeconds: minTtl }),
    };
    let token = await session.manager.getToken(request);
    warnIfMinTtlExceedsLifetime(ctx, provider, minTtl, token);
    const url = resolveApiUrl(target, {
      client: clientFor(ctx, entry, token),
      entry: token,
      allowHosts: flags["allow-host"] ?? [],
    });

    const data = flags.data;
    const body = data === undefined ? undefined : await readData(data, ctx);
    const method = (flags.method ?? (body === undefined ? "GET" : "POST")).toUpperCase();
    if (!METHODS.has(method)) throw new OauthxError("USAGE", `-X takes an HTTP method, not "${method}"`);
    const headers = parseHeaders(flags.header ?? [], entry.definition.headers);

    const { default: ky } = await import("ky");
    const send = (accessToken: string) => {
      maskForGitHubActions(ctx, accessToken);
      const sent = new Headers(headers);
      sent.set("authorization", `Bearer ${accessToken}`);
      return ky(url, {
        method,
        headers: sent,
        ...(body === undefined ? {} : { body }),
        throwHttpErrors: false,
        retry: 0,
        timeout: 60_000,
      });
    };
    let response = await send(token.access_token).catch(networkError(url));
    if (response.status === 401) {
      // Expired or revoked early: refresh once, retry once.
      await response.body?.cancel();
      token = await session.manager.getToken({ ...request, force: true });
      response = await send(token.access_token).catch(networkError(url));
    }
    if (flags.include) {
      ctx.stderr.write(`HTTP ${response.status} ${response.statusText}\n`);
      for (const [name, value] of response.headers) ctx.stderr.write(`${name}: ${value}\n`);
      ctx.stderr.write("\n");
    }
    const text = await response.text();
    ctx.stdout.write(text);
    if (response.ok) return 0;
    // The error follows on stderr: end the body's line first, so the two do not share a line.
    if (text !== "" && !text.endsWith("\n")) ctx.stdout.write("\n");
    throw new OauthxError(
      "API_ERROR",
      `${method} ${url.host}${url.pathname} answered HTTP ${response.status}`,
      {
        remedy:
          response.status === 401 || response.status === 403
            ? `check the scopes of your ${provider} login (oauthx status ${provider})`
            : "see the response body above",
      },
    );
  },
});

function parseHeaders(values: string[], defaults: Readonly<Record<string, string>>): Headers {
  const headers = new Headers(defaults);
  for (const value of values) {
    const at = value.indexOf(":");
    if (at <= 0) throw new OauthxError("USAGE", `-H takes 'Name: value', not "${value}"`);
    const name = value.slice(0, at).trim();
    if (name.toLowerCase() === "authorization") {
      throw new OauthxError("USAGE", "oauthx sets the Authorization header itself");
    }
    headers.set(name, value.slice(at + 1).trim());
  }
  return headers;
}

async function readData(data: string, ctx: { readStdin(): Promise<string> }): Promise<string> {
  if (data === "@-") return ctx.readStdin();
  if (data.startsWith("@")) {
    const { readFileSync } = await import("node:fs");
    return readFileSync(data.slice(1), "utf8");
  }
  return data;
}

function networkError(url: URL) {
  return (error: unknown): never => {
    // Never the error's own text: a failed request's error can carry its headers.
    const untrusted = untrustedCertificate(url.host, error);
    if (untrusted) throw untrusted;
    throw new OauthxError("NETWORK", `could not reach ${url.host}`, {
      remedy: "check your connection and the URL",
      cause: error,
    });
  };
}
