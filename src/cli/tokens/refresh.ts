// `oauthx refresh <provider>`: refresh now, under the store lock, whatever the token's expiry.

import { DEFAULT_PROFILE, openSession } from "../../core/session.ts";
import { defineCommand } from "../command.ts";
import { relativeTime } from "../output.ts";

export const command = defineCommand({
  positionals: [{ name: "provider", kind: "provider" }],
  flags: {
    profile: { type: "string", value: "NAME", help: "Profile (default: default)" },
    json: { type: "boolean", help: "Print the new expiry as JSON" },
  },
  async run(ctx, { flags, positionals }) {
    const [provider] = positionals;
    const profile = flags.profile ?? DEFAULT_PROFILE;
    const session = await openSession(ctx, { provider, profile });
    const token = await session.manager.getToken({
      provider,
      profile,
      force: true,
      refresher: session.refresher(provider, profile),
    });
    const expires = token.expires_at === undefined ? undefined : token.expires_at - ctx.now() / 1000;
    if (flags.json) {
      ctx.stdout.write(
        `${JSON.stringify({ provider, profile, refreshed: true, expires_in: expires === undefined ? null : Math.round(expires) })}\n`,
      );
    } else {
      ctx.stderr.write(
        `refreshed ${provider} (${profile}); ${expires === undefined ? "no expiry given" : `expires ${relativeTime(expires)}`}\n`,
      );
    }
    return 0;
  },
});
