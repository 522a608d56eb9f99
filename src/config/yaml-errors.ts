// yaml's syntax errors as config problems: its words without the excerpt, and for the classic
// `command: echo "x: y"` (a colon and a space inside an unquoted value) how to write it instead,
// and for a key written twice its path and where it was first.
import { isMap, isPair, isScalar, isSeq, type LineCounter, type Node, type YAMLError } from 'yaml';
import type { ConfigProblem } from '../core/errors.js';
import { formatPath, type PathSeg } from './locate.js';

/**
 * One problem per syntax error of the file `file` whose text is `text`. With the document yaml
 * made of it anyway (`contents`, and `lines` for positions), a duplicate key is named by its path
 * (`services.web`) and the line of its first occurrence.
 */
export function syntaxProblems(
  errors: readonly YAMLError[],
  text: string,
  file: string,
  contents?: unknown,
  lines?: LineCounter,
): ConfigProblem[] {
  return errors.map((e) => {
    const line = e.linePos?.[0].line ?? 0;
    const col = e.linePos?.[0].col ?? 0;
    let message = e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
    let path = '';
    if (e.code === 'BLOCK_AS_IMPLICIT_KEY') {
      const fix = quoteFix(lineOf(text, line));
      if (fix) message += `; quote the value: ${fix}`;
    }
    if (e.code === 'DUPLICATE_KEY' && contents !== undefined) {
      const dup = duplicateAt(contents, e.pos[0], []);
      if (dup) {
        path = formatPath(dup.path);
        const first = lines ? ` (first at line ${lines.linePos(dup.first).line})` : '';
        message = `key ${JSON.stringify(dup.path.at(-1))} appears twice in this mapping${first}; keep one`;
      }
    }
    return { file, line, col, path, message };
  });
}

/** The key that begins at `offset` and an equal key before it in the same map: its path and the first one's offset. */
function duplicateAt(node: unknown, offset: number, path: PathSeg[]): { path: PathSeg[]; first: number } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = pair.key as Node | null;
      const name = isScalar(key) ? String(key.value) : String(key);
      if (key?.range?.[0] === offset) {
        const first = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === name);
        const at = (first?.key as Node | undefined)?.range?.[0] ?? offset;
        return { path: [...path, name], first: at };
      }
      const inner = duplicateAt(pair.value, offset, [...path, name]);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const inner = duplicateAt(item, offset, [...path, i]);
      if (inner) return inner;
    }
  }
  return undefined;
}

function lineOf(text: string, line: number): string {
  return line > 0 ? (text.split('\n')[line - 1] ?? '') : '';
}

/** `command: echo "x: y"` -> `command: 'echo "x: y"'` (single quotes: nothing inside is special). */
export function quoteFix(line: string): string | undefined {
  const m = /^\s*(?:-\s+)?([A-Za-z0-9_.-]+):\s+(.*?)\s*$/.exec(line);
  if (!m || m[2] === '') return undefined;
  const value = m[2]!.replace(/\s+#[^'"]*$/, ''); // a trailing comment is not part of the value
  return `${m[1]}: '${value.replaceAll("'", "''")}'`;
}
