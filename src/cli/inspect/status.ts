// `oauthx status [provider]`: every login with its account, scopes, expiry, whether a refresh token
// is held, its state and where it comes from: the store, or in CI mode a seed in the environment
// (OAUTHX_<ID>_REFRESH_TOKEN) and the job's cache, or in federated CI mode the job's identity token
// and grant (docs/ci.md "No stored secret"). Reads only; never refreshes and never prints a
// token.

import { ciCacheEnabled, openSeededStore } from "../../core/ci-mode.ts";
import { readSeed } from "../../core/ci-seed.ts";
import type { Context } from "../../core/context.ts";
import { DEFAULT_PROFILE, openSession } from "../../core/session.ts";
import { DEFAULT_MIN_TTL_SECONDS, isFresh } from "../../core/token-manager.ts";
import { isOauthxError } from "../../errors.ts";
import { federationSignal, oauthxVar } from "../../providers/env-names.ts";
import type { Registry } from "../../providers/registry.ts";
import { getEntry, type TokenEntry } from "../../store/document.ts";
import { defineCommand } from "../command.ts";
import { relativeTime, table } from "../output.ts";

/**
 * valid: `oauthx token` hands it out as is; expiring: the next `oauthx token` refreshes it first;
 * expired: a refresh token will get a new one; needs login: nothing left to refresh with; refresh
 * refused: the server refused the refresh token, so the login ends when its token expires (shown
 * whatever the token's life left: "valid" would promise a renewal that will not come); seeded: a
 * CI seed no call of this job has used yet; federated: a federated provider no call of this job
 * has exchanged an identity token for yet.
 */
export type LoginState =
  | "valid"
  | "expiring"
  | "expired"
  | "needs login"
  | "refresh refused"
  | "seeded"
  | "federated";

export function loginState(entry: TokenEntry, nowMs: number): LoginState {
  if (entry.refresh_refused_at !== undefined) return "refresh refused";
  if (isFresh(entry, DEFAULT_MIN_TTL_SECONDS, nowMs)) return "valid";
  if (entry.access_token !== "" && (entry.expires_at ?? 0) > nowMs / 1000) return "expiring";
  return entry.refresh_token ? "expired" : "needs login";
}

interface Row {
  provider: string;
  profile: string;
  account: string | null;
  scopes: string[];
  expires_in: number | null;
  refresh_token: boolean;
  state: LoginState;
  /** "store", or the variable a CI seed comes from. */
  source: string;
  /** CI mode: whether this job's cache holds tokens from the seed (or the federation). */
  cached?: boolean;
  /** Federated CI mode: the grant the identity token is exchanged with. */
  grant?: string;
}

export const command = defineCommand({
  positionals: [{ name: "provider", kind: "provider", optional: true }],
  flags: {
    json: { type: "boolean", help: "Print JSON on stdout" },
    profile: { type: "string", value: "NAME", help: "Show only the logins of this profile" },
  },
  async run(ctx, { flags, positionals }) {
    const [only] = positionals;
    const shown = (profile: string) => flags.profile === undefined || profile === flags.profile;
    const session = await openSession(ctx);
    const registry = await session.registry();
    if (only !== undefined) registry.get(only);
    // status lists a seed, and a federated provider, under the default profile.
    const seeded = shown(DEFAULT_PROFILE)
      ? [...(await seededRows(ctx, registry, only)), ...(await federatedRows(ctx, registry, only))]
      : [];
    const document = await session.store.read();
    const rows: Row[] = [...seeded];
    for (const provider of Object.keys(document.profiles).sort()) {
      if (only !== undefined && provider !== only) continue;
      for (const profile of Object.keys(document.profiles[provider] ?? {}).sort()) {
        if (!shown(profile)) continue;
        rows.push(row(ctx, provider, profile, getEntry(document, provider, profile) as TokenEntry, "store"));
      }
    }
    if (flags.json) {
      ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      const profile = flags.profile === undefined ? "" : ` --profile ${flags.profile}`;
      ctx.stderr.write(
        `no logins${only ? ` for ${only}` : ""}${profile ? ` in profile ${flags.profile}` : ""}; run \`oauthx login ${only ?? "<provider>"}${profile}\`\n`,
      );
      return 0;
    }
    const lines = rows.map((line) => [
      line.provider,
      line.profile,
      line.account ?? "-",
      line.state,
      line.expires_in === null ? "no expiry" : relativeTime(line.expires_in),
      line.refresh_token ? "yes" : "no",
      line.scopes.join(" ") || "-",
      line.cached === undefined
        ? line.source
        : `${line.source}${line.grant ? ` ${line.grant}` : ""} (${line.cached ? "cached" : "not cached"})`,
    ]);
    ctx.stdout.write(
      table([
        ["PROVIDER", "PROFILE", "ACCOUNT", "STATE", "EXPIRES", "REFRESH", "SCOPES", "SOURCE"],
        ...lines,
      ]),
    );
    return 0;
  },
});

