// Text for the state changes pushed above the prompt, through the CLI's own formatter so the
// shell prints the same words; defensive because the values arrive off the wire. (`logs -f` and
// `events -f` run through the CLI's runner itself: shell-line.ts.) Reloads too, in fewer words.
import { eventLine, localTime } from '../commands/format.js';
import type { JournalEvent } from '../control/wire.js';
import { problemsInOneLine } from '../core/describe.js';

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

/** Whether a journal event is a reload the daemon applied or rejected (daemon/reload.ts journals both as `tend reload`). */
export function isReload(e: JournalEvent): boolean {
  return e.service === 'tend' && e.what === 'reload';
}

// what started it, as the journal words it (daemon/reload.ts SOURCE_WORDS)
const SOURCE = /^(on request|on SIGHUP|file changed): /;
const REJECTED = 'config rejected, keeping the running one: ';

/**
 * A reload in one line: `reload (file changed): + api; ~ web (command)` (the plan without its
 * `= N unchanged`), or `reload rejected (file changed): tend.yaml:3:5: ...` with the first
 * problem only (a broken file can have many; `tend check` lists them). `rejected`: the running
 * config stays, which the user should notice.
 */
export function reloadNotice(e: JournalEvent): { text: string; rejected: boolean } {
  const m = SOURCE.exec(e.why ?? '');
  const by = m ? ` (${m[1]})` : '';
  const rest = m ? e.why.slice(m[0].length) : (e.why ?? '');
  const at = localTime(e.time);
  if (rest.startsWith(REJECTED)) {
    // one line already (daemon/reload.ts); an entry of an older journal had one a problem
    return { text: `${at} reload rejected${by}: ${problemsInOneLine(rest.slice(REJECTED.length))}`, rejected: true };
  }
  const plan = rest
    .split('; ')
    .filter((part) => !/^= \d+ unchanged$/.test(part))
    .join('; ');
  return { text: `${at} reload${by}: ${plan || 'nothing changed'}`, rejected: false };
}
