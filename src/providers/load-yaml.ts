// Reads a providers YAML file (the built-in catalogue at codegen time, the user's own file at run
// time) and validates it with the provider schema. Every problem is reported with the file, line,
// column, provider id and field path, because people edit these files by hand.
//
// Loaded lazily: `yaml` and `valibot` cost ~16 ms at start-up, so the hot path (`token`, `exec`)
// imports this module only when the user has a providers file.

import * as v from "valibot";
import { type Document, isMap, LineCounter, parseDocument, visit } from "yaml";
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

export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = document.errors[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    throw configError(file, [{ line, column: col, path: [], message: first.message.split("\n")[0] ?? "" }]);
  }
  const locate = (path: readonly (string | number)[]) => {
    // Walk down as far as the path exists: a missing field is reported at its parent.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = document.getIn(path.slice(0, depth), true) as { range?: [number, number] } | undefined;
      // For a map, point at the key rather than the map's first child.
      const pair =
        depth > 0 ? findPair(document.getIn(path.slice(0, depth - 1), true), path[depth - 1]) : undefined;
      const offset = pair?.key?.range?.[0] ?? node?.range?.[0];
      if (offset !== undefined) {
        const { line, col } = lineCounter.linePos(offset);
        return { line, column: col };
      }
    }
    return { line: 1, column: 1 };
  };
  return { data: toPlainData(document, lineCounter, file), locate };
}

/**
 * The document as plain data. yaml reports some problems only here, by throwing: an alias used
 * before its anchor (`*a` alone), or aliases expanding too much (a "billion laughs" file). Those
 * are the user's mistakes in the file, so CONFIG_INVALID at the first alias, not an internal error.
 */
function toPlainData(document: Document.Parsed, lineCounter: LineCounter, file: string): unknown {
  try {
    return document.toJS();
  } catch (error) {
    let offset = 0;
    visit(document, {
      Alias(_key, node) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const { line, col } = lineCounter.linePos(offset);
    const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : "cannot be read";
    throw configError(file, [{ line, column: col, path: [], message }]);
  }
}

function findPair(parent: unknown, key: string | number | undefined) {
  if (!isMap(parent)) return undefined;
  return parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === key) as
    | { key?: { range?: [number, number] } }
    | undefined;
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

function configError(file: string, problems: YamlProblem[]): OauthxError {
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
