// Parses a providers YAML file (the built-in catalogue at codegen time, the user's own file at run
// time), keeping positions so that every problem is reported with the file, line, column,
// provider id and field path, because people edit these files by hand (located-errors.ts).
//
// Loaded lazily: importing `yaml` is costly at start-up, so the hot path (`token`, `exec`)
// imports this module only when the user's providers file changed since its last parse
// (parsed-cache.ts).

import { type Document, isMap, LineCounter, parseDocument, visit } from "yaml";
import { configError, type ParsedYaml } from "./located-errors.ts";

export { type ParsedYaml, validate, type YamlProblem } from "./located-errors.ts";

export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = document.errors[0];
  if (first) {
    const quote = unclosedQuoteStart(document, first.pos[0]);
    const { line, col } = lineCounter.linePos(quote ?? first.pos[0]);
    const message =
      quote === undefined
        ? (first.message.split("\n")[0] ?? "")
        : "this quote is never closed (the rest of the file was read into the string)";
    throw configError(file, [{ line, column: col, path: [], message }]);
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

/**
 * Where the quote opens that a "Missing closing quote" error at `offset` is about. yaml reports it
 * where the text ends, having read the rest of the file into the string; the person needs the line
 * with the quote: the quoted scalar that ends at the error.
 */
function unclosedQuoteStart(document: Document.Parsed, offset: number): number | undefined {
  let start: number | undefined;
  visit(document, {
    Scalar(_key, node) {
      const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
      if (quoted && node.range?.[1] === offset) {
        start = node.range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return start;
}

function findPair(parent: unknown, key: string | number | undefined) {
  if (!isMap(parent)) return undefined;
  return parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === key) as
    | { key?: { range?: [number, number] } }
    | undefined;
}
