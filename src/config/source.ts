// What is done to the parsed YAML before it becomes plain values: variables are substituted in
// every string value (never in keys: service names and env names are what they say), values with
// a NUL are refused, and an alias inside the value it names (a cycle) is refused. Each problem
// keeps its offset in the source, for file:line:col.
import { isAlias, isMap, isPair, isScalar, isSeq, Scalar, type Document } from 'yaml';
import { NUL_MESSAGE } from './env-file.js';
import type { PathSeg } from './locate.js';
import { substitute, type Lookup } from './variables.js';

/** A problem of the source: where (an offset into the text), at which key path, and what. */
export interface SourceProblem {
  offset: number;
  path: PathSeg[];
  message: string;
  /** an alias cycle: the value cannot be made at all (toJS would loop), so nothing is checked after */
  cycle?: true;
}

/** Called for each variable a value at `path` looked up, with what it gave. */
export type OnUse = (path: readonly PathSeg[], name: string, value: string | undefined) => void;

/**
 * Substitutes variables in the string values of `doc` (in place) and checks them; `text` is the
 * source `doc` was parsed from, `prefix` the key path of its top (a service block: ['services']).
 */
export function prepareSource(
  doc: Document,
  text: string,
  lookup: Lookup,
  onUse?: OnUse,
  prefix: PathSeg[] = [],
): SourceProblem[] {
  const problems: SourceProblem[] = [];
  const open = new Set<unknown>(); // the collections being walked: an alias to one of them is a cycle
  const anchors = new Map<string, unknown>(); // an alias names the last anchor before it, in file order
  const walk = (node: unknown, path: PathSeg[]): void => {
    const anchor = (node as { anchor?: unknown } | null)?.anchor;
    if (typeof anchor === 'string') anchors.set(anchor, node);
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target !== undefined && open.has(target)) {
        problems.push({
          offset: node.range?.[0] ?? 0,
          path,
          message: `alias *${node.source} is inside the value it names (a cycle)`,
          cycle: true,
        });
      }
      return;
    }
    if (isMap(node) || isSeq(node)) {
      open.add(node);
      node.items.forEach((item: unknown, i: number) => {
        if (!isPair(item)) return walk(item, [...path, i]);
        const key = item.key;
        const seg = !isScalar(key) ? String(key) : typeof key.value === 'symbol' ? '<<' : String(key.value);
        const at = isMap(node) ? [...path, seg] : [...path, i];
        if (isScalar(key) && typeof key.value === 'string' && key.value.includes('\0')) {
          problems.push({ offset: key.range?.[0] ?? 0, path: at, message: NUL_MESSAGE });
        } else if (isAlias(key) || isMap(key) || isSeq(key)) walk(key, at);
        walk(item.value, at);
      });
      open.delete(node);
      return;
    }
    if (isScalar(node) && typeof node.value === 'string') scalar(node as Scalar<string>, path);
  };
  const scalar = (node: Scalar<string>, path: PathSeg[]): void => {
    const start = node.range?.[0] ?? 0;
    let value = node.value;
    if (value.includes('$')) {
      const r = substitute(value, lookup, onUse && ((name, v) => onUse(path, name, v)));
      if ('error' in r) {
        const end = node.range?.[1] ?? start;
        const i = text.slice(start, end).indexOf(r.error.text);
        problems.push({ offset: i >= 0 ? start + i : start, path, message: r.error.message });
        return;
      }
      if (r.value !== value) {
        value = r.value;
        if (node.type === Scalar.PLAIN) {
          // unquoted, `replicas: ${N}` reads as the number N would have read as
          node.value = retype(value) as string;
          node.source = value; // what umask reads its octal digits from
        } else node.value = value;
      }
    }
    if (value.includes('\0')) problems.push({ offset: start, path, message: NUL_MESSAGE });
  };
  walk(doc.contents, prefix);
  return problems;
}

/** A substituted plain value that is exactly how YAML writes a number or a boolean becomes one. */
function retype(s: string): unknown {
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(s) && String(Number(s)) === s) return Number(s);
  return s;
}
