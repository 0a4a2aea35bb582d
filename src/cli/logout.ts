// `oauthx logout <provider>`: revoke at the provider (RFC 7009 §2.1: the refresh token first,
// which ends the grant on most servers, then the access token), then delete the login locally.
// A failed revocation still deletes locally, with a warning: the user asked to be logged out.
// Styles that take only an access token (GitHub's DELETE, `bearer_post`) are never sent the
// refresh token; an expired access token is refreshed first, since it is the only handle on the
// grant they have.

import { resolveEndpoints } from "../core/endpoints.ts";
import { clientFor, revocationOptions } from "../core/provider-client.ts";
import { refresherFor } from "../core/refresher.ts";
import { DEFAULT_PROFILE, openSession } from "../core/session.ts";
import { isOauthxError } from "../errors.ts";
import { withoutEntry } from "../store/document.ts";
import type { Command } from "./command.ts";

export const command: Command = {
  args: "<provider>",
  positionals: { min: 1, max: 1 },
  flags: {
    profile: { type: "string", value: "NAME", help: "Profile (default: default)" },
    "no-revoke": { type: "boolean", help: "Only delete locally; do not revoke at the provider" },
    json: { type: "boolean", help: "Print the outcome as JSON" },
  },
  async run(ctx, { flags, positionals }) {
    const provider = positionals[0] as string;
    const profile = (flags.profile as string | undefined) ?? DEFAULT_PROFILE;
    const session = await openSession(ctx, { profile });
    const entry = session.registry.get(provider);
    const stored = await session.manager.peek(provider, profile);

    let revoked: "revoked" | "unsupported" | "skipped" | "failed" = "skipped";
    if (!flags["no-revoke"]) {
      try {
        const { revokeToken, revokesAccessTokenOnly } = await import("../oauth/revoke.ts");
        const accessOnly = revokesAccessTokenOnly(entry.definition.revocation);
        const client = await resolveEndpoints(clientFor(ctx, entry, stored), await session.store.read());
        const options = revocationOptions(client);
        if (entry.definition.revocation !== "none" && !client.server.revocation_endpoint) {
          revoked = "unsupported";
        } else {
          if (stored.refresh_token && !accessOnly) {
            revoked = await revokeToken(
              client.server,
              client.client,
              { token: stored.refresh_token, token_type_hint: "refresh_token" },
              options,
            );
          }
          if (stored.access_token && revoked !== "unsupported") {
            const current =
              accessOnly && stored.refresh_token
                ? await session.manager.getToken({
                    provider,
                    profile,
                    minTtlSeconds: 0,
                    refresher: refresherFor(ctx, session, entry, profile),
                  })
                : stored;
            revoked = await revokeToken(
              client.server,
              client.client,
              { token: current.access_token, token_type_hint: "access_token" },
              options,
            );
          }
        }
      } catch (error) {
        if (!isOauthxError(error)) throw error;
        revoked = "failed";
        ctx.stderr.write(`warning: could not revoke at ${entry.definition.name}: ${error.message}\n`);
      }
    }
    await session.store.update((current) => withoutEntry(current, provider, profile));
    if (flags.json) {
      ctx.stdout.write(`${JSON.stringify({ provider, profile, revoked, deleted: true })}\n`);
    } else {
      const how =
        revoked === "revoked"
          ? "revoked and deleted"
          : revoked === "unsupported"
            ? `deleted (${entry.definition.name} offers no revocation: remove the app's access in your account settings)`
            : revoked === "failed"
              ? "deleted locally only"
              : "deleted locally";
      ctx.stderr.write(
        `Logged out of ${entry.definition.name}${profile === DEFAULT_PROFILE ? "" : ` (profile ${profile})`}: ${how}.\n`,
      );
    }
    return 0;
  },
};
