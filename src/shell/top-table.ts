// The `top` table as plain data: which columns fit a width, and each row's cell text. At narrow
// widths gaps shrink, the name column shrinks, then whole columns drop in a fixed order.
import { formatBytes as coreBytes, formatDuration as coreDuration } from '../core/describe.js';
import type { StatusRow } from '../control/wire.js';

/** The columns `top` can show. */
export type ColumnKey = 'name' | 'state' | 'pid' | 'uptime' | 'restarts' | 'cpu' | 'memory' | 'next';

/** One laid-out column. */
export interface TopColumn {
  key: ColumnKey;
  title: string;
  width: number;
  align: 'left' | 'right';
}

const FIXED: TopColumn[] = [
  { key: 'state', title: 'STATE', width: 9, align: 'left' },
  { key: 'pid', title: 'PID', width: 7, align: 'right' },
  { key: 'uptime', title: 'UPTIME', width: 7, align: 'right' },
  { key: 'restarts', title: 'RESTARTS', width: 8, align: 'right' },
  { key: 'cpu', title: 'CPU%', width: 6, align: 'right' },
  { key: 'memory', title: 'MEMORY', width: 7, align: 'right' },
];
/** The next run of each scheduled task: shown when some row has one. */
const NEXT: TopColumn = { key: 'next', title: 'NEXT RUN', width: 9, align: 'right' };
/** Columns given up first when the terminal is too narrow. */
const DROP_ORDER: ColumnKey[] = ['pid', 'uptime', 'restarts', 'next', 'memory', 'cpu'];
const NAME_MIN = 10;
const NAME_MAX = 32;

/** Total characters a set of columns takes with `gap` spaces between them. */
export function tableWidth(cols: readonly TopColumn[], gap: number): number {
  return cols.reduce((n, c) => n + c.width, 0) + gap * Math.max(0, cols.length - 1);
}

/** Columns and gap fitting `width`: the name gets what is left, up to its longest value. */
export function layoutColumns(rows: readonly StatusRow[], width: number): { columns: TopColumn[]; gap: number } {
  const longest = Math.max(4, ...rows.map((r) => r.name.length));
  let fixed = rows.some((r) => r.next_run) ? [...FIXED, NEXT] : [...FIXED];
  const name = (w: number): TopColumn => ({ key: 'name', title: 'NAME', width: w, align: 'left' });
  for (;;) {
    for (const gap of [2, 1]) {
      const room = width - tableWidth(fixed, gap) - gap;
      const wanted = Math.min(longest, NAME_MAX);
      if (room >= Math.min(wanted, NAME_MIN)) return { columns: [name(Math.min(wanted, room)), ...fixed], gap };
    }
    const drop = DROP_ORDER.find((k) => fixed.some((c) => c.key === k));
    if (!drop) {
      // even NAME + STATE does not fit: give the name whatever remains
      return { columns: [name(Math.max(1, width - tableWidth(fixed, 1) - 1)), ...fixed], gap: 1 };
    }
    fixed = fixed.filter((c) => c.key !== drop);
  }
}

/** The core's duration words (same as `tend status`); "-" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  return ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0 ? '-' : coreDuration(ms);
}

/** The core's size words (same as `tend status`); "-" when unknown. */
export function formatBytes(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) || n < 0 ? '-' : coreBytes(n);
}

/** Uptime: the daemon's figure, else time since the last state change while the service is up. */
export function uptimeOf(row: StatusRow, now: number): number | null {
  if (typeof row.uptime_ms === 'number') return row.uptime_ms;
  if (row.state !== 'running' && row.state !== 'starting') return null;
  const since = Date.parse(row.since);
  return Number.isNaN(since) ? null : Math.max(0, now - since);
}

/** Each column's text for one row, before fitting. */
export function cellText(row: StatusRow, key: ColumnKey, now: number): string {
  switch (key) {
    case 'name':
      return row.name;
    case 'state':
      return row.state;
    case 'pid':
      return row.pid === null || row.pid === undefined ? '-' : String(row.pid);
    case 'uptime':
      return formatDuration(uptimeOf(row, now));
    case 'restarts':
      return String(row.restarts ?? 0);
    case 'cpu':
      return typeof row.cpu === 'number' ? row.cpu.toFixed(1) : '-';
    case 'memory':
      return formatBytes(row.memory);
    case 'next': {
      const at = row.next_run ? Date.parse(row.next_run) : NaN;
      return Number.isNaN(at) ? '-' : `in ${formatDuration(Math.max(0, at - now))}`;
    }
  }
}

/** Pads or truncates (with "…") to exactly `width` characters. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length > width) return chars.slice(0, width - 1).join('') + '…';
  return align === 'left' ? text.padEnd(width) : text.padStart(width);
}

/** Cuts a line to `width` characters (headers, footers, messages). */
export function clip(text: string, width: number): string {
  const chars = [...text];
  return chars.length > width ? chars.slice(0, Math.max(0, width - 1)).join('') + '…' : text;
}
