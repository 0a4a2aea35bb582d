// `oauthx export <provider> --refresh-token`: prints the refresh token, to seed a CI secret
// (OAUTHX_<ID>_REFRESH_TOKEN). The flag is required so nobody prints a long-lived secret by accident.

import { maskForGitHubActions } from "../core/github-actions.ts";
import { DEFAULT_PROFILE, openSession } from "../core/session.ts";
import { loginRemedy } from "../core/token-manager.ts";
import { OauthxError } from "../errors.ts";
import { oauthxVar } from "../providers/env-names.ts";
import { defineCommand } from "./command.ts";

export const command = defineCommand({
  positionals: [{ name: "provider", kind: "provider" }],
  flags: {
    profile: { type: "string", value: "NAME", help: "Profile (default: default)" },
    "refresh-token": { type: "boolean", help: "Print the refresh token (required: says what you export)" },
  },
  examples: ["oauthx export github --refresh-token | gh secret set OAUTHX_GITHUB_REFRESH_TOKEN"],
  async run(ctx, { flags, positionals }) {
    const [provider] = positionals;
    const profile = flags.profile ?? DEFAULT_PROFILE;
    if (!flags["refresh-token"]) {
      throw new OauthxError("USAGE", "say what to export: --refresh-token");
    }
    const session = await openSession(ctx, { profile });
    (await session.registry()).get(provider);
    const token = await session.manager.peek(provider, profile);
    if (!token.refresh_token) {
      throw new OauthxError("AUTH_REQUIRED", `the ${provider} login has no refresh token to export`, {
        remedy: `${loginRemedy(provider, profile)} with the scopes or settings that issue a refresh token (oauthx providers show ${provider})`,
      });
    }
    // docs/ci.md "Masking": every refresh token is masked under GitHub Actions, this one too.
    maskForGitHubActions(ctx, token.refresh_token);
    ctx.stdout.write(`${token.refresh_token}\n`);
    if (ctx.interactive) {
      ctx.stderr.write(
        `Store it as the CI secret ${oauthxVar(provider, "REFRESH_TOKEN")}. If ${provider} rotates refresh tokens, this one stops working once oauthx here refreshes.\n`,
      );
    }
    return 0;
  },
});
