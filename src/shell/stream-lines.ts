// Text for what streams bring in (logs -f, events -f, and the state changes pushed above the
// prompt), through the CLI's own formatters so the shell prints the same words; defensive because
// the values arrive off the wire.
import { eventLine, logLine } from '../commands/format.js';
import type { JournalEvent, LogLine } from '../control/wire.js';

/** Ink colour name for a state word (top's STATE column): the CLI's own, from core/colors.ts. */
export { stateColor } from '../core/colors.js';

/** True when a stream value looks like a journal event. */
export function isEventRow(e: unknown): e is JournalEvent {
  if (typeof e !== 'object' || e === null) return false;
  const r = e as Record<string, unknown>;
  return typeof r.service === 'string' && typeof r.what === 'string' && typeof r.time === 'string';
}

/** One journal line, as `tend events` prints it. */
export function formatEvent(e: unknown, color: boolean): string {
  if (!isEventRow(e)) return typeof e === 'string' ? e : JSON.stringify(e);
  return eventLine({ ...e, why: e.why ?? '' }, color);
}

/** One log line, as `tend logs` prints it; name-prefixed when several services are followed. */
export function formatLogEvent(e: unknown, prefix: boolean, color: boolean): string {
  if (typeof e === 'string') return e.replace(/\n$/, '');
  if (typeof e === 'object' && e !== null && typeof (e as LogLine).line === 'string') {
    const l = e as LogLine;
    return logLine({ ...l, service: String(l.service ?? '') }, prefix, color);
  }
  return JSON.stringify(e);
}
