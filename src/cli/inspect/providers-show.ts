// `oauthx providers show <id>`: one provider as a login would use it, each value with where it
// comes from — built in, your providers file, the environment, a default — and what is missing:
// the client id, a client secret the provider needs, a `--set` value with no default. Reads no
// store: a login's remembered client id and `--set` values win over these for that login, and
// `login` says so.

import type { Context } from "../../core/context.ts";
import { oauthxVar, settingVar, tokenEnvNames } from "../../providers/env-names.ts";
import type { ProviderEntry } from "../../providers/registry.ts";
import { templateNames } from "../../providers/schema.ts";

export interface Sourced {
  value: string | null;
  /** "built-in", "your providers file", "environment OAUTHX_…", "default", or "not set". */
  source: string;
}

/** Where the provider's client id, secret and `--set` values come from in this environment. */
export function providerSources(ctx: Context, entry: ProviderEntry) {
  const { id, definition } = entry;
  const fromFile = (field: string) =>
    entry.source === "user" || entry.overrides.includes(field) ? "your providers file" : "built-in";
  const envClientId = ctx.env[oauthxVar(id, "CLIENT_ID")];
  const clientId: Sourced = envClientId
    ? { value: envClientId, source: `environment ${oauthxVar(id, "CLIENT_ID")}` }
    : definition.client_id
      ? { value: definition.client_id, source: fromFile("client_id") }
      : { value: null, source: "not set" };
  const secretVar = oauthxVar(id, "CLIENT_SECRET");
  const secretNeeded = definition.client_secret_required || definition.client_auth !== "none";
  const settings: Record<string, Sourced> = {};
  for (const [name, spec] of Object.entries(definition.template_vars)) {
    const variable = settingVar(id, name);
    const fromEnv = ctx.env[variable];
    settings[name] = fromEnv
      ? { value: fromEnv, source: `environment ${variable}` }
      : spec.default !== undefined
        ? { value: spec.default, source: "default" }
        : { value: null, source: "not set" };
  }
  return {
    fromFile,
    client_id: clientId,
    client_secret: { needed: secretNeeded, variable: secretVar, set: Boolean(ctx.env[secretVar]) },
    settings,
  };
}

/**
 * An endpoint as a login would use it: its `{placeholders}` filled when every one has a value here,
 * a value that is no default named with its source (`{domain} from environment OAUTHX_OKTA_DOMAIN`);
 * otherwise as written, the missing `--set` values listed below it.
 */
function filled(value: string, settings: Record<string, Sourced>, from: string): string {
  const names = templateNames(value);
  if (names.length === 0 || names.some((name) => settings[name]?.value == null)) return `${value}${from}`;
  const text = value.replace(/\{([a-z][a-z0-9_]*)\}/g, (_, name: string) => settings[name]?.value as string);
  // Defaults are listed below with the settings; a value from elsewhere is named here.
  const sources = [...new Set(names)]
    .filter((name) => settings[name]?.source !== "default")
    .map((name) => `{${name}} from ${settings[name]?.source}`);
  return `${text}${from.slice(0, -1)}; ${sources.join(", ") || "with its defaults"})`;
}

/** The text of `providers show`. */
export function showText(ctx: Context, entry: ProviderEntry, redirectUris: string[]): string {
  const { id, definition } = entry;
  const sources = providerSources(ctx, entry);
  const from = (field: string) => `  (${sources.fromFile(field)})`;
  const overridden =
    entry.overrides.length > 0 ? `, with your providers file's ${entry.overrides.join(", ")}` : "";
  const lines = [
    `${definition.name} (${id}): ${entry.source === "user" ? "your providers file" : `built-in${overridden}`}`,
  ];
  for (const field of [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "device_authorization_endpoint",
    "revocation_endpoint",
    "userinfo_endpoint",
    "client_auth",
    "pkce",
  ] as const) {
    const value = definition[field];
    if (value !== undefined) lines.push(`  ${field}: ${filled(value, sources.settings, from(field))}`);
  }
  lines.push(`  scopes: ${definition.scopes.join(" ") || "(none)"}${from("scopes")}`);
  const anyPort = definition.redirect.ports === undefined;
  lines.push(
    `  redirect: ${redirectUris.join(", ")}${anyPort ? " (any port: register it without one)" : " (register exactly this)"}${from("redirect")}`,
  );
  lines.push(`  env: ${tokenEnvNames(id, definition.env).join(", ")}${from("env")}`);
  const clientId = sources.client_id;
  lines.push(
    clientId.value === null
      ? `  client_id: not set: pass --client-id to oauthx login, or set ${oauthxVar(id, "CLIENT_ID")}`
      : `  client_id: ${clientId.value}  (${clientId.source})`,
  );
  const secret = sources.client_secret;
  lines.push(
    !secret.needed
      ? "  client secret: not needed"
      : secret.set
        ? `  client secret: needed; given  (environment ${secret.variable})`
        : `  client secret: needed; not set: set ${secret.variable}, or keep it with oauthx login ${id} --client-secret-stdin`,
  );
  for (const [name, setting] of Object.entries(sources.settings)) {
    const variable = settingVar(id, name);
    lines.push(
      setting.value === null
        ? `  --set ${name}: not set: oauthx login ${id} --set ${name}=VALUE, or set ${variable}`
        : `  --set ${name}: ${setting.value}  (${setting.source})`,
    );
  }
  lines.push("  (a login also remembers the client id and --set values it was made with)");
  if (definition.setup) lines.push("", `Setup: ${definition.setup}`);
  if (definition.docs_url) lines.push(`Docs: ${definition.docs_url}`);
  return `${lines.join("\n")}\n`;
}
