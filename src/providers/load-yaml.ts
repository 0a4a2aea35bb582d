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
