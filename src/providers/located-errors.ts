// Problems in a providers file, located: valibot issues turned into `file:line:col: provider "x",
// field y: message`. The positions come from a parse (ParsedYaml.locate); this module itself needs
// no YAML parser, so a providers file whose parse is cached (parsed-cache.ts) is validated without
// loading one.

import * as v from "valibot";
import { OauthxError } from "../errors.ts";
import { closest } from "../suggest.ts";

export interface YamlProblem {
  line: number;
  column: number;
  path: string[];
  message: string;
}

export interface ParsedYaml {
  /** The plain data, not yet validated. */
  data: unknown;
  /** Maps a key path to a position, for errors found after parsing (e.g. by validation). */
  locate(path: readonly (string | number)[]): { line: number; column: number };
}

/** Validates with a valibot schema, turning every issue into a located problem. */
export function validate<TSchema extends v.GenericSchema>(
  schema: TSchema,
  parsed: ParsedYaml,
  file: string,
  data: unknown = parsed.data,
  basePath: (string | number)[] = [],
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, data);
  if (result.success) return result.output;
  const problems = result.issues.map((issue): YamlProblem => {
    const keys = (issue.path ?? []).map((item) => item.key as string | number);
    const path = [...basePath, ...keys];
    return { ...parsed.locate(path), path: path.map(String), message: describe(schema, keys, issue) };
  });
  throw configError(file, problems);
}

function describe(schema: v.GenericSchema, keys: (string | number)[], issue: v.BaseIssue<unknown>): string {
  if (issue.kind === "schema" && issue.received === "undefined") return "is missing (it is required)";
  // Unknown keys in strict objects are the commonest typo: say which key it might have meant.
  if (
    issue.kind === "schema" &&
    issue.type === "strict_object" &&
    issue.expected === "never" &&
    keys.length > 0
  ) {
    const guess = closest(String(keys.at(-1)), knownFields(schema, keys.slice(0, -1)));
    return `unknown field${guess ? `; did you mean ${guess}?` : ""} (fields: oauthx help providers-file)`;
  }
  if (issue.kind === "schema") return wrongType(issue, keys.at(-1)) ?? issue.message;
  return issue.message;
}

/** What YAML made of a value, in the words of the file: a list, a mapping, text, a number. */
function yamlKind(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "empty";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `"${value}"`;
  return String(value);
}

/**
 * A value of the wrong type, said as the fix (`is a list: scopes: [repo]`) rather than in valibot's
 * words ("Expected Array but received …"). The example is written only for a named field and a
 * value that reads back as itself; a value is shown as YAML made it, which the file already holds.
 */
function wrongType(issue: v.BaseIssue<unknown>, key: string | number | undefined): string | undefined {
  const { input } = issue;
  const scalar = typeof input === "string" || typeof input === "number" || typeof input === "boolean";
  const example = (value: string) => (typeof key === "string" ? `: ${key}: ${value}` : "");
  switch (issue.type) {
    case "array":
      return scalar ? `is a list${example(`[${String(input)}]`)}` : `is a list, not ${yamlKind(input)}`;
    case "string":
      return scalar ? `is text${example(`"${String(input)}"`)}` : `is text, not ${yamlKind(input)}`;
    case "boolean":
      return `is true or false, not ${yamlKind(input)}`;
    case "number":
      return `is a number, not ${yamlKind(input)}`;
    case "object":
    case "strict_object":
    case "loose_object":
    case "record":
      return `is a mapping (its fields on the lines below, indented), not ${yamlKind(input)}`;
    case "picklist":
      return `is one of ${(issue.expected ?? "").replace(/^\(|\)$/g, "").replaceAll(" | ", ", ")}, not ${yamlKind(input)}`;
    default:
      return undefined;
  }
}

/** The field names an object schema allows at `path` (through optional, pipe and record wrappers). */
function knownFields(schema: v.GenericSchema, path: (string | number)[]): string[] {
  let current: unknown = schema;
  for (const key of [...path, undefined]) {
    // Unwrap until an object or a record is reached.
    for (;;) {
      const node = current as { wrapped?: unknown; pipe?: unknown[]; type?: string };
      if (node.wrapped !== undefined) current = node.wrapped;
      else if (node.type !== undefined && Array.isArray(node.pipe) && node.pipe[0] !== current)
        current = node.pipe[0];
      else break;
    }
    const node = current as { entries?: Record<string, unknown>; value?: unknown };
    if (key === undefined) return Object.keys(node.entries ?? {});
    current = node.entries ? node.entries[key] : node.value;
    if (current === undefined) return [];
  }
  return [];
}

export function configError(file: string, problems: YamlProblem[]): OauthxError {
  const lines = problems.map(formatProblem(file));
  return new OauthxError("CONFIG_INVALID", lines.join("\n"), {
    remedy: `fix ${file} and run the command again`,
  });
}

/** `file:line:col: provider "github", field redirect.path: must start with /` */
export function formatProblem(file: string) {
  return (problem: YamlProblem): string => {
    const [top, id, ...field] = problem.path;
    const where =
      top === "providers" && id !== undefined
        ? ` provider "${id}"${field.length > 0 ? `, field ${field.join(".")}` : ""}:`
        : problem.path.length > 0
          ? ` ${problem.path.join(".")}:`
          : "";
    return `${file}:${problem.line}:${problem.column}:${where} ${problem.message}`;
  };
}
