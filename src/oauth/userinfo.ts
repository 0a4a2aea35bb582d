// The userinfo endpoint (OIDC Core §5.3), called with the new access token (RFC 6750 §2.1) to label
// the account in `oauthx status`. Also fits non-OIDC "who am I" endpoints that answer JSON
// (GitHub's GET /user). The answer is informative, not an identity proof.

import { OauthxError } from "../errors.ts";
import { requireSecureEndpoint } from "./endpoint-url.ts";
import { parseJsonObject, sendHttp } from "./http.ts";
import type { AuthorizationServer, HttpOptions } from "./types.ts";

export async function fetchUserInfo(
  server: Pick<AuthorizationServer, "userinfo_endpoint">,
  accessToken: string,
  options: HttpOptions = {},
): Promise<Record<string, unknown>> {
  const url = requireSecureEndpoint(server.userinfo_endpoint, "userinfo endpoint");
  const result = await sendHttp(
    { method: "GET", url, headers: { accept: "application/json", authorization: `Bearer ${accessToken}` } },
    options,
  );
  if (result.status < 200 || result.status >= 300) {
    throw new OauthxError(
      "INVALID_RESPONSE",
      `the userinfo endpoint at ${url.host} answered HTTP ${result.status}`,
      {
        remedy: "the account label is optional; check the userinfo endpoint and the granted scopes",
      },
    );
  }
  const claims = parseJsonObject(result.body);
  if (claims === undefined) {
    // A signed userinfo response (application/jwt) is not read here.
    throw new OauthxError("INVALID_RESPONSE", `the userinfo response of ${url.host} is not a JSON object`);
  }
  return claims;
}
