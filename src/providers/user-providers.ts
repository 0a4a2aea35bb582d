// The user's providers file, parsed and merged over the built-ins (merge-providers.ts).

import { parseYaml } from "./load-yaml.ts";
import { mergeParsedProviders } from "./merge-providers.ts";
import type { ProviderEntry } from "./registry.ts";

export function mergeUserProviders(builtins: ProviderEntry[], text: string, file: string): ProviderEntry[] {
  return mergeParsedProviders(builtins, parseYaml(text, file), file);
}
