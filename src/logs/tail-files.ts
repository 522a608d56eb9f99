// `tend logs -f` and `tend events -f` when no daemon runs: look at the files every POLL_MS and print
// what came after the last line printed, as `tail -F` does. Where the printed lines end is a mark
// (the time of the last one and how many lines bear that time), as with a daemon (follow-join.ts):
// the files are read from the mark on, across the live file and the rotated ones, however many
// rotations came between two looks (a position in bytes in one file did not survive them).
import { stat } from 'node:fs/promises';
import { SERVICE_LOG, type LineFormat, type LogEntry } from './line-format.js';
import { type LineMark, pastLine, queryLogs } from './query.js';

/** How often the files are looked at. */
const POLL_MS = 250;

/**
 * Why: `-f` with no daemon. Calls onBatch with the lines of each source's files after its mark
 * (`marks`, from endMark; before every line when absent) until `signal` aborts. Only whole
 * lines: one being written is printed once its newline is there.
 */
export async function followFiles(
  sources: ReadonlyArray<{ instance: string; file: string }>,
  marks: ReadonlyMap<string, LineMark>,
  onBatch: (batch: LogEntry[]) => void,
  signal?: AbortSignal,
  format: LineFormat = SERVICE_LOG,
): Promise<void> {
  const at = new Map(sources.map((s) => [s.instance, marks.get(s.instance) ?? { time: 0, count: 0 }]));
  // the live file as last looked at: unchanged (no write, no rotation), nothing is read
  const looked = new Map<string, string>();
  while (!signal?.aborted) {
    for (const s of sources) {
      const st = await stat(s.file).catch(() => undefined);
      const now = st ? `${st.ino} ${st.size} ${st.mtimeMs}` : '';
      if (looked.get(s.instance) === now) continue;
      looked.set(s.instance, now);
      const from = at.get(s.instance)!;
      const r = await queryLogs([{ instance: s.instance, file: s.file, from }], { format, wholeLines: true });
      for await (const batch of r.lines()) {
        let m = at.get(s.instance);
        for (const e of batch) m = pastLine(m, Date.parse(e.ts));
        at.set(s.instance, m!);
        onBatch(batch);
        if (signal?.aborted) break;
      }
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, POLL_MS);
      signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
}
