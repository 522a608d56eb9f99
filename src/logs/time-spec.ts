// The values of `--since` and `--until` (`tend logs`, `tend events`), read as journalctl reads
// them (systemd.time(7)): a duration back from now (`10m`, `-10m`, `10m ago`) or ahead (`+10m`),
// a time today, a date, a date and time (local time unless a zone is given), seconds since the
// epoch (`@1733392800`), or now/today/yesterday/tomorrow. Pure: `now` is a parameter.
import { durationMs } from '../config/units.js';

const TIME = '(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d{1,9}))?)?';
const DATE = '(\\d{4})-(\\d{2})-(\\d{2})';
// a date, a date and time (with a zone or not), or a time: match groups line up in all three
const DATE_TIME = new RegExp(`^(?:${DATE}(?:[T ]${TIME}(Z|[+-]\\d{2}(?::?\\d{2})?)?)?|()()()${TIME})$`, 'i');

const EPOCH = /^@(\d+(?:\.\d+)?)$/;

const FORMS =
  'give a duration back from now (90s, 10m, 1h30m, 2d, -10m) or ahead (+10m), a time today (10:00, 10:00:30), ' +
  'a date (2026-12-05), a date and time (2026-12-05T10:00, local) or one with a zone ' +
  '(2026-12-05T10:00:00Z, ...+01:00), seconds since the epoch (@1733392800), or now, today, yesterday, tomorrow';

/** A --since/--until value that is not a time. The message quotes it and lists the forms. */
export class TimeSpecError extends Error {
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(`"${value}" is not a time: ${reason}`);
    this.name = 'TimeSpecError';
  }
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Why: `--since 10m`, `--until 10:00`. The time (ms since the epoch) a value names, relative to
 * `now`; throws a TimeSpecError saying what is wrong. A time of day alone is today's, as in
 * journalctl, even when that is later than now.
 */
export function parseTimeSpec(value: string, now: number = Date.now()): number {
  const text = value.trim();
  if (text === '') throw new TimeSpecError(value, `it is empty; ${FORMS}`);
  const lower = text.toLowerCase();
  if (lower === 'now') return now;
  if (lower === 'today' || lower === 'yesterday' || lower === 'tomorrow') {
    const d = new Date(now);
    const shift = lower === 'yesterday' ? -1 : lower === 'tomorrow' ? 1 : 0;
    return new Date(d.getFullYear(), d.getMonth(), d.getDate() + shift).getTime();
  }
  const epoch = EPOCH.exec(text);
  if (epoch) {
    const ms = Math.round(Number(epoch[1]) * 1000);
    if (!Number.isFinite(new Date(ms).getTime())) throw new TimeSpecError(value, 'it is past the times a date can hold');
    return ms;
  }
  const words = lower.replace(/\s+/g, '');
  // the config's durations (`1h30m`, `2d`), always with a unit: a bare number is no time here
  const back = durationMs(words.replace(/ago$/, ''), false);
  if (back !== undefined) return now - back;
  const sign = words[0];
  const span = sign === '-' || sign === '+' ? durationMs(words.slice(1), false) : undefined;
  if (span !== undefined) return sign === '-' ? now - span : now + span;

  const m = DATE_TIME.exec(text);
  if (!m) throw new TimeSpecError(value, FORMS);
  // groups 1-8: date, time, zone; 9-11: empty; 12-15: a time alone
  const [ys, mos, ds] = [m[1], m[2], m[3]];
  const [hs, mis, ss, frac] = m[4] !== undefined ? [m[4], m[5], m[6], m[7]] : [m[12], m[13], m[14], m[15]];
  const zone = m[8];
  const today = new Date(now);
  const year = ys !== undefined ? Number(ys) : today.getFullYear();
  const month = mos !== undefined ? Number(mos) : today.getMonth() + 1;
  const day = ds !== undefined ? Number(ds) : today.getDate();
  const hour = hs !== undefined ? Number(hs) : 0;
  const minute = mis !== undefined ? Number(mis) : 0;
  const second = ss !== undefined ? Number(ss) : 0;
  const ms = frac !== undefined ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  if (month < 1 || month > 12) throw new TimeSpecError(value, `month ${month} is not 1-12`);
  if (day < 1 || day > daysIn(year, month)) {
    throw new TimeSpecError(value, `day ${day} is not in ${ys}-${mos} (1-${daysIn(year, month)})`);
  }
  if (hour > 23) throw new TimeSpecError(value, `hour ${hour} is not 0-23`);
  if (minute > 59) throw new TimeSpecError(value, `minute ${minute} is not 0-59`);
  if (second > 59) throw new TimeSpecError(value, `second ${second} is not 0-59`);

  if (zone === undefined) return new Date(year, month - 1, day, hour, minute, second, ms).getTime();
  let offset = 0; // minutes east of UTC
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) throw new TimeSpecError(value, `zone ${zone} is not an offset (-23:59 to +23:59)`);
    offset = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset * 60_000;
}
