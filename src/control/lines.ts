// NDJSON framing: splits a byte stream into lines, refusing any line over a byte limit.
// No imports of tend beyond limits.ts, so the light client can use it.
import { MAX_LINE_BYTES } from './limits.js';

/** Splits chunks into UTF-8 lines (without "\n", a trailing "\r" dropped); stops for good on an oversized line. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private stopped = false;

  constructor(
    private readonly onLine: (line: string) => void,
    /** called once, with the number of bytes seen of the line so far, when a line passes `max` */
    private readonly onOverflow: (bytesSoFar: number) => void,
    private readonly max: number = MAX_LINE_BYTES,
  ) {}

  /** Feeds one chunk; calls onLine for each completed line, in order. */
  push(chunk: Buffer): void {
    let start = 0;
    while (!this.stopped && start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.size + piece.length > this.max) {
        const seen = this.size + piece.length;
        this.stop();
        this.onOverflow(seen);
        return;
      }
      if (nl === -1) {
        // a partial line: copy it so the (up to 64 KiB) chunk is not retained
        if (piece.length > 0) {
          this.parts.push(Buffer.from(piece));
          this.size += piece.length;
        }
        return;
      }
      const bytes = this.parts.length > 0 ? Buffer.concat([...this.parts, piece]) : piece;
      this.parts = [];
      this.size = 0;
      let line = bytes.toString('utf8');
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.onLine(line);
      start = nl + 1;
    }
  }

  /** Drops buffered bytes and ignores every later chunk. */
  stop(): void {
    this.stopped = true;
    this.parts = [];
    this.size = 0;
  }

  /** Bytes of an unfinished line held now. */
  get pending(): number {
    return this.size;
  }
}
