// The providers a command can use: the generated built-ins, with the user's own providers file
// (`$OAUTHX_HOME/providers.yaml`, same schema) merged over them. An entry whose id is a built-in's
// overrides just the fields it names (point `github` at GitHub Enterprise or at a test server); a
// new id adds a provider.
//
// Speed: built-ins are plain generated data (no YAML, no validation at run time). valibot is
// imported only when a providers file exists, and the YAML parser only when that file changed since
// it was last parsed (parsed-cache.ts).

import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { OauthxError } from "../errors.ts";
import { assertOwnerOnlyWritable } from "../store/permissions.ts";
import { closest } from "../suggest.ts";
import { holdsCiSeed } from "./env-names.ts";
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
    const guess = closest(id, this.#entries.keys());
    throw new OauthxError(
      "UNKNOWN_PROVIDER",
      `unknown provider "${id}"${guess ? `; did you mean "${guess}"?` : ""}`,
      {
        remedy: `run \`oauthx providers\` to list them, or add "${id}" to ${this.userFile ?? USER_PROVIDERS_FILE}`,
      },
    );
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

export interface LoadRegistryOptions {
  /** Write the parse memo (parsed-cache.ts) after parsing. False in CI mode, which writes nothing. */
  remember?: boolean;
  /** The environment: one that holds a CI seed (env-names.ts holdsCiSeed) never writes the memo. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Loads the registry for a home directory; reads and validates the user's file only if present. */
export async function loadRegistry(home: string, options: LoadRegistryOptions = {}): Promise<Registry> {
  const userFile = join(home, USER_PROVIDERS_FILE);
  const text = readUserFile(userFile);
  if (text === undefined) return new Registry(builtinEntries(), userFile);
  const { mergeParsedProviders } = await import("./merge-providers.ts");
  const { readParsedProviders, rememberParsedProviders } = await import("./parsed-cache.ts");

  const remembered = readParsedProviders(home, text);
  if (remembered) {
    try {
      return new Registry(
        mergeParsedProviders(builtinEntries(), { ...remembered, locate: unlocated }, userFile),
        userFile,
      );
    } catch (error) {
      // Valid when remembered, invalid now (a newer oauthx changed a built-in the file overrides):
      // parse again below, so the error can name the line.
      if (!(error instanceof NeedsPositions)) throw error;
    }
  }
  const { parseYaml } = await import("./load-yaml.ts");
  const parsed = parseYaml(text, userFile);
  const entries = mergeParsedProviders(builtinEntries(), parsed, userFile);
  if (options.remember !== false && !holdsCiSeed(options.env ?? {}))
    await rememberParsedProviders(home, text, parsed.data);
  return new Registry(entries, userFile);
}

/**
 * The user's providers file, or undefined when there is none. It can point a built-in's endpoints
 * anywhere, so it is used only when no other user can write it (checked on the open descriptor).
 */
function readUserFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    assertOwnerOnlyWritable(file, fstatSync(fd));
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

class NeedsPositions extends Error {}

/** A remembered parse has no positions: asked for one (to report a problem), start over. */
function unlocated(): never {
  throw new NeedsPositions();
}
