// The providers a command can use: the generated built-ins, with the user's own providers file
// (`$OAUTHX_HOME/providers.yaml`, same schema) merged over them. An entry whose id is a built-in's
// overrides just the fields it names (point `github` at GitHub Enterprise or at a test server); a
// new id adds a provider.
//
// Speed: built-ins are plain generated data (no YAML, no validation at run time). The YAML parser
// and valibot are imported only when a providers file exists.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { OauthxError } from "../errors.ts";
import { builtinProviders } from "./generated/index.ts";
import type { BuiltinProvider } from "./schema.ts";

export type ProviderSource = "builtin" | "user";

export interface ProviderEntry {
  id: string;
  /** `user` when the user's file defines the provider, `builtin` otherwise (even when overridden). */
  source: ProviderSource;
  /** Top-level fields the user's file sets over a built-in. */
  overrides: string[];
  definition: BuiltinProvider;
}

export const USER_PROVIDERS_FILE = "providers.yaml";

export class Registry {
  readonly #entries: Map<string, ProviderEntry>;
  readonly userFile: string | undefined;

  constructor(entries: ProviderEntry[], userFile?: string) {
    this.#entries = new Map(entries.map((entry) => [entry.id, entry]));
    this.userFile = userFile;
  }

  list(): ProviderEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  ids(): string[] {
    return this.list().map((entry) => entry.id);
  }

  get(id: string): ProviderEntry {
    const entry = this.#entries.get(id);
    if (entry) return entry;
    throw new OauthxError("UNKNOWN_PROVIDER", `unknown provider "${id}"`, {
      remedy: `run \`oauthx providers\` to list them, or add "${id}" to ${this.userFile ?? USER_PROVIDERS_FILE}`,
    });
  }
}

function builtinEntries(): ProviderEntry[] {
  return Object.entries(builtinProviders).map(([id, definition]) => ({
    id,
    source: "builtin",
    overrides: [],
    definition: definition as BuiltinProvider,
  }));
}

/** Loads the registry for a home directory; reads and validates the user's file only if present. */
export async function loadRegistry(home: string): Promise<Registry> {
  const userFile = join(home, USER_PROVIDERS_FILE);
  if (!existsSync(userFile)) return new Registry(builtinEntries(), userFile);
  const { mergeUserProviders } = await import("./user-providers.ts");
  const text = readFileSync(userFile, "utf8");
  return new Registry(mergeUserProviders(builtinEntries(), text, userFile), userFile);
}
