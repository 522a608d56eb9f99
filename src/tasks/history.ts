// The runs of a task, kept on disk so `tend history` survives a restart of tend: log_dir/NAME.runs,
// one JSON line per finished run. Appends only (O_APPEND, never through a symlink); bounded by
// rewriting the newest `keep` lines atomically (temp file + rename) once the file holds 2 x keep.
import { constants } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TendError } from '../core/errors.js';
import type { RunResult } from '../core/instance.js';
import { TRIGGERS, type Exit, type Trigger } from '../core/types.js';

/** Why a run started (declared in core: the instance record keeps it). */
export { TRIGGERS, type Trigger };

/**
 * How a run ended, as stored: `{code}`, `{signal}`, `{spawn_error}`, `{lost}` (adopted, status
 * unknown), or `{not_started}` (it waited and never started: rejected, or a dependency failed).
 */
export type RunExit = { code: number } | { signal: string } | { spawn_error: string } | { lost: true } | { not_started: true };

/** One line of NAME.runs. Times are ISO-8601 (UTC). */
export interface RunRecord {
  start: string;
  end: string;
  duration_ms: number;
  exit: RunExit;
  trigger: Trigger;
  result: 'completed' | 'failed';
  /** why it ended: "exited with code 0", "timed out after 5m", "replaced by a scheduled run" ... */
  reason: string;
}

/** How many runs a history keeps (it is rewritten to this many once it holds twice as many). */
export const KEEP_RUNS = 1000;

const BLOCK = 64 * 1024;
// read-write: the first append counts the lines already there through the same descriptor
const APPEND = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/** Why: one place names the file, for the writer in the daemon and the reader in `tend history`. */
export function historyFile(logDir: string, name: string): string {
  // config names are [a-z0-9][a-z0-9_-]*, instance ids add ".N": nothing may climb out of log_dir
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`history: not a task name: ${JSON.stringify(name)}`);
  return join(logDir, `${name}.runs`);
}

/** A run read back from its line (a restarted tend's last run of a task: status, why); not for `{not_started}`. */
export function runOfRecord(r: RunRecord): RunResult {
  const e = r.exit;
  const exit: Exit =
    'code' in e
      ? { kind: 'exited', code: e.code }
      : 'signal' in e
        ? { kind: 'signaled', signal: e.signal }
        : 'spawn_error' in e
          ? { kind: 'spawn-error', message: e.spawn_error }
          : { kind: 'lost' };
  return { start: Date.parse(r.start), end: Date.parse(r.end), exit, trigger: r.trigger, result: r.result, reason: r.reason };
}

/** Why: the supervisor's Exit (core) in the stored form. */
export function runExit(exit: Exit): RunExit {
  switch (exit.kind) {
    case 'exited':
      return { code: exit.code };
    case 'signaled':
      return { signal: exit.signal };
    case 'spawn-error':
      return { spawn_error: exit.message };
    case 'lost':
      return { lost: true };
  }
}

/** Why: builds a record from epoch-ms times, so every writer formats times the same way. */
export function runRecord(r: RunResult): RunRecord {
  return {
    start: new Date(r.start).toISOString(),
    end: new Date(r.end).toISOString(),
    duration_ms: Math.max(0, r.end - r.start),
    exit: runExit(r.exit),
    trigger: r.trigger,
    result: r.result,
    reason: r.reason,
  };
}

/** A run that waited and never started (`unstartedEnd` of its instance): failed, exit `{not_started}`. */
export function unstartedRecord(u: { since: number; at: number; reason: string; trigger: Trigger }): RunRecord {
  return {
    start: new Date(u.since).toISOString(),
    end: new Date(u.at).toISOString(),
    duration_ms: Math.max(0, u.at - u.since),
    exit: { not_started: true },
    trigger: u.trigger,
    result: 'failed',
    reason: u.reason,
  };
}

/** A symlink where the file should be: refused (ELOOP from O_NOFOLLOW), named in tend's words. */
async function openNoFollow(file: string, flags: number, mode = 0o644): Promise<FileHandle> {
  try {
    return await open(file, flags | constants.O_NOFOLLOW, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new Error(`${file}: is a symbolic link; tend does not follow it for a task history`, { cause: err });
    }
    throw err;
  }
}

/** Reads backwards until `n` whole lines are in hand: the last n lines, oldest first, torn tail dropped. */
async function lastLines(fh: FileHandle, n: number): Promise<string[]> {
  let pos = (await fh.stat()).size;
  const blocks: Buffer[] = [];
  let newlines = 0;
  // n whole lines need n newlines of their own plus the one ending the line before them
  while (pos > 0 && newlines <= n) {
    const len = Math.min(BLOCK, pos);
    pos -= len;
    const block = Buffer.allocUnsafe(len);
    const { bytesRead } = await fh.read(block, 0, len, pos);
    const got = block.subarray(0, bytesRead);
    for (let i = got.indexOf(10); i !== -1; i = got.indexOf(10, i + 1)) newlines++;
    blocks.unshift(got);
  }
  const text = Buffer.concat(blocks).toString('utf8');
  const lines = text.split('\n');
  lines.pop(); // after the last newline: '' or a torn line (a write cut short by a crash)
  if (pos > 0) lines.shift(); // the first piece starts mid-line unless reading reached the start
  return lines.slice(Math.max(0, lines.length - n));
}

