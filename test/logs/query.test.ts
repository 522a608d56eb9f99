import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateLog, genLine, genTime } from '../../src/logs/generate.js';
import type { LogEntry } from '../../src/logs/line-format.js';
import { queryLogs, type LogQuery, type LogSource } from '../../src/logs/query.js';
import { droppedMarker } from '../../src/logs/rotate.js';
import { compileRegex } from '../../src/logs/regex.js';
import { tmp } from './helpers.js';

let dir: string;
let done: () => Promise<void>;
beforeEach(async () => ({ dir, done } = await tmp()));
afterEach(() => done());

const T0 = Date.UTC(2026, 11, 5, 10, 0, 0);
const G = { t0: T0, msPerLine: 10 };

/** web.log.3 .. web.log.1, web.log: `per` generated lines each, seq 0.. in time order. */
function rotatedSet(name: string, files: number, per: number, g = G): string {
  const file = join(dir, `${name}.log`);
  let seq = 0;
  for (let i = files - 1; i >= 0; i--) {
    seq = generateLog({ file: i === 0 ? file : `${file}.${i}`, lines: per, firstSeq: seq, ...g });
  }
  return file;
}

async function all(sources: LogSource[], q: LogQuery): Promise<{ lines: LogEntry[]; gone: unknown[] }> {
  const r = await queryLogs(sources, q);
  const lines: LogEntry[] = [];
  for await (const b of r.lines()) lines.push(...b);
  return { lines, gone: r.gone };
}

/** the lines as in the file, back from entries */
const asFile = (lines: LogEntry[]) =>
  lines.map((e) => `${e.ts} ${e.stream === 'stdout' ? 'out' : e.stream === 'stderr' ? 'err' : 'log'} ${e.line.toString()}`);
const seqs = (from: number, to: number, g = G) => Array.from({ length: to - from }, (_, i) => genLine(g, from + i));

describe('queryLogs: last N', () => {
  it('reads the last lines of the live file, oldest first, with time and stream', async () => {
    const file = rotatedSet('web', 1, 50);
    const { lines } = await all([{ instance: 'web', file }], { n: 5 });
    expect(asFile(lines)).toEqual(seqs(45, 50));
    expect(lines.map((l) => l.instance)).toEqual(Array(5).fill('web'));
    expect(lines.map((l) => l.stream)).toEqual(['stdout', 'stdout', 'stdout', 'stdout', 'stderr']);
    expect(lines[0]!.ts).toBe(new Date(genTime(G, 45)).toISOString());
  });

  it('reaches back through the rotated files in order', async () => {
    const file = rotatedSet('web', 4, 1000);
    expect(asFile((await all([{ instance: 'web', file }], { n: 2500 })).lines)).toEqual(seqs(1500, 4000));
    expect(asFile((await all([{ instance: 'web', file }], {})).lines)).toEqual(seqs(0, 4000));
  });

  it('serves a large N by reading forwards again, with the same lines (past the collect budget)', async () => {
    const file = rotatedSet('web', 3, 60_000);
    const { lines } = await all([{ instance: 'web', file }], { n: 150_000 });
    expect(lines).toHaveLength(150_000);
    expect(asFile([lines[0]!, lines[149_999]!])).toEqual([genLine(G, 30_000), genLine(G, 179_999)]);
    expect(lines.every((l, i) => l.line.toString().includes(`seq=${String(30_000 + i).padStart(10, '0')} `))).toBe(true);
  });

  it('takes the last N matching lines with --grep', async () => {
    const file = rotatedSet('web', 3, 2000);
    const grep = compileRegex('needle');
    const { lines } = await all([{ instance: 'web', file }], { n: 3, grep });
    expect(asFile(lines)).toEqual([genLine(G, 3000), genLine(G, 4000), genLine(G, 5000)]);
    const re = compileRegex('SEQ=00000012\\d\\d ', { ignoreCase: true });
    expect(asFile((await all([{ instance: 'web', file }], { n: 2, grep: re })).lines)).toEqual(seqs(1298, 1300));
  });

  it('gives nothing for n 0 and for an instance without files', async () => {
    const file = rotatedSet('web', 1, 10);
    expect((await all([{ instance: 'web', file }], { n: 0 })).lines).toEqual([]);
    expect(await all([{ instance: 'db', file: join(dir, 'db.log') }], { n: 10 })).toEqual({ lines: [], gone: [] });
    expect(await all([{ instance: 'x', file: join(dir, 'nowhere', 'x.log') }], {})).toEqual({ lines: [], gone: [] });
  });
});

