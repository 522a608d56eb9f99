// The run history on disk (real files in a fresh tmp dir): append, bound, read from the end,
// a torn last line, a symlink refused.
import { appendFile, mkdtemp, open, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KEEP_RUNS, RunHistory, historyFile, readHistory, runExit, runRecord, type RunRecord } from '../../src/tasks/history.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tend-runs-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2025-05-01T10:00:00.000Z');
/** Run i: started at T0 + i minutes, took i seconds, exit code i % 2. */
const run = (i: number, reason = `exited with code ${i % 2}`): RunRecord =>
  runRecord({
    start: T0 + i * 60_000,
    end: T0 + i * 60_000 + i * 1000,
    exit: { kind: 'exited', code: i % 2 },
    trigger: 'schedule',
    result: i % 2 ? 'failed' : 'completed',
    reason,
  });
const lines = async (f: string) => (await readFile(f, 'utf8')).split('\n').filter((l) => l !== '');

describe('runRecord / runExit', () => {
  it('builds the stored line from epoch times and an Exit', () => {
    expect(run(3)).toEqual({
      start: '2025-05-01T10:03:00.000Z',
      end: '2025-05-01T10:03:03.000Z',
      duration_ms: 3000,
      exit: { code: 1 },
      trigger: 'schedule',
      result: 'failed',
      reason: 'exited with code 1',
    });
  });

  it.each([
    [{ kind: 'exited', code: 0 }, { code: 0 }],
    [{ kind: 'signaled', signal: 'SIGKILL' }, { signal: 'SIGKILL' }],
    [{ kind: 'spawn-error', message: 'spawn nope ENOENT' }, { spawn_error: 'spawn nope ENOENT' }],
    [{ kind: 'lost' }, { lost: true }],
  ] as const)('%j', (exit, stored) => {
    expect(runExit(exit)).toEqual(stored);
  });

  it('names the file NAME.runs in log_dir', () => {
    expect(historyFile('/var/log/tend', 'backup')).toBe('/var/log/tend/backup.runs');
    expect(historyFile('/var/log/tend', 'web.2')).toBe('/var/log/tend/web.2.runs');
    expect(() => historyFile('/var/log/tend', '../etc/passwd')).toThrow('history: not a task name: "../etc/passwd"');
    expect(() => historyFile('/var/log/tend', 'a/b')).toThrow('not a task name');
  });
});

describe('RunHistory.append + readHistory', () => {
  it('appends one JSON line a run; reads the last n, oldest first', async () => {
    const f = historyFile(dir, 'backup');
    const h = new RunHistory(f);
    for (const i of [1, 2, 3]) await h.append(run(i));
    expect(await lines(f)).toEqual([1, 2, 3].map((i) => JSON.stringify(run(i))));
    expect(await readHistory(f, 2)).toEqual([run(2), run(3)]);
    expect(await readHistory(f, 10)).toEqual([run(1), run(2), run(3)]);
    expect(await readHistory(f, 0)).toEqual([]);
    expect((await stat(f)).mode & 0o777).toBe(0o644);
  });

  it('a task that never ran has an empty history', async () => {
    expect(await readHistory(join(dir, 'nothing.runs'), 5)).toEqual([]);
  });

  it('appends made at once land whole and in order', async () => {
    const f = historyFile(dir, 'busy');
    const h = new RunHistory(f);
    await Promise.all(Array.from({ length: 50 }, (_, i) => h.append(run(i))));
    expect(await readHistory(f, 100)).toEqual(Array.from({ length: 50 }, (_, i) => run(i)));
  });

  it('a second writer (tend restarted) goes on appending to the same file', async () => {
    const f = historyFile(dir, 'backup');
    await new RunHistory(f).append(run(1));
    await new RunHistory(f).append(run(2));
    expect(await readHistory(f, 5)).toEqual([run(1), run(2)]);
  });
});

describe('a torn last line (tend died mid-write)', () => {
  it('is left out by the reader', async () => {
    const f = historyFile(dir, 'torn');
    await writeFile(f, `${JSON.stringify(run(1))}\n${JSON.stringify(run(2))}\n{"start":"2025-05-01T1`);
    expect(await readHistory(f, 5)).toEqual([run(1), run(2)]);
    expect(await readHistory(f, 1)).toEqual([run(2)]);
  });

  it('the next append starts a line of its own', async () => {
    const f = historyFile(dir, 'torn');
    await writeFile(f, `${JSON.stringify(run(1))}\n{"start":"2025-05-01T1`);
    await new RunHistory(f).append(run(2));
    expect(await readHistory(f, 5)).toEqual([run(1), run(2)]);
    expect(await lines(f)).toEqual([JSON.stringify(run(1)), '{"start":"2025-05-01T1', JSON.stringify(run(2))]);
  });

  it('a line that is not a record is skipped, and not counted: -n 2 gives two runs', async () => {
    const f = historyFile(dir, 'junk');
    await writeFile(f, `${JSON.stringify(run(1))}\nnot json\n[1,2]\n${JSON.stringify(run(2))}\n{"start":"2025-05-01T1\n`);
    expect(await readHistory(f, 5)).toEqual([run(1), run(2)]);
    expect(await readHistory(f, 2)).toEqual([run(1), run(2)]);
    expect(await readHistory(f, 1)).toEqual([run(2)]);
  });
});