/** A stored line as a record, or undefined when it is not one (a torn or foreign line is skipped). */
function parseLine(line: string): RunRecord | undefined {
  try {
    const r = JSON.parse(line) as RunRecord;
    return r && typeof r === 'object' && typeof r.start === 'string' && typeof r.end === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why: `tend history NAME -n N`. The last n runs (at most the KEEP_RUNS newest: the file may hold
 * up to twice as many until it is rewritten), oldest first; [] when the task never ran. A line
 * that is not a record (torn by a crash) is skipped and not counted.
 */
export async function readHistory(file: string, n: number): Promise<RunRecord[]> {
  n = Math.min(n, KEEP_RUNS);
  if (n <= 0) return [];
  let fh: FileHandle;
  try {
    fh = await openNoFollow(file, constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    for (let want = n; ; ) {
      const lines = await lastLines(fh, want);
      const out: RunRecord[] = [];
      for (const line of lines) {
        const r = parseLine(line);
        if (r) out.push(r);
      }
      // lines that were not records: read further back for as many (unless the file has no more)
      if (out.length >= n || lines.length < want) return out.slice(-n);
      want += n - out.length;
    }
  } finally {
    await fh.close();
  }
}

/** Why: the daemon appends each finished run of one task; appends are serialized per file. */
export class RunHistory {
  private lines: number | undefined; // counted at the first append
  private torn = false; // the file ends mid-line: the next append starts a new line first
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly keep = KEEP_RUNS,
  ) {}

  /** Appends one run; rewrites the file to the newest `keep` runs once it holds 2 x keep. */
  append(record: RunRecord): Promise<void> {
    const next = this.queue.then(() => this.write(record));
    this.queue = next.catch(() => {}); // a failed append does not block the ones after it
    return next;
  }

  private async write(record: RunRecord): Promise<void> {
    const fh = await openNoFollow(this.file, APPEND);
    try {
      if (this.lines === undefined) await this.count(fh);
      const line = `${this.torn ? '\n' : ''}${JSON.stringify(record)}\n`;
      await fh.write(line);
      this.torn = false;
      this.lines! += 1;
    } finally {
      await fh.close();
    }
    if (this.lines! >= 2 * this.keep) await this.compact();
  }

  /** Counts the lines already there (a streaming read: the file is at most ~2 x keep lines). */
  private async count(fh: FileHandle): Promise<void> {
    const block = Buffer.allocUnsafe(BLOCK);
    let pos = 0;
    let lines = 0;
    let last = 10;
    for (;;) {
      const { bytesRead } = await fh.read(block, 0, BLOCK, pos);
      if (bytesRead === 0) break;
      const got = block.subarray(0, bytesRead);
      for (let i = got.indexOf(10); i !== -1; i = got.indexOf(10, i + 1)) lines++;
      last = got[bytesRead - 1]!;
      pos += bytesRead;
    }
    this.lines = lines;
    this.torn = last !== 10;
  }

  /** The newest `keep` lines to a temp file beside it, then renamed over it (a reader sees one or the other). */
  private async compact(): Promise<void> {
    const fh = await openNoFollow(this.file, constants.O_RDONLY);
    let kept: string[];
    try {
      kept = await lastLines(fh, this.keep);
    } finally {
      await fh.close();
    }
    const tmp = `${this.file}.tmp-${process.pid}`;
    const out = await openNoFollow(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC);
    try {
      await out.write(kept.length ? `${kept.join('\n')}\n` : '');
      await out.sync();
    } catch (err) {
      await out.close();
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await out.close();
    await rename(tmp, this.file);
    this.lines = kept.length;
  }
}

/**
 * The last `n` runs of the instances `ids` from their files in `logDir`, oldest first; with
 * several instances (a replica set) each run says whose it was. The daemon's `tend history`, and
 * the client's with no daemon (the files are the record).
 */
export async function lastRuns(
  logDir: string,
  ids: readonly string[],
  n: number,
): Promise<Array<RunRecord & { instance?: string }>> {
  const read = await Promise.all(ids.map((id) => readHistory(historyFile(logDir, id), n)));
  const all = ids.length > 1 ? read.flatMap((runs, k) => runs.map((r) => ({ instance: ids[k]!, ...r }))) : read.flat();
  return all.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0)).slice(-n);
}

/** Why: the one refusal of `tend history` of a service that is not a task (the daemon's and the files' alike). */
export function notATask(service: string, type: string): TendError {
  return new TendError('bad_request', `history: ${service} is not a oneshot (type ${type}); only tasks keep a run history`);
}