describe('queryLogs: --since / --until', () => {
  it('finds the first line at or after since, across files', async () => {
    const file = rotatedSet('web', 4, 1000);
    for (const at of [0, 1, 999, 1000, 1001, 2500, 3999]) {
      const { lines } = await all([{ instance: 'web', file }], { since: genTime(G, at) });
      expect(lines).toHaveLength(4000 - at);
      expect(asFile(lines.slice(0, 1))).toEqual([genLine(G, at)]);
    }
    // between two lines: the next one
    expect(asFile((await all([{ instance: 'web', file }], { since: genTime(G, 1234) + 3, n: 1 })).lines)).toEqual([
      genLine(G, 3999),
    ]);
    expect(asFile((await all([{ instance: 'web', file }], { since: genTime(G, 1234) + 3 })).lines.slice(0, 1))).toEqual([
      genLine(G, 1235),
    ]);
    expect((await all([{ instance: 'web', file }], { since: genTime(G, 4000) })).lines).toEqual([]);
  });

  it('stops at until (inclusive), and combines with since, -n and --grep', async () => {
    const file = rotatedSet('web', 3, 3000);
    const src = [{ instance: 'web', file }];
    expect(asFile((await all(src, { since: genTime(G, 2990), until: genTime(G, 3010) })).lines)).toEqual(seqs(2990, 3011));
    expect(asFile((await all(src, { until: genTime(G, 2) })).lines)).toEqual(seqs(0, 3));
    expect(asFile((await all(src, { until: genTime(G, 5000), n: 2 })).lines)).toEqual(seqs(4999, 5001));
    const grep = compileRegex('needle');
    expect(asFile((await all(src, { since: genTime(G, 1), until: genTime(G, 7000), grep })).lines)).toEqual(
      [1000, 2000, 3000, 4000, 5000, 6000, 7000].map((s) => genLine(G, s)),
    );
    expect(asFile((await all(src, { until: genTime(G, 7000) - 1, grep, n: 2 })).lines)).toEqual(
      [5000, 6000].map((s) => genLine(G, s)),
    );
  });

  it('starts at the first of several lines of the same millisecond', async () => {
    const g = { t0: T0, msPerLine: 0.25 };
    const file = rotatedSet('web', 2, 5000, g);
    const { lines } = await all([{ instance: 'web', file }], { since: genTime(g, 6001), until: genTime(g, 6001) });
    expect(asFile(lines)).toEqual(seqs(6000, 6004, g));
  });

  it('keeps lines without a time with the line before them, and reads the tend marker as stream log', async () => {
    const file = join(dir, 'odd.log');
    const t = (s: number) => new Date(T0 + s * 1000).toISOString();
    await writeFile(
      file,
      `${t(1)} out one\nnot a log line\n${t(2)} log 3 lines lost while the log was unwritable\n${t(3)} err three\n${t(4)} out partial`,
    );
    const { lines } = await all([{ instance: 'odd', file }], {});
    expect(lines.map((l) => [l.ts, l.stream, l.line.toString()])).toEqual([
      [t(1), 'stdout', 'one'],
      [t(1), 'log', 'not a log line'],
      [t(2), 'log', '3 lines lost while the log was unwritable'],
      [t(3), 'stderr', 'three'],
      [t(4), 'stdout', 'partial'],
    ]);
    expect((await all([{ instance: 'odd', file }], { n: 2 })).lines.map((l) => l.line.toString())).toEqual(['three', 'partial']);
    expect((await all([{ instance: 'odd', file }], { since: T0 + 2000 })).lines.map((l) => l.line.toString())).toEqual([
      '3 lines lost while the log was unwritable',
      'three',
      'partial',
    ]);
  });

  it('seeks past lines longer than a read window (a 256 KiB piece)', async () => {
    const file = join(dir, 'long.log');
    const t = (s: number) => new Date(T0 + s * 1000).toISOString();
    let text = '';
    for (let s = 0; s < 40; s++)
      text += `${t(s)} out ${String(s).padStart(3, '0')} ${'y'.repeat(s % 3 === 0 ? 256 * 1024 : 10)}\n`;
    await writeFile(file, text);
    for (const s of [0, 1, 3, 17, 39]) {
      const { lines } = await all([{ instance: 'long', file }], { since: T0 + s * 1000 });
      expect(lines).toHaveLength(40 - s);
      expect(lines[0]!.line.subarray(0, 3).toString()).toBe(String(s).padStart(3, '0'));
      expect(lines[0]!.ts).toBe(t(s));
    }
  });
});

