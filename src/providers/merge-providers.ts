// The user's providers file (already parsed), merged over the built-ins. Validation happens twice, on purpose:
// first the user's entry alone (so an error points at the line the user wrote), then the merged
// definition (so an override cannot produce an invalid provider).

import * as v from "valibot";
import { configError, type ParsedYaml, validate } from "./located-errors.ts";
import type { ProviderEntry } from "./registry.ts";
import { type BuiltinProvider, providerSchema } from "./schema.ts";

const userFileSchema = v.strictObject({
  providers: v.record(
    v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]*$/, "provider ids are lower-case letters, digits and '-'")),
    v.record(v.string(), v.unknown()),
  ),
});

const overrideSchema = v.partial(providerSchema);

/**
 * The file and its `providers` must be mappings. valibot's record takes a list as a record of "0",
 * "1", …, which made `providers: [a, b]` read as providers named "0" and "1".
 */
function checkShape(data: unknown, parsed: ParsedYaml, file: string): unknown {
  const mapping = (value: unknown) => value !== null && typeof value === "object" && !Array.isArray(value);
  const layout = "each id on its own line (acme:), its fields indented under it";
  if (!mapping(data)) {
    const message = `the file must be a mapping with a providers key: providers:, then ${layout}`;
    throw configError(file, [{ ...parsed.locate([]), path: [], message }]);
  }
  const providers = (data as { providers?: unknown }).providers;
  // `providers:` with nothing under it yet: no providers.
  if (providers === null) return { ...(data as object), providers: {} };
  if (providers !== undefined && !mapping(providers)) {
    const what = Array.isArray(providers) ? "a list" : `a ${typeof providers}`;
    const message = `providers must be a mapping of provider ids to their fields, not ${what}: ${layout}`;
    throw configError(file, [{ ...parsed.locate(["providers"]), path: [], message }]);
  }
  return data;
}

/** Merges the parsed user file over the built-ins, validating as described above. */
export function mergeParsedProviders(
  builtins: ProviderEntry[],
  parsed: ParsedYaml,
  file: string,
): ProviderEntry[] {
  // An empty file is a valid (empty) providers file.
  const data = checkShape(parsed.data ?? { providers: {} }, parsed, file);
  const { providers } = validate(userFileSchema, parsed, file, data);
  const byId = new Map(builtins.map((entry) => [entry.id, entry]));

  for (const [id, raw] of Object.entries(providers)) {
    const path = ["providers", id];
    const builtin = byId.get(id);
    if (!builtin) {
      const definition = validate(providerSchema, parsed, file, raw, path);
      byId.set(id, { id, source: "user", overrides: [], definition: definition as BuiltinProvider });
      continue;
    }
    const override = validate(overrideSchema, parsed, file, raw, path);
    const merged = mergeDefinition(builtin.definition, override as Record<string, unknown>);
    const definition = validate(providerSchema, parsed, file, merged, path);
    byId.set(id, {
      id,
      source: "builtin",
      overrides: Object.keys(raw).sort(),
      definition: definition as BuiltinProvider,
    });
  }
  return [...byId.values()];
}

/** Top-level fields replace; nested objects (redirect, headers, ...) merge one level deep. */
function mergeDefinition(base: BuiltinProvider, override: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