function row(ctx: Context, provider: string, profile: string, entry: TokenEntry, source: string): Row {
  return {
    provider,
    profile,
    account: entry.account ?? null,
    scopes: entry.scopes,
    expires_in: entry.expires_at === undefined ? null : Math.round(entry.expires_at - ctx.now() / 1000),
    refresh_token: entry.refresh_token !== undefined,
    state: loginState(entry, ctx.now()),
    source,
  };
}

/** CI mode: a row for every provider whose seed is in the environment, read from the job's cache. */
async function seededRows(ctx: Context, registry: Registry, only: string | undefined): Promise<Row[]> {
  const rows: Row[] = [];
  for (const provider of registry.ids()) {
    if (
      (only !== undefined && provider !== only) ||
      ctx.env[oauthxVar(provider, "REFRESH_TOKEN")] === undefined
    )
      continue;
    try {
      const seed = readSeed(ctx.env, provider, DEFAULT_PROFILE);
      if (seed === undefined) continue;
      const store = await openSeededStore(ctx, seed);
      const cached = ciCacheEnabled(ctx.env) ? await (store.cached?.() ?? false) : false;
      const entry = getEntry(await store.read(), provider, DEFAULT_PROFILE) as TokenEntry;
      const line = row(ctx, provider, DEFAULT_PROFILE, entry, seed.variable);
      rows.push({ ...line, ...(cached ? {} : { state: "seeded", expires_in: null }), cached });
    } catch (error) {
      if (!isOauthxError(error)) throw error;
      // One unusable seed must not hide the other logins: say what is wrong with it and go on.
      ctx.stderr.write(`${provider}: ${error.message} [${error.code}]\n`);
    }
  }
  return rows;
}

/** Federated CI mode: a row for every federated provider with an identity token source here. */
async function federatedRows(ctx: Context, registry: Registry, only: string | undefined): Promise<Row[]> {
  const rows: Row[] = [];
  for (const provider of registry.ids()) {
    const settings = registry.get(provider).definition.federation;
    if ((only !== undefined && provider !== only) || settings === undefined) continue;
    if (ctx.env[oauthxVar(provider, "REFRESH_TOKEN")] !== undefined || !federationSignal(ctx.env, provider))
      continue;
    try {
      const { detectFederation } = await import("../../core/federation/federated-mode.ts");
      const { findIdentitySource } = await import("../../core/federation/identity-source.ts");
      // No source, no row: a job without `id-token: write` has no federated provider to report.
      const source = findIdentitySource(ctx, provider);
      if (source === undefined) continue;
      const found = await detectFederation(ctx, provider, DEFAULT_PROFILE, async () => registry);
      if (found === undefined) continue;
      const cached = (await found.store.cached?.()) ?? false;
      // The GitHub request API serves every federated provider (the built-in entra and
      // google-cloud too): unnamed, one is listed once this job has used it.
      if (source.kind === "github-actions" && !cached && only === undefined) continue;
      const entry = getEntry(await found.store.read(), provider, DEFAULT_PROFILE) as TokenEntry;
      const line = row(ctx, provider, DEFAULT_PROFILE, entry, "federation");
      rows.push({
        ...line,
        refresh_token: false,
        grant: settings.grant,
        cached,
        ...(cached ? {} : { state: "federated", expires_in: null }),
      });
    } catch (error) {
      if (!isOauthxError(error)) throw error;
      ctx.stderr.write(`${provider}: ${error.message} [${error.code}]\n`);
    }
  }
  return rows;
}
