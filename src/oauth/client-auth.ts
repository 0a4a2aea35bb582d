// Client authentication at the token, device authorization and revocation endpoints
// (RFC 6749 §2.3.1, §3.2.1; RFC 8414 `token_endpoint_auth_method`).

import { OauthxError } from "../errors.ts";
import type { Client } from "./types.ts";

/** RFC 6749 §2.3.1 / Appendix B: form-urlencode each part before joining them for Basic. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function utf8Base64(value: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** `Basic base64(urlencode(id):urlencode(secret))` as RFC 6749 §2.3.1 specifies. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${utf8Base64(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
}

/** Plain RFC 7617 Basic (no form-encoding), for non-OAuth APIs such as GitHub's REST API. */
export function plainBasicAuthorization(user: string, password: string): string {
  return `Basic ${utf8Base64(`${user}:${password}`)}`;
}

export interface ClientAuthentication {
  /** Members to add to the request body. */
  params: Record<string, string>;
  headers: Record<string, string>;
}

/**
 * What to add to a request for this client. Public clients (`none`) identify themselves with
 * `client_id` in the body (RFC 6749 §3.2.1); `client_secret_basic` sends only the header, because
 * some servers refuse a request that uses two authentication methods (RFC 6749 §2.3: "MUST NOT use
 * more than one authentication method in each request").
 */
export function clientAuthentication(client: Client): ClientAuthentication {
  if (client.client_id === "") {
    throw new OauthxError("CONFIG_INVALID", "the client id is empty", {
      remedy: "give the client id of your OAuth app",
    });
  }
  if (client.client_auth === "none") {
    return { params: { client_id: client.client_id }, headers: {} };
  }
  if (client.client_secret === undefined || client.client_secret === "") {
    throw new OauthxError(
      "CONFIG_INVALID",
      `the client authentication ${client.client_auth} needs a client secret`,
      {
        remedy: "give the client secret of your OAuth app",
      },
    );
  }
  if (client.client_auth === "client_secret_post") {
    return { params: { client_id: client.client_id, client_secret: client.client_secret }, headers: {} };
  }
  return {
    params: {},
    headers: { authorization: basicAuthorization(client.client_id, client.client_secret) },
  };
}
