// The in-memory tail of a service's output (`tend logs NAME -n N` without reading files).
// It keeps the recent formatted batches themselves (already allocated for the file) and cuts
// them into lines only when asked, so it costs nothing on the hot path.
import { batchLines, type Batch, type LogLine } from './line.js';
import { releaseBatch, retainBatch } from './pool.js';

/** The last `maxLines` lines (at most about `maxBytes` of them) of both streams, in order. */
export class LogTail {
  private batches: Batch[] = [];
  private head = 0;
  private lines = 0;
  private bytes = 0;

  constructor(
    private readonly maxLines: number,
    private readonly maxBytes: number,
  ) {}

  /** Keeps a batch, forgetting the oldest ones no longer needed. */
  push(b: Batch): void {
    if (this.maxLines <= 0) return;
    retainBatch(b.buf);
    this.batches.push(b);
    this.lines += b.lines;
    this.bytes += b.buf.length;
    while (this.batches.length - this.head > 1) {
      const old = this.batches[this.head]!;
      if (this.lines - old.lines < this.maxLines && this.bytes <= this.maxBytes) break;
      this.lines -= old.lines;
      this.bytes -= old.buf.length;
      this.batches[this.head++] = undefined!;
      releaseBatch(old.buf);
    }
    if (this.head > 256) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
  }

  /** The last n lines (fewer when fewer are kept), oldest first: copies, safe to keep. */
  last(n: number): LogLine[] {
    n = Math.min(n, this.maxLines);
    const picked: LogLine[][] = [];
    let count = 0;
    for (let i = this.batches.length - 1; i >= this.head && count < n; i--) {
      const lines = batchLines(this.batches[i]!);
      const want = n - count;
      picked.push(lines.length > want ? lines.slice(lines.length - want) : lines);
      count += Math.min(want, lines.length);
    }
    const lines = picked.reverse().flat();
    for (const l of lines) l.line = Buffer.from(l.line); // the batches go back to the pool later
    return lines;
  }
}
