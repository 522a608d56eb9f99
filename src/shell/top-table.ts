// The `top` table as plain data: which columns fit a width, and each row's cell text. The name
// column takes the longest name, up to a share of the width; to make room gaps shrink, then whole
// columns drop in a fixed order. A name longer than its column is cut in the middle, keeping its
// end (a replica's `.2`), so that the rows stay told apart.
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
/**
 * The share of the width the name column may take before names are cut. It was a fixed 32
 * characters, after the other columns had taken theirs: at 80 columns with NEXT RUN shown that
 * left 11, and `payments-worker-eu-west.1` and `.2` were both `payments-…`.
 */
const NAME_SHARE = 1 / 3;

/** Total characters a set of columns takes with `gap` spaces between them. */
export function tableWidth(cols: readonly TopColumn[], gap: number): number {
  return cols.reduce((n, c) => n + c.width, 0) + gap * Math.max(0, cols.length - 1);
}

/**
 * Columns and gap fitting `width`: the name column is as wide as the longest name, up to a share
 * of the width (NAME_SHARE, at least NAME_MIN); the other columns make room for it, gaps first.
 */
export function layoutColumns(rows: readonly StatusRow[], width: number): { columns: TopColumn[]; gap: number } {
  const longest = Math.max(4, ...rows.map((r) => [...r.name].length));
  const wanted = Math.min(longest, Math.max(NAME_MIN, Math.floor(width * NAME_SHARE)));
  let fixed = rows.some((r) => r.next_run) ? [...FIXED, NEXT] : [...FIXED];
  const name = (w: number): TopColumn => ({ key: 'name', title: 'NAME', width: w, align: 'left' });
  for (;;) {
    for (const gap of [2, 1]) {
      const room = width - tableWidth(fixed, gap) - gap;
      if (room >= wanted) return { columns: [name(wanted), ...fixed], gap };
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

/** `text` cut to `width` characters in the middle, keeping its last `tail` ones: `payments…eu-west.1`. */
export function cutMiddle(text: string, width: number, tail = Math.ceil((width - 1) / 2)): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width < 3) return fit(text, width);
  const end = Math.max(1, Math.min(tail, width - 2));
  return `${chars.slice(0, width - 1 - end).join('')}…${chars.slice(chars.length - end).join('')}`;
}

/**
 * The names as a column of `width` shows them: as they are when they fit, else cut in the middle
 * keeping their end, where a replica set's names differ. Where that makes names alike, each group
 * of alike ones gets a cut of its own: the first that keeps them apart from each other and from
 * the rest (a longer end, then a shorter one), else a window from where they begin to differ
 * (`…x-aaaa…`). One cut for all the names made every row worse as soon as two groups needed two.
 */
export function fitNames(names: readonly string[], width: number): string[] {
  const shown = names.map((n) => cutMiddle(n, width));
  if (width < 3 || !names.some((n) => [...n].length > width)) return shown;
  const middle = Math.ceil((width - 1) / 2);
  const tails: number[] = [];
  for (let t = middle + 1; t <= width - 2; t++) tails.push(t);
  for (let t = middle - 1; t >= 1; t--) tails.push(t);
  for (let round = 0; round < 3; round++) {
    const groups = new Map<string, number[]>();
    for (const [i, s] of shown.entries()) groups.set(s, [...(groups.get(s) ?? []), i]);
    const alike = [...groups.values()].filter((g) => new Set(g.map((i) => names[i])).size > 1);
    if (alike.length === 0) break;
    for (const group of alike) {
      const others = new Set(shown.filter((_, i) => !group.includes(i)));
      const apart = (cut: string[]) =>
        new Set(cut).size === new Set(group.map((i) => names[i])).size && cut.every((c) => !others.has(c));
      let cut = tails.map((t) => group.map((i) => cutMiddle(names[i]!, width, t))).find(apart);
      cut ??= group.map((i) => windowAt(names[i]!, commonPrefix(group.map((j) => names[j]!)), width));
      for (const [k, i] of group.entries()) shown[i] = cut[k]!;
    }
  }
  return shown;
}

/** How many characters all of `names` begin with. */
function commonPrefix(names: readonly string[]): number {
  const chars = names.map((s) => [...s]);
  const first = chars[0]!;
  let n = 0;
  while (n < first.length && chars.every((c) => c[n] === first[n])) n++;
  return n;
}

/** `text` shown from a little before `at` (where it differs from its neighbours), `width` characters. */
function windowAt(text: string, at: number, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  const from = Math.max(1, Math.min(at - 1, chars.length - (width - 1)));
  if (from + width - 1 >= chars.length) return `…${chars.slice(chars.length - (width - 1)).join('')}`;
  return `…${chars.slice(from, from + width - 2).join('')}…`;
}

/** Cuts a line to `width` characters (headers, footers, messages). */
export function clip(text: string, width: number): string {
  const chars = [...text];
  return chars.length > width ? chars.slice(0, Math.max(0, width - 1)).join('') + '…' : text;
}
