// Text for people: the status table, event and log lines (colours from core/colors.ts). Shared by
// the one-shot CLI and the shell; plain string functions, no Ink.
import type { JournalEvent, StatusRow } from '../control/wire.js';
import { colorName, colorState } from '../core/colors.js';
import { formatBytes, formatDuration } from '../core/describe.js';

/** The fields of a status row the table shows. */
export type Row = Pick<StatusRow, 'name' | 'state' | 'pid' | 'restarts' | 'uptime_ms' | 'cpu' | 'memory'> & { detail?: string };

/** Visible width of a string without ANSI escapes. */
export function visibleWidth(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** Aligns rows of cells into columns (two spaces apart); the last column is not padded. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, k) => (widths[k] = Math.max(widths[k] ?? 0, visibleWidth(c))));
  return rows
    .map((r) =>
      r
        .map((c, k) => (k === r.length - 1 ? c : c + ' '.repeat(widths[k]! - visibleWidth(c))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The `tend status` table; the DETAIL column only when some row has one. */
export function statusTable(rows: Row[], color: boolean): string {
  const withDetail = rows.some((r) => r.detail);
  const head = ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'MEM'];
  if (withDetail) head.push('DETAIL');
  const body = rows.map((r) => {
    const cells = [
      r.name,
      colorState(r.state, color),
      r.pid === null ? '-' : String(r.pid),
      r.uptime_ms === null ? '-' : formatDuration(r.uptime_ms),
      String(r.restarts),
      r.cpu === null ? '-' : `${r.cpu.toFixed(1)}%`,
      r.memory === null ? '-' : formatBytes(r.memory),
    ];
    if (withDetail) cells.push(r.detail ?? '');
    return cells;
  });
  return table([head, ...body]);
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** Why: every printed time reads the same. `2026-12-05 10:00:01.123`, local time, from an ISO time. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const ms = String(d.getMilliseconds()).padStart(3, '0');
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${ms}`;
}

/** One journal line: `2026-12-05 15:35:11.123 web state running: started` (local time). */
export function eventLine(e: JournalEvent, color: boolean): string {
  return `${localTime(e.time)} ${colorName(e.service, color)} ${e.what} ${e.why}`;
}
