// Text for the state changes pushed above the prompt, through the CLI's own formatter so the
// shell prints the same words; defensive because the values arrive off the wire. (`logs -f` and
// `events -f` run through the CLI's runner itself: shell-line.ts.)
import { eventLine } from '../commands/format.js';
import type { JournalEvent } from '../control/wire.js';

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
