import { describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/control/wire.js';
import {
  cellText,
  clip,
  cutMiddle,
  fit,
  fitNames,
  formatBytes,
  formatDuration,
  layoutColumns,
  tableWidth,
  uptimeOf,
} from '../../src/shell/top-table.js';

const row = (over: Partial<StatusRow> = {}): StatusRow => ({
  name: 'web',
  state: 'running',
  pid: 4242,
  restarts: 2,
  exit_code: null,
  since: '2024-01-01T00:00:00.000Z',
  cpu: 12.345,
  memory: 50 * 1024 * 1024,
  ...over,
});
const keys = (width: number, rows = [row()]) => layoutColumns(rows, width).columns.map((c) => c.key);

describe('layoutColumns', () => {
  it('shows every column when there is room', () => {
    expect(keys(100)).toEqual(['name', 'state', 'pid', 'uptime', 'restarts', 'cpu', 'memory']);
    expect(layoutColumns([row()], 100).gap).toBe(2);
  });
  it('fits 60 columns: narrower gaps and name first, then drops pid', () => {
    const long = [row({ name: 'a-rather-long-service-name.12' })];
    for (const rows of [[row()], long]) {
      const { columns, gap } = layoutColumns(rows, 60);
      expect(tableWidth(columns, gap)).toBeLessThanOrEqual(60);
      expect(columns.find((c) => c.key === 'name')!.width).toBeGreaterThanOrEqual(4);
    }
    expect(keys(60)).toContain('state');
  });
  it('drops columns in order as the width shrinks, never below NAME and STATE', () => {
    expect(keys(50)).toEqual(['name', 'state', 'uptime', 'restarts', 'cpu', 'memory']);
    expect(keys(40)).toEqual(['name', 'state', 'restarts', 'cpu', 'memory']);
    expect(keys(30)).toEqual(['name', 'state', 'cpu', 'memory']);
    expect(keys(20)).toEqual(['name', 'state']);
    const tiny = layoutColumns([row()], 5);
    expect(tiny.columns.map((c) => c.key)).toEqual(['name', 'state']);
    expect(tiny.columns[0]!.width).toBe(1);
  });
  it('every width from 20 to 120 fits', () => {
    for (let w = 20; w <= 120; w++) {
      const { columns, gap } = layoutColumns([row({ name: 'x'.repeat(40) })], w);
      expect(tableWidth(columns, gap)).toBeLessThanOrEqual(w);
    }
  });
});

describe('the name column', () => {
  const named = (...names: string[]) => names.map((name) => row({ name }));
  const nameWidth = (rows: StatusRow[], width: number) => layoutColumns(rows, width).columns.find((c) => c.key === 'name')!.width;
  it('is as wide as the longest name, up to a third of the width, and the other columns make room', () => {
    const long = named('payments-worker-eu-west.1', 'payments-worker-eu-west.2');
    expect(nameWidth(long, 120)).toBe(25);
    expect(nameWidth(long, 80)).toBe(25);
    expect(keys(80, long)).toEqual(['name', 'state', 'pid', 'uptime', 'restarts', 'cpu', 'memory']);
    // with NEXT RUN too, PID goes rather than the names
    const tasks = long.map((r) => ({ ...r, next_run: '2024-01-01T00:00:00.000Z' }));
    expect(keys(80, tasks)).toEqual(['name', 'state', 'uptime', 'restarts', 'cpu', 'memory', 'next']);
    expect(nameWidth(tasks, 80)).toBe(25);
    expect(nameWidth(tasks, 60)).toBe(20);
    expect(nameWidth(named('x'.repeat(90)), 200)).toBe(66);
    // never under 10 while there is room, and short names take what they need
    expect(nameWidth(named('a-long-service-name'), 24)).toBe(10);
    expect(nameWidth(named('db'), 120)).toBe(4);
  });
});

describe('fitNames', () => {
  it('leaves names that fit as they are', () => {
    expect(fitNames(['db', 'web.1'], 5)).toEqual(['db', 'web.1']);
  });
  it('cuts in the middle, keeping the end: a replica suffix stays', () => {
    expect(cutMiddle('payments-worker-eu-west.1', 18)).toBe('payments…eu-west.1');
    expect(cutMiddle('payments-worker-eu-west.1', 3)).toBe('p…1');
    expect(cutMiddle('abc', 3)).toBe('abc');
    expect(cutMiddle('abcdef', 2)).toBe('a…');
    expect(fitNames(['payments-worker-eu-west.1', 'payments-worker-eu-west.2'], 18)).toEqual([
      'payments…eu-west.1',
      'payments…eu-west.2',
    ]);
  });
  it('moves the cut when the middle one makes two names alike', () => {
    // the same end and the same beginning: only a cut showing more of the end tells them apart
    const names = ['eu-alpha-service-one-worker.1', 'eu-alpha-service-two-worker.1'];
    const shown = fitNames(names, 14);
    expect(new Set(shown).size).toBe(2);
    for (const s of shown) expect([...s]).toHaveLength(14);
    expect(shown.every((s) => s.endsWith('-worker.1'))).toBe(true);
    // no middle cut can: a window where they differ
    expect(fitNames(['aXXXXXb', 'aYYYYYb'], 3)).toEqual(['…X…', '…Y…']);
  });
  it('gives each group of alike names a cut of its own: two groups needing two cuts kept every row apart', () => {
    const alpha = ['alpha-region-one-service-common-tail-name', 'alpha-region-two-service-common-tail-name'];
    const mid = [`${'a'.repeat(29)}x${'a'.repeat(29)}`, `${'a'.repeat(29)}y${'a'.repeat(29)}`];
    for (const width of [26, 12]) {
      const shown = fitNames([...alpha, ...mid, 'db'], width);
      expect(new Set(shown).size, shown.join(' | ')).toBe(5);
      for (const s of shown.slice(0, 4)) expect([...s]).toHaveLength(width);
      expect(shown.slice(0, 2)).toEqual(fitNames(alpha, width)); // as when alone
      expect(shown[4]).toBe('db');
    }
  });
});

describe('cells', () => {
  const now = Date.parse('2024-01-01T01:02:03.000Z');
  it('formats each column', () => {
    const r = row();
    expect(['name', 'state', 'pid', 'uptime', 'restarts', 'cpu', 'memory'].map((k) => cellText(r, k as never, now))).toEqual([
      'web',
      'running',
      '4242',
      '1h02m',
      '2',
      '12.3',
      '50M',
    ]);
  });
  it('shows - for unknowns', () => {
    const r = row({ state: 'stopped', pid: null, cpu: null, memory: null });
    expect(cellText(r, 'pid', now)).toBe('-');
    expect(cellText(r, 'uptime', now)).toBe('-');
    expect(cellText(r, 'cpu', now)).toBe('-');
    expect(cellText(r, 'memory', now)).toBe('-');
  });
  it('prefers the daemon uptime', () => {
    expect(uptimeOf(row({ uptime_ms: 5000 }), now)).toBe(5000);
    expect(uptimeOf(row({ since: 'garbage' }), now)).toBeNull();
  });
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [42_000, '42s'],
    [303_000, '5m03s'],
    [7_500_000, '2h05m'],
    [273_600_000, '3d04h'],
  ])('formatDuration(%i) = %s', (ms, s) => expect(formatDuration(ms)).toBe(s));
  it.each([
    [812, '812B'],
    [4300, '4.2K'],
    [512 * 1024 * 1024, '512M'],
    [1.5 * 1024 ** 3, '1.5G'],
  ])('formatBytes(%i) = %s', (n, s) => expect(formatBytes(n)).toBe(s));
  it('formatters reject junk', () => {
    expect(formatDuration(null)).toBe('-');
    expect(formatDuration(-1)).toBe('-');
    expect(formatBytes(undefined)).toBe('-');
    expect(formatBytes(Number.NaN)).toBe('-');
  });
  it('fit pads, aligns and truncates with an ellipsis', () => {
    expect(fit('ab', 4)).toBe('ab  ');
    expect(fit('ab', 4, 'right')).toBe('  ab');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('abc', 0)).toBe('');
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abc', 4)).toBe('abc');
  });
});
