// Adds one provider entry to the user's providers file ($OAUTHX_HOME/providers.yaml), for
// `oauthx login --issuer`. The file is the user's, so what it holds is kept:
//   - usually the new entry is appended as text after the last one, and every existing byte stays
//     as it was (comments, spacing, quoting);
//   - when `providers` is not the file's last block (or is empty, or written in flow style), the
//     edit goes through yaml's Document API, which keeps entries, comments and order but may
//     normalise spacing.
// Either way the result is parsed back and must hold exactly the old data plus the new entry
// before it is written. The entry is validated with the provider schema first; an existing id is
// never replaced. The file is replaced atomically (temp file in the same directory, fsync, rename)
// with mode 0600, so a failure leaves the old file as it was; and the read-modify-write holds a
// lock (`providers.yaml.lock`, the store's kind), so two logins adding providers at once both land.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import * as v from "valibot";
import { Document, isMap, isScalar, parseDocument, YAMLMap } from "yaml";
import { OauthxError } from "../errors.ts";
import { writeFileAtomic } from "../store/atomic-file.ts";
import { acquireLock } from "../store/lock.ts";
import { parseYaml } from "./load-yaml.ts";
import { type ProviderInput, providerSchema } from "./schema.ts";

const PROVIDER_ID = /^[a-z][a-z0-9-]*$/;

export interface AddedProvider {
  file: string;
  id: string;
  /** True when the file did not exist before. */
  created: boolean;
}

/**
 * Appends `providers.<id>` to `file` (created if missing), with `comment` above it. Throws
 * CONFIG_INVALID when the file cannot be read as a providers file, when the id exists already, or
 * when the entry is not a valid provider.
 */
export async function addUserProvider(
  file: string,
  id: string,
  entry: ProviderInput,
  comment?: string,
): Promise<AddedProvider> {
  if (!PROVIDER_ID.test(id)) {
    throw new OauthxError("USAGE", `"${id}" is not a provider id: use lower-case letters, digits and '-'`);
  }
  const checked = v.safeParse(providerSchema, entry);
  if (!checked.success) {
    const issue = checked.issues[0];
    throw new OauthxError(
      "CONFIG_INVALID",
      `the new provider "${id}" is invalid: ${v.getDotPath(issue) ?? "entry"}: ${issue.message}`,
    );
  }

  // The first command a person runs may be this one: the home directory is created as the store does.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const lock = await acquireLock(`${file}.lock`, { timeoutMs: 10_000, guards: file });
  try {
    return await addUnderLock(file, id, entry, comment);
  } finally {
    lock.release();
  }
}

async function addUnderLock(
  file: string,
  id: string,
  entry: ProviderInput,
  comment: string | undefined,
): Promise<AddedProvider> {
  const created = !existsSync(file);
  const text = created ? "" : readFileSync(file, "utf8");
  // Syntax errors are reported with file:line:column, as every other command does.
  const before = (created ? null : parseYaml(text, file).data) ?? {};
  const invalid = (why: string) =>
    new OauthxError("CONFIG_INVALID", `${file}: ${why}`, { remedy: `fix ${file} and run the command again` });
  if (!isPlainObject(before)) throw invalid("the file must be a map with a providers key");
  const providers = before.providers ?? {};
  if (!isPlainObject(providers)) throw invalid("providers must be a map of provider ids");
  if (Object.hasOwn(providers, id)) {
    throw new OauthxError("CONFIG_INVALID", `${file} already has a provider "${id}"`, {
      remedy: `choose another id (oauthx login --issuer ... <id>), or edit or remove "${id}" in ${file}`,
    });
  }
  const expected = JSON.stringify({ ...before, providers: { ...providers, [id]: entry } });
  const holdsExpected = (candidate: string) => {
    const document = parseDocument(candidate);
    return document.errors.length === 0 && JSON.stringify(document.toJS()) === expected;
  };

  const appended = appendAsText(text, id, entry, comment);
  let output =
    appended !== undefined && holdsExpected(appended) ? appended : editDocument(text, id, entry, comment);
  if (!holdsExpected(output)) {
    throw new OauthxError("INTERNAL", `could not add "${id}" to ${file} without changing other entries`, {
      remedy: `add it by hand: oauthx providers show ${id} lists the fields`,
    });
  }
  if (!output.endsWith("\n")) output += "\n";
  await writeFileAtomic(file, new TextEncoder().encode(output), { mode: 0o600 });
  return { file, id, created };
}

/** The entry as block YAML, `id:` first, indented by `indent` spaces. */
function renderEntry(id: string, entry: ProviderInput, indent: number, comment?: string): string {
  const body = new Document({ [id]: entry }).toString({ lineWidth: 0 });
  const pad = " ".repeat(indent);
  const lines = [...(comment ? [`# ${comment}`] : []), ...body.trimEnd().split("\n")];
  return `${lines.map((line) => pad + line).join("\n")}\n`;
}

/**
 * Appends the entry after the last provider, as text, when the file ends with a non-empty block
 * `providers` map; undefined otherwise (the caller then edits the document).
 */
function appendAsText(text: string, id: string, entry: ProviderInput, comment?: string): string | undefined {
  if (text.trim() === "") return `providers:\n${renderEntry(id, entry, 2, comment)}`;
  const document = parseDocument(text);
  const root = document.contents;
  if (!isMap(root) || root.flow) return undefined;
  const last = root.items.at(-1);
  if (!last || !isScalar(last.key) || last.key.value !== "providers") return undefined;
  const providers = last.value;
  if (!isMap(providers) || providers.flow || providers.items.length === 0) return undefined;
  const firstKey = providers.items[0]?.key;
  const offset = isScalar(firstKey) ? firstKey.range?.[0] : undefined;
  if (offset === undefined) return undefined;
  const indent = offset - (text.lastIndexOf("\n", offset - 1) + 1);
  if (indent <= 0) return undefined;
  return `${text.endsWith("\n") ? text : `${text}\n`}${renderEntry(id, entry, indent, comment)}`;
}

/** The general case: a new pair in the document's providers map (created if absent). */
function editDocument(text: string, id: string, entry: ProviderInput, comment?: string): string {
  const document: Document = parseDocument(text);
  if (!isMap(document.contents)) document.contents = new YAMLMap();
  let providers = document.get("providers", true);
  if (!isMap(providers)) {
    providers = new YAMLMap();
    document.set("providers", providers);
  }
  const pair = document.createPair(id, document.createNode(entry));
  if (comment && isScalar(pair.key)) pair.key.commentBefore = ` ${comment}`;
  (providers as YAMLMap).items.push(pair);
  return document.toString({ lineWidth: 0 });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
