// `oauthx export <provider> --refresh-token`: prints the refresh token of this machine's login. The
// flag is required so nobody prints a long-lived secret by accident. For CI, `oauthx seed` is the
// way (seed.ts): an exported token is shared with this machine's login, and with a provider that
// rotates, whichever side refreshes second presents a spent token (RFC 9700 §4.14.2) — so export
// warns about exactly that.

import { maskForGitHubActions } from "../../core/github-actions.ts";
import { DEFAULT_PROFILE, openSession } from "../../core/session.ts";
import { loginRemedy } from "../../core/token-manager.ts";
import { OauthxError, severityLabel } from "../../errors.ts";
import { oauthxVar } from "../../providers/env-names.ts";
import { defineCommand } from "../command.ts";

export const command = defineCommand({
  positionals: [{ name: "provider", kind: "provider" }],
  flags: {
    profile: { type: "string", value: "NAME", help: "Profile (default: default)" },
    "refresh-token": { type: "boolean", help: "Print the refresh token (required: says what you export)" },
  },
  description: "To seed a CI secret, use `oauthx seed <provider>`: a login of CI's own.",
  examples: ["oauthx export google --refresh-token > google.refresh-token"],
  async run(ctx, { flags, positionals }) {
    const [provider] = positionals;
    const profile = flags.profile ?? DEFAULT_PROFILE;
    if (!flags["refresh-token"]) {
      throw new OauthxError("USAGE", "say what to export: --refresh-token");
    }
    const session = await openSession(ctx, { profile });
    const entry = (await session.registry()).get(provider);
    const token = await session.manager.peek(provider, profile);
    if (!token.refresh_token) {
      throw new OauthxError("AUTH_REQUIRED", `the ${provider} login has no refresh token to export`, {
        remedy: `${loginRemedy(provider, profile)} with the scopes or settings that issue a refresh token (oauthx providers show ${provider})`,
      });
    }
    // docs/ci.md "Masking": every refresh token is masked under GitHub Actions, this one too.
    maskForGitHubActions(ctx, token.refresh_token);
    // Remembered before it is printed, so a refused refresh later can name the likely cause.
    const { withEntry } = await import("../../store/document.ts");
    await session.store.update((current) => {
      const entry = current.profiles[provider]?.[profile];
      if (!entry || entry.refresh_token !== token.refresh_token) return current;
      return withEntry(current, provider, profile, { ...entry, exported_at: Math.floor(ctx.now() / 1000) });
    });
    ctx.stdout.write(`${token.refresh_token}\n`);
    // A provider of the user's own file may rotate whatever its entry says: only the catalogue's
    // `rotates: false` is known to hold.
    if (entry.definition.refresh.rotates || entry.source === "user") {
      ctx.stderr.write(
        `${severityLabel("warning", ctx.color)} ${entry.definition.name} ${entry.definition.refresh.rotates ? "rotates" : "may rotate"} refresh tokens: this machine's login and the exported token are one grant; whichever refreshes second is refused, and reuse detection may revoke the grant for both.\n` +
          `  → do not use this login here any more; to seed CI, give it a login of its own: oauthx seed ${provider}\n`,
      );
    } else if (ctx.interactive) {
      ctx.stderr.write(
        `To seed CI, prefer a login of its own: oauthx seed ${provider} | gh secret set ${oauthxVar(provider, "REFRESH_TOKEN")}\n`,
      );
    }
    return 0;
  },
});
