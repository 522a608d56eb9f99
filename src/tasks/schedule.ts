// When a task runs: a cron expression (croner does the calendar and DST arithmetic), a nickname
// like @daily, or `@every DURATION` / `every: DURATION` (measured from the end of the last run).
// Parsing gives plain data (ScheduleSpec) that a validated config can hold; compileSchedule turns
// it into a Schedule with next(). Only this file of src/tasks loads croner.
import { Cron } from 'croner';
import { durationMs } from '../config/units.js';
import { didYouMean } from '../core/did-you-mean.js';
import type { ScheduleSpec } from '../core/types.js';

/** A validated schedule as plain data (what the config's Spec holds; JSON-safe; declared in core). */
export type { ScheduleSpec };

/** A schedule that can say when it fires next. */
export interface Schedule {
  readonly spec: ScheduleSpec;
  /** cron: the first firing time strictly after `after` (ms since the epoch), null if none ever;
   *  every: `after + ms` (the caller passes the end of the last run). */
  next(after: number): number | null;
}

/** A parse outcome: the schedule, or the key at fault and a message for a config error. */
export type ScheduleResult =
  | { ok: true; spec: ScheduleSpec; schedule: Schedule }
  | { ok: false; key: 'schedule' | 'timezone' | 'every'; message: string };

/** The shortest interval `@every` / `every:` accepts: a task that exits at once must not spin. */
export const MIN_EVERY_MS = 1000;

const FORMS = '5 cron fields or @hourly/@daily/@weekly/@monthly/@yearly/@every DURATION';
const CRON_WORDS = 'a cron expression: minute hour day-of-month month day-of-week';
const ZONE_WORDS = 'an IANA time zone name like Europe/Berlin or UTC';

/** `"text"` or the kind of value, for "got ..." (quoted like the config's other messages). */
function got(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (v === null || v === undefined) return String(v ?? 'nothing');
  return Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : String(v);
}

const FIELDS = [
  ['minute', '0-59'],
  ['hour', '0-23'],
  ['day of month', '1-31'],
  ['month', '1-12 or JAN-DEC'],
  ['day of week', '0-7 or SUN-SAT'],
] as const;
const CRONER_FIELD: Record<string, number> = { minute: 0, hour: 1, day: 2, month: 3, dayOfWeek: 4 };

/** croner's error in tend's words: the field at fault and its range; '' when only the form is wrong. */
function cronDetail(message: string): string {
  const m = message.replace(/^Cron\w*: /, '').replace(/\.$/, '');
  const range = /Invalid value for (\w+)/.exec(m);
  const field = range ? FIELDS[CRONER_FIELD[range[1]!] ?? -1] : undefined;
  if (field) return `the ${field[0]} must be ${field[1]}`;
  const chars = /configuration entry (\d) \((.*)\) contains illegal characters/.exec(m);
  const at = chars ? FIELDS[Number(chars[1]) - 1] : undefined;
  if (chars && at) return `the ${at[0]} field "${chars[2]}" is not a cron value (${at[1]})`;
  // croner names forms tend does not take (6 or 7 fields, @reboot): say only what tend accepts
  return /configuration format|not supported|requires exactly/.test(m) ? '' : m;
}

/** Why: a config's `timezone` is checked where it is written. Undefined when valid, else the message. */
export function checkTimezone(tz: unknown): string | undefined {
  if (typeof tz === 'string' && tz.trim() !== '') {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return undefined;
    } catch {
      const hint = didYouMean(tz, Intl.supportedValuesOf('timeZone'));
      return `expected ${ZONE_WORDS}; got ${got(tz)}${hint ? ` (did you mean "${hint}"?)` : ''}`;
    }
  }
  return `expected ${ZONE_WORDS}; got ${got(tz)}`;
}

/** Why: `every: D` of the config (already a number of ms) gets the same bounds as `@every D`. */
export function everySchedule(ms: number): ScheduleResult {
  if (!Number.isFinite(ms) || ms < MIN_EVERY_MS) {
    return { ok: false, key: 'every', message: `expected a duration of 1s or more; got ${ms}ms` };
  }
  const spec: ScheduleSpec = { kind: 'every', ms };
  return { ok: true, spec, schedule: compileSchedule(spec) };
}

/** Why: the config loader's check of `schedule` (and `timezone`); every problem is a message. */
export function parseSchedule(text: unknown, timezone?: unknown): ScheduleResult {
  const bad = (message: string, key: 'schedule' | 'timezone' = 'schedule'): ScheduleResult => ({ ok: false, key, message });
  if (typeof text !== 'string') return bad(`expected ${FORMS}; got ${got(text)}`);
  const expr = text.trim().replace(/\s+/g, ' ');
  const every = /^@every(?: (.*))?$/i.exec(expr);
  if (every) {
    if (timezone !== undefined) return bad('a time zone applies to a cron schedule, not to @every', 'timezone');
    const ms = durationMs(every[1] ?? '');
    if (ms === undefined) return bad(`expected @every DURATION with a duration like 10m or 1h30m; got ${got(text)}`);
    if (ms < MIN_EVERY_MS) return bad(`expected @every with a duration of 1s or more; got ${got(text)}`);
    const spec: ScheduleSpec = { kind: 'every', ms };
    return { ok: true, spec, schedule: compileSchedule(spec) };
  }
  if (timezone !== undefined) {
    const problem = checkTimezone(timezone);
    if (problem) return bad(problem, 'timezone');
  }
  const fields = expr.startsWith('@') ? 1 : expr === '' ? 0 : expr.split(' ').length;
  if (!expr.startsWith('@') && fields !== 5)
    return bad(`expected ${FORMS}; got ${got(text)} (${fields} field${fields === 1 ? '' : 's'})`);
  const spec: ScheduleSpec =
    timezone === undefined ? { kind: 'cron', expr } : { kind: 'cron', expr, timezone: timezone as string };
  let schedule: Schedule;
  try {
    schedule = compileSchedule(spec);
  } catch (e) {
    const detail = cronDetail(e instanceof Error ? e.message : String(e));
    return bad(detail ? `expected ${CRON_WORDS}; got ${got(text)} (${detail})` : `expected ${FORMS}; got ${got(text)}`);
  }
  if (schedule.next(Date.now()) === null) return bad(`expected a schedule that fires; got ${got(text)} (no date matches it)`);
  return { ok: true, spec, schedule };
}

/**
 * croner's Cron by expression and time zone: a paused Cron only answers nextRun, so tasks with the
 * same schedule share one (each holds a 10 000-entry year table: ~150 KB of RSS apiece).
 */
const crons = new Map<string, Cron>();

/** Why: the daemon builds the runnable schedule from the Spec's plain data. Throws on a bad spec. */
export function compileSchedule(spec: ScheduleSpec): Schedule {
  if (spec.kind === 'every') {
    const ms = spec.ms;
    return { spec, next: (after) => after + ms };
  }
  const key = `${spec.expr}\0${spec.timezone ?? ''}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(spec.expr, { paused: true, mode: '5-part', ...(spec.timezone ? { timezone: spec.timezone } : {}) });
    crons.set(key, cron);
  }
  return {
    spec,
    next(after) {
      const d = cron.nextRun(new Date(after));
      return d === null ? null : d.getTime();
    },
  };
}
