// The seek paths on a big log (64 MB here; bench/logs-query.js measures 1 GB): `-n 100` and
// `--since` read O(log size) blocks, never the whole file. Counted through ReadStats.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLog, genLine, genTime, GEN_LINE } from '../../src/logs/generate.js';
import type { LogEntry } from '../../src/logs/line-format.js';
import type { ReadStats } from '../../src/logs/log-files.js';
import { queryLogs, type LogQuery } from '../../src/logs/query.js';
import { compileRegex } from '../../src/logs/regex.js';
import { WINDOW } from '../../src/logs/seek.js';
import { tmp } from './helpers.js';

const LINES = Math.floor((64 * 1024 * 1024) / GEN_LINE); // 671,088 lines
const G = { t0: Date.UTC(2026, 11, 5, 10, 0, 0), msPerLine: 7 };
let dir: string;
let done: () => Promise<void>;
let file: string;

beforeAll(async () => {
  ({ dir, done } = await tmp());
  file = join(dir, 'big.log');
  generateLog({ file, lines: LINES, ...G });
});
afterAll(() => done());

async function run(q: LogQuery): Promise<{ lines: LogEntry[]; stats: ReadStats }> {
  const stats: ReadStats = { reads: 0, bytes: 0 };
  const r = await queryLogs([{ instance: 'big', file }], { ...q, stats });
  const lines: LogEntry[] = [];
  for await (const b of r.lines()) lines.push(...b);
  return { lines, stats };
}
const text = (l: LogEntry) => `${l.ts} ${l.stream === 'stdout' ? 'out' : 'err'} ${l.line.toString()}`;
const steps = Math.ceil(Math.log2((LINES * GEN_LINE) / WINDOW));

describe('queryLogs on a 64 MB log', () => {
  it('-n 100 reads one block from the end (counting lines back), then the lines', async () => {
    const { lines, stats } = await run({ n: 100 });
    expect(lines.map(text)).toEqual(Array.from({ length: 100 }, (_, i) => genLine(G, LINES - 100 + i)));
    expect(stats.reads).toBe(2);
    expect(stats.bytes).toBe(1024 * 1024 + 100 * GEN_LINE);
  });

  it('--since reads O(log size) small blocks, then only the lines asked for', async () => {
    const at = LINES - 8572; // about one minute back
    const { lines, stats } = await run({ since: genTime(G, at) });
    expect(lines).toHaveLength(8572);
    expect(text(lines[0]!)).toBe(genLine(G, at));
    expect(text(lines[8571]!)).toBe(genLine(G, LINES - 1));
    // the search: two reads a step at most, plus the walk and the file's first line
    expect(stats.reads).toBeLessThanOrEqual(2 * steps + 4 + 1);
    expect(stats.bytes).toBeLessThan(8572 * GEN_LINE + (2 * steps + 8) * WINDOW);
  });

  it('--since and --until in the middle read O(log size) blocks', async () => {
    const at = Math.floor(LINES / 3);
    const { lines, stats } = await run({ since: genTime(G, at), until: genTime(G, at + 9) });
    expect(lines.map(text)).toEqual(Array.from({ length: 10 }, (_, i) => genLine(G, at + i)));
    expect(stats.reads).toBeLessThanOrEqual(2 * (2 * steps + 5) + 1);
  });

  it('--grep over the whole file finds every match, and -n with it reads back only as far as needed', async () => {
    const grep = compileRegex('needle');
    const { lines } = await run({ grep });
    expect(lines).toHaveLength(Math.ceil(LINES / 1000));
    expect(lines.slice(0, 2).map(text)).toEqual([genLine(G, 0), genLine(G, 1000)]);
    const last = await run({ grep, n: 2 });
    expect(last.lines.map(text)).toEqual([genLine(G, 670_000), genLine(G, 671_000)]);
    expect(last.stats.bytes).toBeLessThanOrEqual(1024 * 1024);
    const re = compileRegex('seq=00000(12|34)5\\d7 ');
    expect((await run({ grep: re })).lines.map(text)).toEqual(
      [
        12507, 12517, 12527, 12537, 12547, 12557, 12567, 12577, 12587, 12597, 34507, 34517, 34527, 34537, 34547, 34557, 34567,
        34577, 34587, 34597,
      ].map((s) => genLine(G, s)),
    );
  });
});