describe('queryLogs: backwards and forwards agree', () => {
  it('on empty lines, lines across blocks, a line of several blocks, no final newline, and rotated files', async () => {
    const file = join(dir, 'mix.log');
    const t = (s: number) => new Date(T0 + s).toISOString();
    const texts: string[] = [];
    let body = '';
    for (let i = 0; i < 2000; i++) {
      const len = i === 700 || i === 1500 ? 2 * 1024 * 1024 + 17 : i % 97 === 0 ? 0 : (i * 7919) % 3000;
      const text = len === 0 ? '' : `${i} ${'z'.repeat(len)}`;
      texts.push(text);
      body += `${t(i)} ${i % 2 ? 'err' : 'out'} ${text}\n`;
    }
    const cut = body.lastIndexOf('\n', body.length / 2 + 1234) + 1;
    await writeFile(`${file}.1`, body.slice(0, cut));
    await writeFile(file, body.slice(cut, -1)); // no final newline
    const src = [{ instance: 'mix', file }];
    const forward = (await all(src, {})).lines.map((l) => l.line.toString());
    expect(forward).toEqual(texts);
    const everything = compileRegex('(?:)');
    const back = (await all(src, { n: 5000, grep: everything })).lines.map((l) => l.line.toString());
    expect(back).toEqual(texts);
    expect((await all(src, { n: 1234, grep: everything })).lines.map((l) => l.line.toString())).toEqual(texts.slice(-1234));
    expect((await all(src, { n: 1234 })).lines.map((l) => l.line.toString())).toEqual(texts.slice(-1234));
  }, 60_000);
});

describe('queryLogs: several instances', () => {
  it('merges by time, oldest first, and takes the last N of the merge', async () => {
    const ga = { t0: T0, msPerLine: 10 };
    const gb = { t0: T0 + 5, msPerLine: 20 }; // b's lines fall between a's
    const a = join(dir, 'web-1.log');
    const b = join(dir, 'web-2.log');
    generateLog({ file: a, lines: 1000, ...ga });
    generateLog({ file: b, lines: 500, ...gb });
    const src = [
      { instance: 'web-1', file: a },
      { instance: 'web-2', file: b },
    ];
    const { lines } = await all(src, {});
    expect(lines).toHaveLength(1500);
    const sorted = [...lines].sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : x.instance < y.instance ? -1 : 1));
    expect(lines).toEqual(sorted);
    const last = await all(src, { n: 4 });
    // a at 10 ms steps (last 9990), b at 5 + 20 ms steps (last 9985): the 4 newest
    expect(last.lines.map((l) => [l.instance, l.line.toString().slice(0, 14)])).toEqual([
      ['web-1', 'seq=0000000997'],
      ['web-1', 'seq=0000000998'],
      ['web-2', 'seq=0000000499'],
      ['web-1', 'seq=0000000999'],
    ]);
    const times = last.lines.map((l) => l.ts);
    expect(times).toEqual([...times].sort());
    const all4 = lines.slice(-4);
    expect(last.lines.map((l) => [l.instance, l.line.toString()])).toEqual(all4.map((l) => [l.instance, l.line.toString()]));
    // a big N over the merge reads forward again: same as the tail of the whole merge
    const many = await all(src, { n: 1400 });
    expect(many.lines.map((l) => l.ts + l.instance)).toEqual(lines.slice(-1400).map((l) => l.ts + l.instance));
  });
});

