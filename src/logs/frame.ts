// Cuts one stream's chunks into lines and formats them into one buffer a chunk: the hot path.
// The lines are framed in C (frameLines, native/frame.c: one memchr and two memcpy a line);
// here only the partial line carried between chunks. Allocates once a chunk, builds no strings.

import { allocBatch, releaseBatch } from './pool.js';
import { frameLines } from '../sys/addon.js';

/** A partial line is cut into a line of its own past this many bytes, so memory stays bounded. */
export const MAX_PARTIAL = 256 * 1024;

const NEWLINE = Buffer.from('\n');

/**
 * Where the lines of a chunk end, from its count for its framing (one memchr pass, not two).
 * Shared by every framer (the daemon frames one chunk at a time); it grows to the most lines a
 * chunk had, up to MAX_ENDS (a chunk with more is framed with a second pass).
 */
let ends = new Uint32Array(1024);
const MAX_ENDS = 64 * 1024;

/** The line splitter of one stream: keeps the partial line between chunks. */
export class LineFramer {
  private parts: Buffer[] = [];
  private partLen = 0;

  constructor(private readonly maxPartial = MAX_PARTIAL) {}

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
    // whole lines in C: count them (to size the buffer, noting where they end), then frame them
    const done = chunk.lastIndexOf(10) + 1; // bytes of the chunk ending a line
    const n = frameLines(chunk, done, prefix, null, 0, ends);
    const out = allocBatch(this.partLen + done + n * p);
    frameLines(chunk, done, prefix, out, head, ends, n);
    if (n > ends.length && ends.length < MAX_ENDS) ends = new Uint32Array(Math.min(MAX_ENDS, 2 ** Math.ceil(Math.log2(n))));
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

  /** Hands over the carried partial line (the log's direct path goes on with it), if any. */
  take(): Buffer | undefined {
    if (this.partLen === 0) return undefined;
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.partLen = 0;
    return buf;
  }

  /** Takes back a partial line the direct path carried (copied: the caller may reuse it). */
  give(piece: Buffer): void {
    this.carry(piece);
  }

  private carry(piece: Buffer): void {
    // a copy: the chunk is the reader's buffer, reused for the next read (OutputSink.write)
    this.parts.push(Buffer.from(piece));
    this.partLen += piece.length;
  }
}
