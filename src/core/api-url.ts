// Where `oauthx api` and the library's fetch send a request with the access token: a path is taken
// relative to the provider's api_base; a full URL is used as given. Either way the token goes only
// to the provider's API — the api_base origin and the api_origins its entry lists — unless the
// user names another host explicitly (--allow-host, the library's allowHosts). A bearer token is
// usable by whoever receives it (RFC 6750 §5.3: "do not pass bearer tokens to untrusted parties").

import { OauthxError } from "../errors.ts";
import { isSecureEndpoint } from "../oauth/endpoint-url.ts";
import type { TokenEntry } from "../store/document.ts";
import { assertBoundOrigin } from "./origin-binding.ts";
import { apiBase, type ProviderClient } from "./provider-client.ts";

export interface ApiRequestTarget {
  client: ProviderClient;
  /** The login whose access token will be sent. */
  entry: TokenEntry;
  /** Hosts (`host` or `host:port`) the user allowed explicitly. */
  allowHosts?: readonly string[];
}

/** The URL to request, checked: https (or loopback http), and an origin that may get the token. */
export function resolveApiUrl(input: string | URL, target: ApiRequestTarget): URL {
  const { client, entry } = target;
  const base = apiBase(client, entry.extra);
  let url: URL;
  if (input instanceof URL || /^https?:\/\//i.test(input)) {
    url = new URL(input);
  } else {
    if (!base) {
      throw new OauthxError("USAGE", `${client.id} has no api_base: give a full URL`, {
        remedy: "or set api_base for it in your providers file",
      });
    }
    url = new URL(`${base.replace(/\/$/, "")}/${input.replace(/^\//, "")}`);
  }
  // The token must never travel in clear text beyond this machine.
  if (!isSecureEndpoint(url)) {
    throw new OauthxError("USAGE", `refusing to send a token over plain http to ${url.host}`, {
      remedy: "use an https URL",
    });
  }
  if (target.allowHosts?.includes(url.host)) return url;
  const allowed = apiOrigins(client, base);
  if (!allowed.includes(url.origin)) {
    throw new OauthxError(
      "ORIGIN_MISMATCH",
      `refusing to send the ${client.id} access token to ${url.origin}: not an API of ${client.id} (${allowed.join(", ") || "it names none"})`,
      { remedy: `if you mean it, allow the host explicitly: --allow-host ${url.host}` },
    );
  }
  assertBoundOrigin(client.id, entry, url, "the access token");
  return url;
}

/** The origins of the provider's API: api_base's and those its entry lists in api_origins. */
export function apiOrigins(client: ProviderClient, base: string | undefined): string[] {
  const origins = new Set(client.definition.api_origins ?? []);
  if (base !== undefined) origins.add(new URL(base).origin);
  return [...origins];
}
