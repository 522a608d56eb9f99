// Finds where a dotted config path sits in the YAML source, for file:line:col error messages.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type PathSeg = string | number;

/** Formats a key path as `services.web.command[1]`. */
export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Maps key paths to 1-based line/col through a parsed Document and its LineCounter. */
export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Position of the value at `path`: a scalar's own position; a mapping's or list's key (where the
   * reader looks first). `key: true` asks for the key itself. A missing path falls back to the
   * nearest ancestor that exists.
   */
  at(path: readonly PathSeg[], opts: { key?: boolean } = {}): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let keyNode: Node | undefined;
    let found = true;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
        if (!pair) {
          found = false;
          break;
        }
        keyNode = isScalar(pair.key) ? pair.key : undefined;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        keyNode = undefined;
        node = node.items[seg];
      } else {
        found = false;
        break;
      }
    }
    const valueNode = node as Node | null | undefined;
    const emptyValue = !valueNode || (isScalar(valueNode) && valueNode.value === null && !valueNode.source);
    let target: Node | null | undefined;
    if (!found && valueNode === this.doc.contents && path.length > 0) return { line: 0, col: 0 };
    if (!found || opts.key || emptyValue) target = keyNode ?? valueNode;
    else if (isScalar(valueNode) || isAlias(valueNode)) target = valueNode;
    else target = keyNode ?? valueNode;
    const offset = target?.range?.[0];
    if (offset === undefined) return { line: 0, col: 0 };
    return this.lines.linePos(offset);
  }
}
