// The device flow of `oauthx login --device` (RFC 8628), for machines without a browser: show the
// user code and where to enter it, then poll until the login is approved, denied or expires.

import type { Context } from "../../core/context.ts";
import type { ResolvedClient } from "../../core/endpoints.ts";
import { OauthxError } from "../../errors.ts";
import type { TokenSet } from "../../oauth/types.ts";
import { noBrowserReason, openBrowser } from "../../platform/browser.ts";
import { formatDuration } from "../output.ts";
import type { FlowOptions } from "./code-flow.ts";

export async function deviceFlow(
  ctx: Context,
  client: ResolvedClient,
  scopes: string[],
  options: FlowOptions,
): Promise<TokenSet> {
  const { startDeviceAuthorization, pollDeviceToken } = await import("../../oauth/device.ts");
  if (!client.server.device_authorization_endpoint) {
    throw new OauthxError(
      "CONFIG_INVALID",
      `${client.definition.name} has no device authorization endpoint`,
      {
        remedy: `log in without --device, or set device_authorization_endpoint for ${client.id}`,
      },
    );
  }
  const startedAt = ctx.now();
  const authorization = await startDeviceAuthorization(
    client.server,
    client.client,
    { scopes, scope_separator: client.definition.scope_separator },
    { ...client.tokenOptions, signal: options.signal },
  );
  // RFC 8628 §3.2 expires_in: after it the code is refused, so the person knows how long they have.
  const expiresAt = new Date(startedAt + authorization.expires_in * 1000);
  const clock = `${String(expiresAt.getHours()).padStart(2, "0")}:${String(expiresAt.getMinutes()).padStart(2, "0")}`;
  ctx.stderr.write(
    `To log in to ${client.definition.name}, open ${authorization.verification_uri}\nand enter the code: ${authorization.user_code}\n` +
      `The code expires in ${formatDuration(authorization.expires_in)} (at ${clock}).\n`,
  );
  // Not awaited: polling need not wait to learn whether the opener worked; the URL is printed.
  if (options.browser && authorization.verification_uri_complete && !noBrowserReason(ctx.env)) {
    void openBrowser(authorization.verification_uri_complete, ctx.env);
  }
  return pollDeviceToken(client.server, client.client, authorization, {
    ...client.tokenOptions,
    signal: options.signal,
    started_at: startedAt,
    scope_separator: client.definition.scope_separator,
  });
}
