// `oauthx seed <provider>`: a login of its own for CI (docs/ci.md "Seeding"). The same flows and
// flags as `login` (login.ts authorize()), but the refresh token is printed on stdout — for
// `| gh secret set OAUTHX_<ID>_REFRESH_TOKEN` — and kept nowhere on this machine, so the CI secret
// holds the only copy of its grant.
//
// Why not `export --refresh-token`: with rotating refresh tokens (RFC 9700 §4.14.2) a grant has
// one current refresh token. A workstation and a CI job that share one grant each refresh it, one of
// them presents a spent token, and a server with reuse detection revokes the grant for both. A
// seed is a grant of its own: CI refreshes it, the workstation never sees it.

import { loginEntry } from "../../core/login-record.ts";
import { revokeLogin } from "../../core/revocation.ts";
import { OauthxError } from "../../errors.ts";
import { oauthxVar } from "../../providers/env-names.ts";
import { defineCommand } from "../command.ts";
import { authorize, loginDescription, loginFlags } from "./login.ts";

const { json: _json, ...seedFlags } = loginFlags;

export const command = defineCommand({
  positionals: [{ name: "provider", kind: "provider", optional: true }],
  flags: {
    ...seedFlags,
    profile: {
      type: "string",
      value: "NAME",
      help: "Use the settings a login under this profile remembered (nothing is stored)",
    },
    "client-secret-stdin": {
      type: "boolean",
      help: "Read the client secret from stdin (kept nowhere: the job needs OAUTHX_<ID>_CLIENT_SECRET)",
    },
  },
  description:
    "A new login whose refresh token goes to stdout only: this machine keeps nothing, so CI holds the only copy of the grant.\n" +
    loginDescription,
  examples: [
    "oauthx seed gitlab | gh secret set OAUTHX_GITLAB_REFRESH_TOKEN",
    "oauthx seed gitlab --device | gh secret set OAUTHX_GITLAB_REFRESH_TOKEN",
  ],
  async run(ctx, { flags, positionals }) {
    const { providerId, entry, client, tokens, scopes } = await authorize(ctx, flags, positionals[0]);
    const name = entry.definition.name;
    if (!tokens.refresh_token) {
      // The access token alone is useless to CI and would stay valid at the provider with nobody
      // holding it: revoke it (RFC 7009 §2.1), best effort.
      await revokeLogin(providerId, client, issuedEntry(client, tokens, scopes, ctx)).catch(() => undefined);
      const how = entry.definition.refresh.issued;
      throw new OauthxError(
        "AUTH_REQUIRED",
        `${name} issued no refresh token, so there is nothing to seed CI with`,
        {
          remedy: how
            ? `refresh tokens: ${how} (oauthx providers show ${providerId}); seed again with the scopes or settings that issue one`
            : `seed again with the scopes or settings that issue a refresh token (oauthx providers show ${providerId})`,
        },
      );
    }
    // Not a whole line at once: on Bun that goes through console.log, which would not say that the
    // reader had gone (`oauthx seed x | gh secret sett …`, a typo: gh exits without reading).
    ctx.stdout.write(tokens.refresh_token);
    if (ctx.stdout.lost?.()) {
      // Nobody holds the refresh token: revoke the grant rather than leave it valid at the provider.
      await revokeLogin(providerId, client, issuedEntry(client, tokens, scopes, ctx)).catch(() => undefined);
      throw new OauthxError(
        "CHECK_FAILED",
        "the refresh token was not delivered: the command reading oauthx's output ended without reading it",
        {
          remedy:
            "the new grant was revoked where the provider allows it; check the command after | (it said why it ended) and seed again",
        },
      );
    }
    ctx.stdout.write("\n");
    // The job needs the client too; a secret especially is kept nowhere by seed.
    const clientVars = client.client.client_secret
      ? `; the job also needs ${oauthxVar(providerId, "CLIENT_SECRET")} (and the client id, unless its providers file has it)`
      : "";
    ctx.stderr.write(
      `Seeded a new ${name} login for CI: store it as the secret ${oauthxVar(providerId, "REFRESH_TOKEN")}${clientVars}. No token was kept on this machine.\n`,
    );
    return 0;
  },
});

/** What a seed issued, as the entry revokeLogin takes (nothing of it is stored). */
function issuedEntry(
  client: Parameters<typeof loginEntry>[0]["client"],
  tokens: Parameters<typeof loginEntry>[0]["tokens"],
  scopes: Parameters<typeof loginEntry>[0]["scopes"],
  ctx: { now(): number },
) {
  return loginEntry({
    client,
    tokens,
    scopes,
    nowMs: ctx.now(),
    account: { label: undefined, claims: undefined },
    clientSecret: undefined,
  });
}
