// Problems in a providers file, located: valibot issues turned into `file:line:col: provider "x",
// field y: message`. The positions come from a parse (ParsedYaml.locate); this module itself needs
// no YAML parser, so a providers file whose parse is cached (parsed-cache.ts) is validated without
// loading one.

import * as v from "valibot";
import { OauthxError } from "../errors.ts";

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
    const path = [...basePath, ...(issue.path ?? []).map((item) => item.key as string | number)];
    return { ...parsed.locate(path), path: path.map(String), message: describe(issue) };
  });
  throw configError(file, problems);
}

function describe(issue: v.BaseIssue<unknown>): string {
  // Unknown keys in strict objects are the commonest typo: say which key.
  if (issue.kind === "schema" && issue.type === "strict_object" && issue.path) {
    return `unknown field (check its spelling against README "Providers")`;
  }
  if (issue.kind === "schema" && issue.received === "undefined") return "is required";
  return issue.message;
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
