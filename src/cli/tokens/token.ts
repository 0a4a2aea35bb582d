// `oauthx token <provider>`: a fresh access token on stdout. Never starts an interactive login:
// with no usable credentials it exits AUTH_REQUIRED with the login command to run.

import { maskForGitHubActions } from "../../core/github-actions.ts";
import { DEFAULT_PROFILE, openSession } from "../../core/session.ts";
import { defineCommand } from "../command.ts";
import { parseDuration } from "../duration.ts";
import { printTokenEntry } from "../output.ts";
import { warnIfMinTtlExceedsLifetime } from "./min-ttl.ts";

export const command = defineCommand({
  positionals: [{ name: "provider", kind: "provider" }],
  flags: {
    profile: { type: "string", value: "NAME", help: "Profile (default: default)" },
    "min-ttl": { type: "string", value: "DURATION", help: "Refresh unless valid this long (default 60s)" },
    json: { type: "boolean", help: "Print type, expiry, scopes, provider and profile as JSON" },
  },
  examples: ["oauthx token github", 'curl -H "Authorization: Bearer $(oauthx token github)" …'],
  async run(ctx, { flags, positionals }) {
    const [provider] = positionals;
    const profile = flags.profile ?? DEFAULT_PROFILE;
    const minTtl = flags["min-ttl"] === undefined ? undefined : parseDuration(flags["min-ttl"], "--min-ttl");
    const session = await openSession(ctx, { provider, profile });
    const token = await session.manager.getToken({
      provider,
      profile,
      ...(minTtl === undefined ? {} : { minTtlSeconds: minTtl }),
      refresher: session.refresher(provider, profile),
    });
    maskForGitHubActions(ctx, token.access_token);
    warnIfMinTtlExceedsLifetime(ctx, provider, minTtl, token);
    printTokenEntry(ctx, { provider, profile, token, json: flags.json === true });
    return 0;
  },
});
