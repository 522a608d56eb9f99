import { describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/control/wire.js';
import {
  cellText,
  clip,
  fit,
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
