import { readFile, stat, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onLocalFs } from '../../src/logs/file.js';
import { queryLogs } from '../../src/logs/query.js';
import { linesDropped, rotateFiles } from '../../src/logs/rotate.js';
import { ServiceLog } from '../../src/logs/sink.js';
import { fileLines, logFiles, payload, runInto, tmp } from './helpers.js';

let dir: string;
let done: () => Promise<void>;
beforeEach(async () => ({ dir, done } = await tmp()));
afterEach(() => done());

/** A child writing `n` numbered lines of varying length, stdout and stderr mixed. */
const numbered = (n: number) => `
  let s = '', e = '';
  for (let i = 0; i < ${n}; i++) {
    const line = 'n' + i + ' ' + 'z'.repeat(i % 50) + '\\n';
    if (i % 7 === 0) e += line; else s += line;
    if (s.length > 8192) { process.stdout.write(s); s = ''; }
    if (e.length > 8192) { process.stderr.write(e); e = ''; }
  }
  process.stdout.write(s); process.stderr.write(e);`;

/** The last n lines of a log and its rotated files as they are in the file (`ISO tag text`), through the reader of `tend logs`. */
async function readLogLines(file: string, n: number): Promise<string[]> {
  const r = await queryLogs([{ instance: 'x', file }], { n });
  const out: string[] = [];
  const tag = { stdout: 'out', stderr: 'err', log: 'log' } as const;
  for await (const batch of r.lines()) for (const e of batch) out.push(`${e.ts} ${tag[e.stream]} ${e.line.toString('utf8')}`);
  return out;
}

function numbersOf(lines: Buffer[]): number[] {
  return lines.map((l) => Number(/^n(\d+) /.exec(payload(l).toString())![1]));
}

describe('log rotation', () => {
  // written in place (a local file, as in production here) and through the thread pool (a network
  // filesystem's way, or after a slow write)
  it.each([
    ['in place', true],
    ['through the thread pool', false],
  ])(
    'under load, keeps every line exactly once across NAME.log, .1, .2 ... each within max_size (%s)',
    async (_, inPlace) => {
      const file = `${dir}/busy.log`;
      const maxSize = 64 * 1024;
      const log = new ServiceLog({ file, maxSize, keep: 1000, inPlace });
      const count = 100_000;
      expect(await runInto(log, numbered(count)).exited).toBe(0);
      await log.close();
      const files = await logFiles(dir, 'busy.log');
      expect(files.length).toBeGreaterThan(40);
      const seen = new Map<'out' | 'err', number[]>([
        ['out', []],
        ['err', []],
      ]);
      for (const f of files) {
        expect((await stat(f)).size).toBeLessThanOrEqual(maxSize);
        for (const l of await fileLines(f)) {
          seen.get(l.toString('latin1', 25, 28) as 'out' | 'err')!.push(numbersOf([l])[0]!);
        }
      }
      const all = Array.from({ length: count }, (_, i) => i);
      expect(seen.get('out')).toEqual(all.filter((i) => i % 7 !== 0));
      expect(seen.get('err')).toEqual(all.filter((i) => i % 7 === 0));
      // readLogLines reaches back into the rotated files when the live one is short
      const last = await readLogLines(file, 3000);
      expect(last).toHaveLength(3000);
      const lastNums = last.map((s) => Number(/ n(\d+) /.exec(s)![1]));
      expect(new Set(lastNums).size).toBe(3000);
      expect(Math.max(...lastNums)).toBe(count - 1);
    },
    60_000,
  );

  it('keeps at most `keep` old files, deleting the oldest', async () => {
    const file = `${dir}/small.log`;
    const log = new ServiceLog({ file, maxSize: 4096, keep: 3 });
    for (let i = 0; i < 2000; i++) log.write('stdout', Buffer.from(`n${i} ${'q'.repeat(i % 40)}\n`));
    await log.close();
    const files = (await logFiles(dir, 'small.log')).filter((f) => !f.endsWith('.dropped'));
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['small.log.3', 'small.log.2', 'small.log.1', 'small.log']);
    // lines were deleted: the marker says so to readers (`tend logs`: "older lines are gone")
    expect(await linesDropped(file)).toBe(true);
    const nums: number[] = [];
    for (const f of files) nums.push(...numbersOf(await fileLines(f)));
    // what is left is the newest lines, contiguous, up to the last one
    expect(nums[nums.length - 1]).toBe(1999);
    expect(nums).toEqual(Array.from({ length: nums.length }, (_, i) => 2000 - nums.length + i));
    expect(nums.length).toBeLessThan(2000);
  });

  it('keep 0 with max_size truncates in place', async () => {
    const file = `${dir}/k0.log`;
    const log = new ServiceLog({ file, maxSize: 1000, keep: 0 });
    for (let i = 0; i < 500; i++) log.write('stdout', Buffer.from(`n${i} \n`));
    await log.close();
    expect((await logFiles(dir, 'k0.log')).sort()).toEqual([file, `${file}.dropped`]);
    const nums = numbersOf(await fileLines(file));
    expect(nums[nums.length - 1]).toBe(499);
    expect((await stat(file)).size).toBeLessThanOrEqual(1000);
  });
});