describe('queryLogs: lines rotated away', () => {
  it('says when the range asked for reaches past the oldest file kept', async () => {
    const file = rotatedSet('web', 3, 100); // web.log.2, web.log.1, web.log
    const src = [{ instance: 'web', file }];
    const first = new Date(genTime(G, 0)).toISOString();
    // no rotation deleted lines (no marker): web.log.2 holds the first line ever (it said "gone"
    // whenever web.log.KEEP existed)
    expect((await all(src, { n: 1000 })).gone).toEqual([]);
    expect((await all(src, {})).gone).toEqual([]);
    // a rotation deleted the files before web.log.2 (rotate.ts leaves the marker)
    await writeFile(droppedMarker(file), '');
    expect((await all(src, { n: 1000 })).gone).toEqual([{ instance: 'web', before: first }]);
    expect((await all(src, { n: 300 })).gone).toEqual([]);
    expect((await all(src, { since: T0 - 60_000 })).gone).toEqual([{ instance: 'web', before: first }]);
    expect((await all(src, { since: genTime(G, 5) })).gone).toEqual([]);
    expect((await all(src, {})).gone).toEqual([{ instance: 'web', before: first }]);
  });
});

describe('queryLogs: a live file', () => {
  it('reads what was there when asked: lines appended meanwhile are not part of it', async () => {
    const file = rotatedSet('web', 1, 3000);
    const r = await queryLogs([{ instance: 'web', file }], {});
    await appendFile(file, `${genLine(G, 3000)}\n`);
    let count = 0;
    for await (const b of r.lines()) count += b.length;
    expect(count).toBe(3000);
  });
});

describe('queryLogs: from a mark (a follower catching up)', () => {
  const t1 = T0 + 1000;
  const iso = (t: number) => new Date(t).toISOString();
  async function sameMs(): Promise<string> {
    const file = join(dir, 'web.log');
    const rows: Array<[number, string]> = [
      [t1, 'a'],
      [t1, 'b'],
      [t1, 'c'],
      [t1 + 1, 'd'],
      [t1 + 1, 'e'],
      [t1 + 7, 'f'],
    ];
    await writeFile(file, rows.map(([t, l]) => `${iso(t)} out ${l}\n`).join(''));
    return file;
  }
  const text = (lines: LogEntry[]) => lines.map((e) => e.line.toString()).join('');

  it('starts after the first `count` lines of `time`, and ends at upTo', async () => {
    const file = await sameMs();
    const read = async (from: { time: number; count: number }, upTo?: { time: number; count: number }) =>
      text((await all([{ instance: 'web', file, from, upTo }], {})).lines);
    expect(await read({ time: t1, count: 2 }, { time: t1 + 1, count: 1 })).toBe('cd');
    expect(await read({ time: t1, count: 0 })).toBe('abcdef');
    expect(await read({ time: t1, count: 3 })).toBe('def');
    expect(await read({ time: t1 + 1, count: 2 })).toBe('f');
    expect(await read({ time: t1 + 7, count: 1 })).toBe('');
    expect(await read({ time: t1 + 3, count: 0 })).toBe('f');
    // with --grep: the matching lines of that range
    const q = { grep: compileRegex('[ace]', { ignoreCase: false }) };
    expect(text((await all([{ instance: 'web', file, from: { time: t1, count: 1 } }], q)).lines)).toBe('ce');
  });

  it('says lines are gone when the mark is older than the oldest line kept, after a rotation dropped some', async () => {
    const file = await sameMs();
    const gone = async (time: number) => (await all([{ instance: 'web', file, from: { time, count: 0 } }], {})).gone;
    expect(await gone(t1 - 5)).toEqual([]); // nothing was ever dropped
    await writeFile(droppedMarker(file), '');
    expect(await gone(t1 - 5)).toEqual([{ instance: 'web', before: iso(t1) }]);
    // the mark's own millisecond is the first one kept: some of it may have gone with the file deleted
    expect(await gone(t1)).toEqual([{ instance: 'web', before: iso(t1) }]);
    expect(await gone(t1 + 1)).toEqual([]);
    // nothing left at all (keep 0, rotated just now): what lay between the two marks went
    await writeFile(file, '');
    const empty = async (upTo: { time: number; count: number }) =>
      (await all([{ instance: 'web', file, from: { time: t1, count: 2 }, upTo }], {})).gone;
    expect(await empty({ time: t1 + 9, count: 1 })).toEqual([{ instance: 'web', before: iso(t1 + 9) }]);
    expect(await empty({ time: t1, count: 2 })).toEqual([]);
  });
});
