// One instance's log files as one byte range: ID.log.KEEP ... ID.log.1, ID.log, oldest first,
// opened together at the start of a read (a rotation meanwhile renames files, not what an open
// handle reads) with their sizes then: lines written after are not part of this read.
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Counts what a read costs; tests pass one to check that a seek reads O(log n) blocks. */
export interface ReadStats {
  reads: number;
  bytes: number;
}

export interface LogFilePart {
  path: string;
  /** 0: the live file; i: ID.log.i */
  index: number;
  /** where the file starts in the whole range */
  base: number;
  size: number;
  fh: FileHandle;
  /** the file's inode when opened: is `path` still this file (LogFiles.open) */
  ino: number;
}

/** How often LogFiles.open opens the set again when a rotation moved it meanwhile. */
const OPEN_ATTEMPTS = 10;

/**
 * Whether each part's name still holds the file opened, and no other file is there now: no
 * rotation since the listing (one that ended before the first open made a new oldest file).
 */
async function unmoved(file: string, parts: readonly LogFilePart[]): Promise<boolean> {
  if ((await listFiles(file)).join() !== parts.map((p) => p.index).join()) return false;
  for (const p of parts) {
    try {
      if ((await stat(p.path)).ino !== p.ino) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The rotated files of `file` present now (their numbers), oldest (highest) first, then the live one. */
async function listFiles(file: string): Promise<number[]> {
  const name = basename(file);
  let names: string[];
  try {
    names = await readdir(dirname(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: number[] = [];
  for (const n of names) {
    if (n === name) found.push(0);
    else if (n.startsWith(`${name}.`) && /^[1-9]\d*$/.test(n.slice(name.length + 1))) {
      found.push(Number(n.slice(name.length + 1)));
    }
  }
  return found.sort((a, b) => b - a);
}

/** Why: every reader (last N, seek by time, grep, merge) works on offsets into one range. */
export class LogFiles {
  private constructor(
    readonly file: string,
    readonly parts: LogFilePart[],
    private readonly stats: ReadStats | undefined,
  ) {}

  /**
   * Opens the files of `file` (e.g. `log_dir/web-1.log`); none is fine: an empty range.
   * Why the second look: the files are opened one by one by name, and a rotation meanwhile
   * shifts the names, so one file was skipped (or read twice): 1 read in 25 of a writer rotating
   * every few seconds lost a file's lines. A set whose names still hold the files opened is one
   * moment's; else it is opened again (a few times, then taken as it is).
   */
  static async open(file: string, stats?: ReadStats): Promise<LogFiles> {
    for (let attempt = 1; ; attempt++) {
      const parts = await LogFiles.openParts(file);
      if (attempt >= OPEN_ATTEMPTS || (await unmoved(file, parts))) return new LogFiles(file, parts, stats);
      await Promise.all(parts.map((p) => p.fh.close().catch(() => undefined)));
    }
  }

  private static async openParts(file: string): Promise<LogFilePart[]> {
    const parts: LogFilePart[] = [];
    let base = 0;
    try {
      for (const index of await listFiles(file)) {
        const path = index === 0 ? file : `${file}.${index}`;
        let fh: FileHandle;
        try {
          fh = await open(path, 'r');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // rotated away meanwhile
          throw err;
        }
        const st = await fh.stat();
        parts.push({ path, index, base, size: st.size, fh, ino: st.ino });
        base += st.size;
      }
    } catch (err) {
      await Promise.all(parts.map((p) => p.fh.close()));
      throw err;
    }
    return parts;
  }

  /** The whole range's length in bytes. */
  get end(): number {
    const last = this.parts[this.parts.length - 1];
    return last ? last.base + last.size : 0;
  }

  /** The file holding byte `pos` (the last one for the end). */
  partAt(pos: number): LogFilePart {
    let lo = 0;
    let hi = this.parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.parts[mid]!.base <= pos) lo = mid;
      else hi = mid - 1;
    }
    return this.parts[lo]!;
  }

  /** Up to `len` bytes from `pos`, never past the end of the file holding pos: a fresh buffer. */
  async read(pos: number, len: number): Promise<Buffer> {
    const part = this.partAt(pos);
    const n = Math.max(0, Math.min(len, part.base + part.size - pos));
    const buf = Buffer.allocUnsafe(n);
    if (n === 0) return buf;
    const { bytesRead } = await part.fh.read(buf, 0, n, pos - part.base);
    if (this.stats) {
      this.stats.reads++;
      this.stats.bytes += bytesRead;
    }
    return bytesRead === n ? buf : buf.subarray(0, bytesRead);
  }

  async close(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.fh.close().catch(() => undefined)));
  }
}

/**
 * Why: `tend logs old` of a service removed from the config (its files stay, as journalctl reads
 * a unit gone since): of the ids with files (loggedIds), the instances of `name` (`old`, or its
 * replicas `old.1`, `old.2`...), in replica order; none: it never was.
 */
export function instancesNamed(logged: readonly string[], name: string): string[] {
  const ids = logged.filter((id) => id === name || (id.startsWith(`${name}.`) && /^[1-9]\d*$/.test(id.slice(name.length + 1))));
  const replica = (id: string): number => (id === name ? 0 : Number(id.slice(name.length + 1)));
  return ids.sort((a, b) => replica(a) - replica(b));
}

/** The instance ids with files in `logDir` (`web.log`, `web.1.log`, rotated `web.log.1`...), sorted; none when it cannot be read. */
export function loggedIds(logDir: string): Promise<string[]> {
  return idsOfFiles(logDir, /^(.*)\.log(?:\.[1-9]\d*)?$/);
}

/** The instance ids with a run history in `logDir` (`backup.runs`, `job.1.runs`), sorted. */
export function historyIds(logDir: string): Promise<string[]> {
  return idsOfFiles(logDir, /^(.*)\.runs$/);
}

/** The ids the names of `logDir`'s files give by `re` (its first group), sorted; none when it cannot be read. */
async function idsOfFiles(logDir: string, re: RegExp): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(logDir);
  } catch {
    return [];
  }
  const ids = names.map((n) => re.exec(n)?.[1]).filter((id): id is string => id !== undefined);
  return [...new Set(ids)].sort();
}

/**
 * The instances of `names` (none of them in the config) whose files are in `logDir`, in order;
 * undefined when one of the names has none (a typo: the caller says unknown service).
 */
export async function removedIds(logDir: string, names: readonly string[]): Promise<string[] | undefined> {
  if (names.length === 0) return [];
  const logged = await loggedIds(logDir);
  const out: string[] = [];
  for (const n of names) {
    const ids = instancesNamed(logged, n);
    if (ids.length === 0) return undefined;
    out.push(...ids);
  }
  return out;
}

/** `where` with the files of the instances `removed` (removedIds) added to its sources, each once. */
export function withRemoved<W extends { log_dir: string; sources: Array<{ instance: string; file: string }> }>(
  where: W,
  removed: readonly string[],
): W {
  const have = new Set(where.sources.map((s) => s.instance));
  const more = removed.filter((id) => !have.has(id)).map((id) => ({ instance: id, file: logFileOf(where.log_dir, id) }));
  return more.length ? { ...where, sources: [...where.sources, ...more] } : where;
}

/** Why: `logs NAME` with the id of each instance: the log file of an instance in `log_dir`. */
export function logFileOf(logDir: string, instance: string): string {
  return join(logDir, `${instance}.log`);
}