describe('a lower keep than before', () => {
  it('deletes the old files past it at the next rotation, and says lines were dropped', async () => {
    const file = `${dir}/k.log`;
    for (const [i, text] of ['5', '4', '3', '2', '1'].entries())
      await writeFile(i === 0 ? `${file}.5` : `${file}.${5 - i}`, `${text}\n`);
    await writeFile(file, 'live\n');
    await rotateFiles(file, 2);
    const there = async (name: string) =>
      stat(name).then(
        () => true,
        () => false,
      );
    expect(await Promise.all([1, 2, 3, 4, 5].map((i) => there(`${file}.${i}`)))).toEqual([true, true, false, false, false]);
    expect(await readFile(`${file}.1`, 'utf8')).toBe('live\n');
    expect(await readFile(`${file}.2`, 'utf8')).toBe('1\n');
    expect(await linesDropped(file)).toBe(true);
  });
});

describe('the dropped marker', () => {
  it('is left by the first rotation that deletes lines, not by those that only shift (keep 2)', async () => {
    const file = `${dir}/m.log`;
    const write = (text: string) => writeFile(file, text);
    await write('a\n');
    await rotateFiles(file, 2);
    await write('b\n');
    await rotateFiles(file, 2);
    expect(await linesDropped(file)).toBe(false); // m.log.2 = a, m.log.1 = b: nothing deleted
    await write('c\n');
    await rotateFiles(file, 2);
    expect(await linesDropped(file)).toBe(true); // a is gone
  });

  it('keep 0: by a rotation that deletes the live file, not by one with no file', async () => {
    const file = `${dir}/z.log`;
    await rotateFiles(file, 0);
    expect(await linesDropped(file)).toBe(false);
    await writeFile(file, 'a\n');
    await rotateFiles(file, 0);
    expect(await linesDropped(file)).toBe(true);
  });
});

describe('reading the last lines back (queryLogs)', () => {
  it('reads the last n lines from the end of a file, and [] for a missing file', async () => {
    const file = `${dir}/r.log`;
    const log = new ServiceLog({ file, maxSize: 0, keep: 0 });
    // long enough to need several 64 KiB blocks read backwards
    for (let i = 0; i < 30_000; i++) log.write('stderr', Buffer.from(`line ${i} ${'é'.repeat(i % 5)}\n`));
    log.write('stdout', Buffer.from('no newline'));
    await log.close();
    const last = await readLogLines(file, 5);
    expect(last.map((s) => s.slice(25))).toEqual([
      'err line 29996 é',
      'err line 29997 éé',
      'err line 29998 ééé',
      'err line 29999 éééé',
      'out no newline',
    ]);
    expect(await readLogLines(file, 100_000)).toHaveLength(30_001);
    expect(await readLogLines(`${dir}/missing.log`, 10)).toEqual([]);
  });
});

describe('where log files are written in place', () => {
  it('a local filesystem is; /proc (not in the list) and a missing path are not', () => {
    // the test folder is on this machine's disk or tmpfs
    expect(onLocalFs(dir)).toBe(true);
    expect(onLocalFs('/proc/self')).toBe(false);
    expect(onLocalFs(`${dir}/no/such/file`)).toBe(false);
  });
});
