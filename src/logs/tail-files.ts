// `tend logs -f` when no daemon runs: watch the live files and print what is appended, as
// `tail -F` does (a file rotated or made again is read to its end, then the new one from its start).
import { open, stat, type FileHandle } from 'node:fs/promises';
import { SERVICE_LOG, TS_LEN, type LineFormat, type LogEntry } from './line-format.js';
import { rotatedName } from './rotate.js';

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
  /** the files (inodes) read, or there when the follow began: a rotated file not among them is new */
  known: Set<number>;
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
 * The rotated files (`NAME.log.K` ... `NAME.log.1`, oldest first) made since the last look: more
 * than one rotation between two looks, or the file made and rotated before the first. Read whole.
 */
async function rotatedSince(w: Watched): Promise<LogEntry[]> {
  const fresh: string[] = [];
  for (let i = 1; ; i++) {
    const st = await stat(rotatedName(w.file, i)).catch(() => undefined);
    if (!st || w.known.has(st.ino)) break;
    fresh.unshift(rotatedName(w.file, i));
  }
  const out: LogEntry[] = [];
  for (const name of fresh) {
    const fh = await open(name, 'r').catch(() => undefined);
    if (!fh) continue;
    try {
      const r: Watched = { ...w, fh, pos: 0, carry: Buffer.alloc(0) };
      w.known.add((await fh.stat()).ino);
      out.push(...(await readNew(r)), ...entriesOf(r, r.carry, true));
    } finally {
      await fh.close();
    }
  }
  return out;
}

/** The inodes of a log's files (live and rotated) now. */
async function inodes(file: string): Promise<Set<number>> {
  const out = new Set<number>();
  for (let i = 0; ; i++) {
    const st = await stat(rotatedName(file, i)).catch(() => undefined);
    if (st) out.add(st.ino);
    else if (i > 0) break;
  }
  return out;
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
  const watched: Watched[] = await Promise.all(
    sources.map(async (s) => ({
      instance: s.instance,
      file: s.file,
      pos: ends.get(s.instance) ?? 0,
      carry: Buffer.alloc(0),
      format,
      known: await inodes(s.file),
    })),
  );
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
          // rotated: the rest of the old file, any rotated since it, then the new one from its start
          const rest = await readNew(w);
          rest.push(...entriesOf(w, w.carry, true));
          await w.fh.close();
          w.fh = undefined;
          w.pos = 0;
          rest.push(...(await rotatedSince(w)));
          if (rest.length > 0) onBatch(rest);
        }
        if (!w.fh && st) {
          // made (again): what rotated before this look first
          if (!w.known.has(st.ino)) {
            const before = await rotatedSince(w);
            if (before.length > 0) onBatch(before);
          }
          w.fh = await open(w.file, 'r');
          w.ino = (await w.fh.stat()).ino;
          w.known.add(w.ino);
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
