// `tend logs -f` when no daemon runs: watch the live files and print what is appended, as
// `tail -F` does (a file rotated or made again is read to its end, then the new one from its start).
import { open, stat, type FileHandle } from 'node:fs/promises';
import { SERVICE_LOG, TS_LEN, type LineFormat, type LogEntry } from './line-format.js';

/** How often the files are looked at. */
const POLL_MS = 250;
const BLOCK = 1024 * 1024;

interface Watched {
  instance: string;
  file: string;
  fh?: FileHandle;
  ino?: number;
  pos: number;
  carry: Buffer;
  format: LineFormat;
}

/** The entries of the complete lines of buf (the rest is kept for the next read). */
function entriesOf(w: Watched, buf: Buffer, all: boolean): LogEntry[] {
  const out: LogEntry[] = [];
  let s = 0;
  const f = w.format;
  for (let nl = buf.indexOf(10); nl !== -1 || (all && s < buf.length); nl = buf.indexOf(10, s)) {
    const e = nl === -1 ? buf.length : nl;
    const ok = f.hasTs(buf, s, e);
    out.push({
      ts: ok ? buf.toString('latin1', s + f.tsAt, s + f.tsAt + TS_LEN) : new Date().toISOString(),
      instance: w.instance,
      stream: ok ? f.stream(buf, s) : 'log',
      line: Buffer.from(buf.subarray(ok ? s + f.payloadAt : s, e)),
    });
    s = e + 1;
    if (nl === -1) break;
  }
  w.carry = Buffer.from(buf.subarray(Math.min(s, buf.length)));
  return out;
}

async function readNew(w: Watched): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for (;;) {
    const buf = Buffer.allocUnsafe(BLOCK);
    const { bytesRead } = await w.fh!.read(buf, 0, BLOCK, w.pos);
    if (bytesRead === 0) return out;
    w.pos += bytesRead;
    out.push(...entriesOf(w, Buffer.concat([w.carry, buf.subarray(0, bytesRead)]), false));
  }
}

/**
 * Why: `-f` with no daemon. Calls onBatch with the lines appended to each live file after byte
 * `ends.get(instance)` (0 when absent) until `signal` aborts.
 */
export async function followFiles(
  sources: ReadonlyArray<{ instance: string; file: string }>,
  ends: ReadonlyMap<string, number>,
  onBatch: (batch: LogEntry[]) => void,
  signal?: AbortSignal,
  format: LineFormat = SERVICE_LOG,
): Promise<void> {
  const watched: Watched[] = sources.map((s) => ({
    instance: s.instance,
    file: s.file,
    pos: ends.get(s.instance) ?? 0,
    carry: Buffer.alloc(0),
    format,
  }));
  try {
    while (!signal?.aborted) {
      for (const w of watched) {
        let st;
        try {
          st = await stat(w.file);
        } catch {
          st = undefined; // not there (yet, or rotated away a moment ago)
        }
        if (w.fh && st && st.ino !== w.ino) {
          // rotated: the rest of the old file, then the new one from its start
          const rest = await readNew(w);
          rest.push(...entriesOf(w, w.carry, true));
          if (rest.length > 0) onBatch(rest);
          await w.fh.close();
          w.fh = undefined;
          w.pos = 0;
        }
        if (!w.fh && st) {
          w.fh = await open(w.file, 'r');
          w.ino = (await w.fh.stat()).ino;
          if (w.pos > st.size) w.pos = 0; // made again since it was read
        }
        if (w.fh) {
          const batch = await readNew(w);
          if (batch.length > 0) onBatch(batch);
        }
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, POLL_MS);
        signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  } finally {
    await Promise.all(watched.map((w) => w.fh?.close()));
  }
}
