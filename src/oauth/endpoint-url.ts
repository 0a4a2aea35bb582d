// Every endpoint is checked before the first request: RFC 6749 §3.1/§3.2 (TLS for the
// authorization and token endpoints), RFC 8414 §2 (https issuer), RFC 8252 §8.3 (plain http only on
// loopback). providers.yaml is validated with the same rule (src/providers/schema.ts), so the
// catalogue and this layer cannot disagree.

import { OauthxError } from "../errors.ts";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * RFC 6749 §3.1 and §3.2 require TLS for the authorization and token endpoints; RFC 8252 §8.3
 * allows plain http only for loopback redirects. We apply the same rule to every endpoint: https,
 * or http on a loopback host (127.0.0.0/8, ::1, localhost), which is how tests and local
 * development servers run.
 */
export function isSecureEndpoint(url: URL): boolean {
  if (url.protocol === "https:") return true;
  if (url.protocol !== "http:") return false;
  return LOOPBACK_HOSTS.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);
}

/** What to show of an endpoint in messages: origin and path, never a query (it may hold secrets). */
export function describeEndpoint(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * Parses `value` as the endpoint called `name` and enforces https-or-loopback.
 * RFC 6749 §3.1: endpoint URIs MUST NOT include a fragment.
 */
export function requireSecureEndpoint(value: string | undefined, name: string): URL {
  if (value === undefined || value === "") {
    throw new OauthxError("CONFIG_INVALID", `the ${name} is not configured`, {
      remedy: "add it to the provider entry, or give an issuer that supports discovery",
    });
  }
  if (!URL.canParse(value)) {
    throw new OauthxError("CONFIG_INVALID", `the ${name} is not an absolute URL`, {
      remedy: "fix the provider entry",
    });
  }
  const url = new URL(value);
  if (!isSecureEndpoint(url)) {
    throw new OauthxError("CONFIG_INVALID", `the ${name} ${describeEndpoint(url)} must use https`, {
      remedy: "use an https URL (plain http is allowed only on 127.0.0.1, [::1] and localhost)",
    });
  }
  if (url.hash !== "" || value.includes("#")) {
    throw new OauthxError("CONFIG_INVALID", `the ${name} ${describeEndpoint(url)} must not have a fragment`, {
      remedy: "remove the #fragment from the URL",
    });
  }
  if (url.username !== "" || url.password !== "") {
    throw new OauthxError("CONFIG_INVALID", `the ${name} must not carry credentials in the URL`, {
      remedy: "remove user:password@ from the URL; give the client secret separately",
    });
  }
  return url;
}
