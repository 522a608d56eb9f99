// A reply as lines, encoded item by item (docs/protocol.md "Large replies"): one line when it
// fits the line limit, as always; else the items of its lists go in `part` frames and a small
// final reply follows. The daemon never holds more than about one line of the reply's JSON text.
import { TendError } from '../core/errors.js';
import { MAX_LINE_BYTES, PART_BYTES } from './limits.js';
import type { RequestId } from './wire.js';

/** How large a line and a part may be (the defaults are the protocol's; tests shrink them). */
export interface ReplySizes {
  line: number;
  part: number;
}

const SIZES: ReplySizes = { line: MAX_LINE_BYTES, part: PART_BYTES };

/** One member of an object result: encoded already (`"key":value`), or a list encoded lazily. */
type Field = { key: string; text: string } | { key: string; items: readonly unknown[]; pieces: string[] };

/**
 * The lines of the reply `{"id", "ok": true, "result"}`, ending in "\n", produced lazily: the
 * caller takes one, writes it, and takes the next when the client has read. Throws TendError
 * `too_large` (while iterating) for a result, or one list item, that cannot fit a line.
 */
export function* replyLines(id: RequestId, result: unknown, sizes: ReplySizes = SIZES): Generator<string, void, undefined> {
  const idText = JSON.stringify(id);
  const head = `{"id":${idText},"ok":true,"result":`;
  if (!isPlainObject(result) || !Object.values(result).some(Array.isArray)) {
    const line = `${head}${JSON.stringify(result === undefined ? null : result)}}\n`;
    const bytes = Buffer.byteLength(line);
    if (bytes - 1 > sizes.line)
      throw new TendError('too_large', `a reply of ${bytes} bytes exceeds the ${sizes.line}-byte line limit`);
    yield line;
    return;
  }

  const fields: Field[] = [];
  let total = Buffer.byteLength(head) + 3; // "{", "}}" and the newline around the fields
  for (const [key, value] of Object.entries(result)) {
    if (Array.isArray(value)) {
      fields.push({ key, items: value, pieces: [] });
      total += Buffer.byteLength(key) + 6; // "key":[] and a comma
      continue;
    }
    const text = JSON.stringify(value);
    if (text === undefined) continue; // JSON.stringify leaves such members out too
    fields.push({ key, text: `${JSON.stringify(key)}:${text}` });
    total += Buffer.byteLength(key) + Buffer.byteLength(text) + 4;
  }

  // first try the one line of old: encode items until they pass the limit
  let fits = total <= sizes.line;
  for (const f of fields) {
    if (!fits) break;
    if (!('items' in f)) continue;
    for (const item of f.items) {
      const piece = encodeItem(item);
      f.pieces.push(piece);
      total += Buffer.byteLength(piece) + 1;
      if (total > sizes.line) {
        fits = false;
        break;
      }
    }
  }
  const members = (emptyLists: boolean): string =>
    fields.map((f) => ('items' in f ? `${JSON.stringify(f.key)}:[${emptyLists ? '' : f.pieces.join(',')}]` : f.text)).join(',');
  if (fits) {
    yield `${head}{${members(false)}}}\n`;
    return;
  }

  // too large for a line: every list item goes in parts, then the final reply with empty lists
  for (const f of fields) {
    if (!('items' in f)) continue;
    const open = `{"id":${idText},"part":{${JSON.stringify(f.key)}:[`;
    const frame = Buffer.byteLength(open) + 4; // "]}}" and the newline
    let batch: string[] = [];
    let bytes = 0;
    for (let i = 0; i < f.items.length; i++) {
      const piece = i < f.pieces.length ? f.pieces[i]! : encodeItem(f.items[i]);
      if (i < f.pieces.length) f.pieces[i] = ''; // handed on: not kept twice
      const size = Buffer.byteLength(piece);
      if (frame + size > sizes.line) {
        throw new TendError('too_large', `an item of ${size} bytes (in "${f.key}") exceeds the ${sizes.line}-byte line limit`);
      }
      if (batch.length > 0 && frame + bytes + size > sizes.part) {
        yield `${open}${batch.join(',')}]}}\n`;
        batch = [];
        bytes = 0;
      }
      batch.push(piece);
      bytes += size + 1;
    }
    f.pieces = [];
    if (batch.length > 0) yield `${open}${batch.join(',')}]}}\n`;
  }
  const last = `${head}{${members(true)}}}\n`;
  const bytes = Buffer.byteLength(last);
  if (bytes - 1 > sizes.line)
    throw new TendError('too_large', `a reply of ${bytes} bytes without its lists exceeds the ${sizes.line}-byte line limit`);
  yield last;
}

/** An array item as JSON.stringify writes it inside an array. */
function encodeItem(item: unknown): string {
  return JSON.stringify(item) ?? 'null';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
