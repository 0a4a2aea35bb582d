// `oauthx logout <provider>`: end the grant at the provider (core/revocation.ts), then delete the
// login locally. The message says what the provider still holds: a grant that could not be
// revoked stays active there, and the user is told where to end it. The login is deleted in every
// case but one: a revocation endpoint that is not the login's own origin (ORIGIN_MISMATCH), where
// nothing is sent and nothing is deleted, so that the user can fix what points it elsewhere.

import type { Context } from "../../core/context.ts";
import { type ResolvedClient, resolveEndpoints } from "../../core/endpoints.ts";
import { clientFor } from "../../core/provider-client.ts";
import { type RevocationOutcome, revokeLogin, whereToRevoke } from "../../core/revocation.ts";
import { DEFAULT_PROFILE, openSession, type Session } from "../../core/session.ts";
import { isOauthxError } from "../../errors.ts";
import type { ProviderEntry } from "../../providers/registry.ts";
import { getEntry, type TokenEntry, withoutEntry } from "../../store/document.ts";
import { defineCommand } from "../command.ts";

export const command = defineCommand({
  positionals: [{ name: "provider", kind: "provider" }],
  flags: {
    profile: { type: "string", value: "NAME", help: "Profile (default: default)" },
    "no-revoke": { type: "boolean", help: "Only delete locally; do not revoke at the provider" },
    json: { type: "boolean", help: "Print the outcome as JSON" },
  },
  async run(ctx, { flags, positionals }) {
    const [provider] = positionals;
    const profile = flags.profile ?? DEFAULT_PROFILE;
    const session = await openSession(ctx, { profile });
    const entry = (await session.registry()).get(provider);
    const stored = getEntry(await session.store.read(), provider, profile);
    const who = `${entry.definition.name}${profile === DEFAULT_PROFILE ? "" : ` (profile ${profile})`}`;
    if (stored === undefined) {
      // Already logged out: what was asked is done. A script's `logout` need not check first.
      if (flags.json)
        ctx.stdout.write(`${JSON.stringify({ provider, profile, revoked: "skipped", deleted: false })}\n`);
      ctx.stderr.write(`Not logged in to ${who}: nothing to log out.\n`);
      return 0;
    }

    const outcome = flags["no-revoke"] ? undefined : await revoke(ctx, session, entry, profile, stored);
    await session.store.update((current) => withoutEntry(current, provider, profile));

    const name = entry.definition.name;
    const grantActive = outcome !== undefined && outcome.kind !== "revoked";
    if (flags.json) {
      ctx.stdout.write(
        `${JSON.stringify({ provider, profile, revoked: outcome?.kind ?? "skipped", deleted: true, grant_active: outcome === undefined ? null : grantActive })}\n`,
      );
    }
    if (outcome?.kind === "revoked") {
      ctx.stderr.write(`Logged out of ${who}: revoked at ${name} and deleted.\n`);
    } else if (outcome === undefined) {
      ctx.stderr.write(`Logged out of ${who}: deleted locally (not revoked, as asked).\n`);
    } else {
      const why =
        outcome.kind === "unsupported"
          ? `${name} offers no way for oauthx to revoke it`
          : outcome.kind === "refused"
            ? `${name}'s revocation endpoint accepts only clients with a secret, and this login has none`
            : `revocation failed: ${outcome.error.message}`;
      ctx.stderr.write(
        `Logged out of ${who} locally. The grant is still active at ${name} (${why}).\n` +
          `  → revoke it at ${whereToRevoke(entry.definition)}\n`,
      );
    }
    return 0;
  },
});

/** Revokes the stored login; a failure to find the revocation endpoint is a failed revocation. */
async function revoke(
  ctx: Context,
  session: Session,
  entry: ProviderEntry,
  profile: string,
  stored: TokenEntry,
): Promise<RevocationOutcome> {
  let client: ResolvedClient;
  try {
    client = await resolveEndpoints(clientFor(ctx, entry, stored), await session.store.read());
  } catch (error) {
    if (!isOauthxError(error)) throw error;
    return { kind: "failed", error };
  }
  return revokeLogin(entry.id, client, stored, {
    // An access-token-only style needs a live access token: refresh an expired one first.
    currentAccessToken: async () => {
      if (!stored.refresh_token) return stored.access_token;
      const refresher = session.refresher(entry.id, profile);
      const current = await session.manager.getToken({
        provider: entry.id,
        profile,
        minTtlSeconds: 0,
        refresher,
      });
      return current.access_token;
    },
  });
}
