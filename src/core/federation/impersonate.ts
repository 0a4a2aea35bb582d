// Service-account impersonation after a federated exchange (providers.yaml
// `federation.impersonation_url`): Google's STS returns a federated token for the workload
// identity pool's principal; many Google APIs, or a policy that grants roles to a service account,
// want that service account's token instead. IAM Credentials trades one for the other:
//   POST …/serviceAccounts/<email>:generateAccessToken   Authorization: Bearer <federated token>
//   {"scope": [...], "lifetime": "3600s"}  →  {"accessToken": "…", "expireTime": "<RFC 3339>"}
// (cloud.google.com iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken).
// The federated token goes only to that URL, over https; neither token is ever in a message.

import { OauthxError } from "../../errors.ts";
import { requireSecureEndpoint } from "../../oauth/endpoint-url.ts";
import { parseJsonObject, sendHttp } from "../../oauth/http.ts";
import { sanitizeOAuthText } from "../../oauth/oauth-error.ts";
import type { TokenSet } from "../../oauth/types.ts";

export async function impersonate(
  address: string,
  federatedToken: string,
  scopes: readonly string[],
  options: { timeoutMs: number; now: number },
): Promise<TokenSet> {
  const url = requireSecureEndpoint(address, "service account impersonation URL");
  const result = await sendHttp(
    {
      method: "POST",
      url,
      headers: { accept: "application/json", authorization: `Bearer ${federatedToken}` },
      json: { scope: scopes, lifetime: "3600s" },
    },
    { timeoutMs: options.timeoutMs, retry: { limit: 1, maxRetryAfterMs: 0 } },
  );
  const body = parseJsonObject(result.body);
  if (result.status !== 200) {
    // Google's error body: {"error": {"code", "message", "status"}}.
    const error = body?.error as { message?: unknown; status?: unknown } | undefined;
    const detail = [error?.status, error?.message].filter((part) => typeof part === "string").join(": ");
    throw new OauthxError(
      "FEDERATION_REFUSED",
      `${url.host} refused to impersonate the service account (HTTP ${result.status}${detail ? `, ${sanitizeOAuthText(detail)}` : ""})`,
      {
        remedy:
          "grant the workload identity pool's principal roles/iam.workloadIdentityUser on the service account, or unset the service_account setting",
      },
    );
  }
  const accessToken = body?.accessToken;
  const expireTime = body?.expireTime;
  if (typeof accessToken !== "string" || accessToken === "") {
    throw new OauthxError(
      "INVALID_RESPONSE",
      `${url.host} answered the impersonation without an accessToken`,
      {
        remedy: "check the impersonation_url of the provider entry",
      },
    );
  }
  const expiresMs = typeof expireTime === "string" ? Date.parse(expireTime) : Number.NaN;
  return {
    access_token: accessToken,
    token_type: "Bearer",
    ...(Number.isFinite(expiresMs)
      ? { expires_in: Math.max(0, Math.floor((expiresMs - options.now) / 1000)) }
      : {}),
    extra: {},
  };
}
