// yaml's syntax errors as config problems: its words without the excerpt, and for the classic
// `command: echo "x: y"` (a colon and a space inside an unquoted value) how to write it instead,
// for `env: { A: ${NOPE} }` (a variable unquoted in a flow mapping or list, where `{` starts a
// nested mapping) the value quoted, and for a key written twice its path and where it was first.
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
  const hinted = new Set<string>(); // one hint a variable: yaml reports each token after it too
  // after a syntax error yaml reports the tokens after it too, to the end of the file
  // (`env: { A: ${NOPE}, B: 1 }` gave 10 lines, and more for each line below): the first is kept,
  // then only those that name a variable to quote, and keys written twice (yaml finds them apart)
  let broken = false;
  const out: ConfigProblem[] = [];
  for (const e of errors) {
    const line = e.linePos?.[0].line ?? 0;
    const col = e.linePos?.[0].col ?? 0;
    let message = e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
    let path = '';
    if (e.code === 'BLOCK_AS_IMPLICIT_KEY') {
      const fix = quoteFix(lineOf(text, line));
      if (fix) message += `; quote the value: ${fix}`;
    }
    const variable = variableAt(lineOf(text, line), col);
    const hint = variable !== undefined && !hinted.has(`${line}:${variable.at}`);
    if (hint) {
      hinted.add(`${line}:${variable.at}`);
      message += `; hint: quote it: ${variable.fix} (in { } or [ ] an unquoted \${ starts a nested mapping)`;
    }
    const follows = broken && !hint && e.code !== 'DUPLICATE_KEY';
    if (e.code !== 'DUPLICATE_KEY') broken = true;
    if (follows) continue;
    if (e.code === 'DUPLICATE_KEY' && contents !== undefined) {
      const dup = duplicateAt(contents, e.pos[0], []);
      if (dup) {
        path = formatPath(dup.path);
        const first = lines ? ` (first at line ${lines.linePos(dup.first).line})` : '';
        message = `key ${JSON.stringify(dup.path.at(-1))} appears twice in this mapping${first}; keep one`;
      }
    }
    out.push({ file, line, col, path, message });
  }
  return out;
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

/**
 * Why: `env: { A: ${NOPE} }`, `command: [echo, ${MSG}]`. In a flow mapping or list a `{` starts a
 * nested mapping, even right after a `$`, so yaml reports "Unexpected flow-map-start" at the
 * variable (docs/config.md, "Variables"). When column `col` (1-based) of `line` falls on an
 * unquoted `${...}`: where it begins (0-based) and the value, quoted, to write instead
 * (`A: "${NOPE}"`); undefined otherwise.
 */
export function variableAt(line: string, col: number): { at: number; fix: string } | undefined {
  let quote = '';
  let start = 0; // where the current value (or key) begins: after `{`, `[`, `,` or `: `
  let key: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === "'" && quote === "'" && line[i + 1] === "'")
        i++; // '' is one ' in single quotes
      else if (c === quote) quote = '';
      continue;
    }
    if ((c === '"' || c === "'") && line.slice(start, i).trim() === '')
      quote = c; // only a value's first character quotes it
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!)))
      return undefined; // a comment: the rest is not YAML
    else if (c === '{' || c === '[' || c === ',' || c === '}' || c === ']') {
      start = i + 1;
      key = undefined;
    } else if (c === ':' && (i + 1 === line.length || /\s/.test(line[i + 1]!))) {
      key = line.slice(start, i).trim();
      start = i + 1;
    } else if (c === '$' && line[i + 1] === '{') {
      const end = closing(line, i);
      if (col - 1 < i || col - 1 > end) {
        i = end;
        continue;
      }
      const value = line.slice(start, valueEnd(line, i)).trim();
      const quoted = /["\\]/.test(value) ? `'${value.replaceAll("'", "''")}'` : `"${value}"`;
      return { at: i, fix: key ? `${key}: ${quoted}` : quoted };
    }
  }
  return undefined;
}

/** The index of the `}` that closes the `${` at `i` (nested defaults too), or the line's last index. */
function closing(line: string, i: number): number {
  let depth = 0;
  for (let j = i; j < line.length; j++) {
    if (line[j] === '$' && line[j + 1] === '{') {
      depth++;
      j++;
    } else if (line[j] === '}' && --depth === 0) return j;
  }
  return line.length - 1;
}

/** Where a plain value holding the `${` at `i` ends: at a `,`, `]` or `}` of the flow, or a comment. */
function valueEnd(line: string, i: number): number {
  for (let j = i; j < line.length; j++) {
    const c = line[j]!;
    if (c === '$' && line[j + 1] === '{') j = closing(line, j);
    else if (c === ',' || c === ']' || c === '}' || (c === '#' && /\s/.test(line[j - 1]!))) return j;
  }
  return line.length;
}
