// `oauthx exec <provider>... -- <command> [args...]`: runs a command with fresh tokens in its
// environment, under each provider's `env` names (github: GH_TOKEN and GITHUB_TOKEN; otherwise
// <ID>_ACCESS_TOKEN). The child never sees oauthx's own secrets (platform/child-env.ts), gets
// OAUTHX_EXEC (the providers, comma-separated), and its exit status becomes ours.
//
// Nested exec: an `oauthx exec` inside the child is an ordinary exec. It does not inherit the
// identity, passphrase or seeded refresh tokens (those were removed), so it works with the
// identity file on a workstation; in CI pass every provider to the outer exec instead.

import type { Context } from "../../core/context.ts";
import { maskForGitHubActions } from "../../core/github-actions.ts";
import { DEFAULT_PROFILE, openSession } from "../../core/session.ts";
import { OauthxError } from "../../errors.ts";
import { scrubbedEnv } from "../../platform/child-env.ts";
import { tokenEnvNames } from "../../providers/env-names.ts";
import type { TokenEntry } from "../../store/document.ts";
import { defineCommand } from "../command.ts";
import { parseDuration } from "../duration.ts";
import { runChild } from "./child-process.ts";
import { warnIfMinTtlExceedsLifetime } from "./min-ttl.ts";

/** Long enough for most commands to finish with the token they were given. */
export const DEFAULT_EXEC_MIN_TTL_SECONDS = 5 * 60;

export const command = defineCommand({
  positionals: [{ name: "provider", kind: "provider", repeat: true }],
  passthrough: true,
  flags: {
    profile: { type: "string", value: "NAME", help: "Profile for every provider (default: default)" },
    "min-ttl": {
      type: "string",
      value: "DURATION",
      help: "Tokens stay valid at least this long (default 5m)",
    },
    serve: { type: "boolean", help: "Serve fresh tokens to the child on 127.0.0.1 (OAUTHX_SERVE_URL)" },
    "token-file": {
      type: "boolean",
      help: "Keep the token in a 0600 file, renewed, removed at exit (BEARER_TOKEN_FILE)",
    },
  },
  examples: [
    "oauthx exec github -- gh api user",
    "oauthx exec github gitlab -- ./release.sh",
    'oauthx exec google --serve -- sh -c \'curl -H "Authorization: Bearer $OAUTHX_SERVE_SECRET" "$OAUTHX_SERVE_URL/google"\'',
  ],
  async run(ctx, { flags, positionals, rest }) {
    const [requested] = positionals;
    const providers = [...new Set(requested)];
    const profile = flags.profile ?? DEFAULT_PROFILE;
    const minTtlSeconds =
      flags["min-ttl"] === undefined
        ? DEFAULT_EXEC_MIN_TTL_SECONDS
        : parseDuration(flags["min-ttl"], "--min-ttl");
    const fresh = await freshTokenSources(ctx, providers, profile, minTtlSeconds);

    const env = scrubbedEnv(ctx.env);
    env.OAUTHX_EXEC = providers.join(",");
    const tokens = new Map<string, TokenEntry>();
    for (const provider of providers) {
      const token = await fresh.get(provider)!();
      maskForGitHubActions(ctx, token.access_token);
      if (flags["min-ttl"] !== undefined) warnIfMinTtlExceedsLifetime(ctx, provider, minTtlSeconds, token);
      tokens.set(provider, token);
      for (const name of fresh.envNames(provider)) env[name] = token.access_token;
    }

    const cleanups: (() => Promise<void> | void)[] = [];
    try {
      if (flags.serve) {
        const { startCredentialServer } = await import("./credential-server.ts");
        const server = await startCredentialServer(providers, async (provider) => {
          const token = await fresh.get(provider)!();
          maskForGitHubActions(ctx, token.access_token); // before the child can print it
          return token;
        });
        cleanups.push(() => server.close());
        env.OAUTHX_SERVE_URL = server.url;
        env.OAUTHX_SERVE_SECRET = server.secret;
      }
      if (flags["token-file"]) {
        const { keepTokenFiles } = await import("./token-file-renewal.ts");
        const kept = keepTokenFiles(ctx, providers, tokens, fresh.get.bind(fresh), minTtlSeconds);
        cleanups.push(() => kept.stop());
        Object.assign(env, kept.env);
      }
      const [program, ...args] = rest as [string, ...string[]];
      const outcome = await runChild(program, args, { env, atTerminal: () => ctx.interactive });
      if (outcome.kind === "exited") return outcome.status;
      if (outcome.kind === "not-found") {
        ctx.stderr.write(`oauthx exec: command not found: ${program}\n`);
        return 127;
      }
      if (outcome.kind === "not-executable") {
        ctx.stderr.write(`oauthx exec: permission denied (not executable): ${program}\n`);
        return 126;
      }
      throw new OauthxError("INTERNAL", `could not start ${program} (${outcome.code})`);
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup();
    }
  },
});

interface FreshTokenSources {
  get(provider: string): (() => Promise<TokenEntry>) | undefined;
  envNames(provider: string): readonly string[];
}

/** One token manager per provider: each may come from the store or from a seeded CI token. */
async function freshTokenSources(
  ctx: Context,
  providers: string[],
  profile: string,
  minTtlSeconds: number,
): Promise<FreshTokenSources> {
  const sources = new Map<string, { get: () => Promise<TokenEntry>; env: readonly string[] }>();
  for (const provider of providers) {
    const session = await openSession(ctx, { provider, profile });
    const entry = (await session.registry()).get(provider);
    const refresher = session.refresher(provider, profile);
    sources.set(provider, {
      get: () => session.manager.getToken({ provider, profile, minTtlSeconds, refresher }),
      env: tokenEnvNames(provider, entry.definition.env),
    });
  }
  return {
    get: (provider) => sources.get(provider)?.get,
    envNames: (provider) => sources.get(provider)?.env ?? [],
  };
}
