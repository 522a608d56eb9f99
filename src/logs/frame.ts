// Cuts one stream's chunks into lines and formats them into one buffer a chunk: the hot path.
// Scans with Buffer.indexOf, copies with Uint8Array.set/copyWithin (no Buffer.copy, no subarray
// a line: both cost more than the bytes on Node 20), allocates once a chunk, builds no strings.

import { allocBatch, releaseBatch } from './pool.js';
import { frameLines } from '../sys/addon.js';

/** A partial line is cut into a line of its own past this many bytes, so memory stays bounded. */
export const MAX_PARTIAL = 256 * 1024;

let positions = new Int32Array(16 * 1024);

/** Newline offsets of a chunk, into a reused array. Returns how many. */
function scan(chunk: Buffer, from: number): number {
  let n = 0;
  for (let i = from; i !== -1; i = chunk.indexOf(10, i + 1)) {
    if (n === positions.length) {
      const grown = new Int32Array(positions.length * 2);
      grown.set(positions);
      positions = grown;
    }
    positions[n++] = i;
  }
  return n;
}

const NEWLINE = Buffer.from('\n');

/** The line splitter of one stream: keeps the partial line between chunks. */
export class LineFramer {
  private parts: Buffer[] = [];
  private partLen = 0;

  /** the C framer, unless the addon is missing or `js` asks for the JS one (tests run both) */
  private readonly native: typeof frameLines;

  constructor(
    private readonly maxPartial = MAX_PARTIAL,
    js = false,
  ) {
    this.native = js ? undefined : frameLines;
  }

  /** bytes of the partial line waiting for its newline */
  get pending(): number {
    return this.partLen;
  }

  /**
   * Formats the complete lines of `chunk` (the first one completing the carried partial) as
   * `prefix + line + \n` each, in one buffer (from the pool: the caller owns one reference).
   * Undefined when the chunk completes no line.
   */
  frame(chunk: Buffer, prefix: Buffer): { buf: Buffer; lines: number } | undefined {
    const first = chunk.indexOf(10);
    if (first === -1) {
      this.carry(chunk);
      return this.partLen >= this.maxPartial ? this.flush(prefix) : undefined;
    }
    const p = prefix.length;
    const head = this.partLen + p; // where the chunk's first byte lands
    let n: number;
    let done: number; // bytes of the chunk ending a line
    let out: Buffer;
    if (this.native) {
      // in C: one memchr and two memcpy a line
      done = chunk.lastIndexOf(10) + 1;
      n = this.native(chunk, done, prefix, null, 0);
      out = allocBatch(this.partLen + done + n * p);
      this.native(chunk, done, prefix, out, head);
    } else {
      n = scan(chunk, first);
      done = positions[n - 1]! + 1;
      out = allocBatch(this.partLen + done + n * p);
      // copy the chunk in once, then move each line right to make room for the prefixes, last
      // line first (copyWithin allocates nothing, unlike a subarray per line)
      out.set(done === chunk.length ? chunk : chunk.subarray(0, done), head);
      for (let j = n - 1; j >= 1; j--) {
        const s = positions[j - 1]! + 1;
        const to = head + s + j * p;
        out.copyWithin(to, head + s, head + positions[j]! + 1);
        out.set(prefix, to - p);
      }
    }
    out.set(prefix, 0);
    let o = p;
    for (const part of this.parts) {
      out.set(part, o);
      o += part.length;
    }
    this.parts = [];
    this.partLen = 0;
    if (done < chunk.length) this.carry(chunk.subarray(done));
    if (this.partLen >= this.maxPartial) {
      const rest = this.flush(prefix)!;
      const both = Buffer.concat([out, rest.buf]);
      releaseBatch(out);
      return { buf: both, lines: n + 1 };
    }
    return { buf: out, lines: n };
  }

  /** The carried partial line as a line of its own (end of the process, or too long). */
  flush(prefix: Buffer): { buf: Buffer; lines: number } | undefined {
    if (this.partLen === 0) return undefined;
    const buf = Buffer.concat([prefix, ...this.parts, NEWLINE]);
    this.parts = [];
    this.partLen = 0;
    return { buf, lines: 1 };
  }

  private carry(piece: Buffer): void {
    // a small tail of a big chunk is copied, so the chunk itself can be freed
    this.parts.push(piece.length < 8192 ? Buffer.from(piece) : piece);
    this.partLen += piece.length;
  }
}
