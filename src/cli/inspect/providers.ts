// `oauthx providers [--json]`: what oauthx can log in to.
// `oauthx providers show <id> [--json]`: one provider, where its values came from, how to set it up.

import type { Context } from "../../core/context.ts";
import { OauthxError } from "../../errors.ts";
import { tokenEnvNames } from "../../providers/env-names.ts";
import { loadRegistry, type ProviderEntry } from "../../providers/registry.ts";
import { defineCommand } from "../command.ts";
import { table } from "../output.ts";
import { providerSources, showText } from "./providers-show.ts";

export const command = defineCommand({
  positionals: [
    { name: "show", kind: "words", words: ["show"], optional: true },
    { name: "provider", kind: "provider", optional: true },
  ],
  flags: {
    json: { type: "boolean", help: "Print JSON on stdout" },
  },
  examples: ["oauthx providers", "oauthx providers --json", "oauthx providers show github"],
  async run(ctx, { flags, positionals }) {
    const registry = await loadRegistry(ctx.home, { env: ctx.env });
    const [show, id] = positionals;
    if (show === undefined) return list(ctx, registry.list(), flags.json === true);
    if (id === undefined) throw new OauthxError("USAGE", "missing argument: <provider>");
    return showProvider(ctx, registry.get(id), flags.json === true);
  },
});

function summary(entry: ProviderEntry) {
  const { definition } = entry;
  return {
    id: entry.id,
    name: definition.name,
    source: entry.source,
    overrides: entry.overrides,
    discovery: definition.issuer !== undefined && definition.token_endpoint === undefined,
    device_flow: definition.device_authorization_endpoint !== undefined,
    pkce: definition.pkce,
    env: tokenEnvNames(entry.id, definition.env),
    redirect_uris: redirectUris(entry),
  };
}

/**
 * The redirect URIs to register with the provider: one per fixed port, or the loopback URI without
 * a port, which RFC 8252 §7.3 says a server must accept with any port.
 */
export function redirectUris(entry: ProviderEntry): string[] {
  const { host, path, ports } = entry.definition.redirect;
  return ports ? ports.map((port) => `http://${host}:${port}${path}`) : [`http://${host}${path}`];
}

function list(ctx: Context, entries: ProviderEntry[], json: boolean): number {
  if (json) {
    ctx.stdout.write(`${JSON.stringify(entries.map(summary), null, 2)}\n`);
    return 0;
  }
  const rows = entries.map((entry) => [
    entry.id,
    entry.definition.name,
    entry.source + (entry.overrides.length > 0 ? " (overridden)" : ""),
    tokenEnvNames(entry.id, entry.definition.env).join(","),
  ]);
  ctx.stdout.write(table([["ID", "NAME", "SOURCE", "ENV"], ...rows]));
  return 0;
}

function showProvider(ctx: Context, entry: ProviderEntry, json: boolean): number {
  if (json) {
    const { client_id, client_secret, settings } = providerSources(ctx, entry);
    const sourced = { client_id, client_secret, settings };
    ctx.stdout.write(
      `${JSON.stringify({ ...summary(entry), ...sourced, definition: entry.definition }, null, 2)}\n`,
    );
    return 0;
  }
  ctx.stdout.write(showText(ctx, entry, redirectUris(entry)));
  return 0;
}