describe('symlinks are refused', () => {
  it('append does not write through a symlink', async () => {
    const target = join(dir, 'elsewhere');
    await writeFile(target, 'precious\n');
    const f = historyFile(dir, 'evil');
    await symlink(target, f);
    await expect(new RunHistory(f).append(run(1))).rejects.toThrow(
      `${f}: is a symbolic link; tend does not follow it for a task history`,
    );
    expect(await readFile(target, 'utf8')).toBe('precious\n');
  });

  it('nor does the reader read through one', async () => {
    const target = join(dir, 'elsewhere');
    await writeFile(target, `${JSON.stringify(run(1))}\n`);
    const f = historyFile(dir, 'evil');
    await symlink(target, f);
    await expect(readHistory(f, 5)).rejects.toThrow('is a symbolic link');
  });

  it('a failed append does not stop the next ones', async () => {
    const f = historyFile(dir, 'evil');
    await symlink(join(dir, 'elsewhere'), f);
    const h = new RunHistory(f);
    await expect(h.append(run(1))).rejects.toThrow('symbolic link');
    await rm(f);
    await h.append(run(2));
    expect(await readHistory(f, 5)).toEqual([run(2)]);
  });
});

describe('bounded: rewritten to the newest `keep` runs when it holds twice as many', () => {
  it('keep 5: grows to 9 lines, the 10th append rewrites it to the newest 5', async () => {
    const f = historyFile(dir, 'small');
    const h = new RunHistory(f, 5);
    for (let i = 1; i <= 9; i++) await h.append(run(i));
    expect((await lines(f)).length).toBe(9);
    await h.append(run(10));
    expect(await readHistory(f, 100)).toEqual([6, 7, 8, 9, 10].map((i) => run(i)));
    for (let i = 11; i <= 14; i++) await h.append(run(i));
    expect((await lines(f)).length).toBe(9);
    await h.append(run(15));
    expect(await readHistory(f, 100)).toEqual([11, 12, 13, 14, 15].map((i) => run(i)));
    expect(await readdir(dir)).toEqual(['small.runs']); // no temp file left
  });

  it('counts the lines already there when tend restarts', async () => {
    const f = historyFile(dir, 'small');
    await writeFile(f, [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `${JSON.stringify(run(i))}\n`).join(''));
    await new RunHistory(f, 5).append(run(10));
    expect(await readHistory(f, 100)).toEqual([6, 7, 8, 9, 10].map((i) => run(i)));
  });
});

describe('at most the newest KEEP_RUNS', () => {
  it('a file holding more (until it is rewritten) gives the newest 1000, however many are asked for', async () => {
    const f = historyFile(dir, 'many');
    await writeFile(f, Array.from({ length: 1500 }, (_, i) => `${JSON.stringify(run(i))}\n`).join(''));
    const got = await readHistory(f, 5000);
    expect([got.length, got[0], got.at(-1)]).toEqual([KEEP_RUNS, run(500), run(1499)]);
  });
});

describe('reading from the end', () => {
  it('reads a few blocks of a large file, not the whole of it', async () => {
    const f = historyFile(dir, 'big');
    const filler = `${JSON.stringify(run(0, 'x'.repeat(900)))}\n`;
    await writeFile(f, filler.repeat(20_000)); // ~19 MB
    await appendFile(f, [1, 2, 3].map((i) => `${JSON.stringify(run(i))}\n`).join(''));
    const probe = await open(f, 'r');
    const proto = Object.getPrototypeOf(probe) as { read: (...a: unknown[]) => Promise<{ bytesRead: number }> };
    await probe.close();
    let bytes = 0;
    const real = proto.read;
    vi.spyOn(proto, 'read').mockImplementation(async function (this: unknown, ...a: unknown[]) {
      const r = await real.apply(this, a);
      bytes += r.bytesRead;
      return r;
    });
    expect(await readHistory(f, 3)).toEqual([run(1), run(2), run(3)]);
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
    expect(bytes).toBeGreaterThan(0);
  });

  it('a line longer than a read block, with multi-byte text across the block edges, comes back whole', async () => {
    const f = historyFile(dir, 'long');
    const long = run(2, `déjà vu ${'é'.repeat(100_000)} fin`);
    const h = new RunHistory(f);
    await h.append(run(1));
    await h.append(long);
    await h.append(run(3));
    expect(await readHistory(f, 2)).toEqual([long, run(3)]);
    expect(await readHistory(f, 3)).toEqual([run(1), long, run(3)]);
  });
});
