// parseSchedule / compileSchedule: the accepted forms, the exact error messages, and next() across
// DST transitions (times compared as ISO strings in UTC).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTimezone, compileSchedule, everySchedule, parseSchedule, type Schedule } from '../../src/tasks/schedule.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function ok(text: unknown, tz?: unknown): Schedule {
  const r = parseSchedule(text, tz);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${r.message}`);
  return r.schedule;
}

/** The next n firing times after `from`, each from the one before. */
function firings(s: Schedule, from: string, n: number): (string | null)[] {
  const out: (string | null)[] = [];
  let t: number | null = at(from);
  for (let i = 0; i < n && t !== null; i++) {
    t = s.next(t);
    out.push(iso(t));
  }
  return out;
}

const FORMS = 'expected 5 cron fields or @hourly/@daily/@weekly/@monthly/@yearly/@every DURATION';
const CRON = 'expected a cron expression: minute hour day-of-month month day-of-week';

describe('parseSchedule: accepted forms', () => {
  it.each([
    ['*/15 * * * *', { kind: 'cron', expr: '*/15 * * * *' }],
    ['  0  3 * * MON-FRI ', { kind: 'cron', expr: '0 3 * * MON-FRI' }],
    ['@hourly', { kind: 'cron', expr: '@hourly' }],
    ['@daily', { kind: 'cron', expr: '@daily' }],
    ['@midnight', { kind: 'cron', expr: '@midnight' }],
    ['@weekly', { kind: 'cron', expr: '@weekly' }],
    ['@monthly', { kind: 'cron', expr: '@monthly' }],
    ['@yearly', { kind: 'cron', expr: '@yearly' }],
    ['@annually', { kind: 'cron', expr: '@annually' }],
    ['@every 10m', { kind: 'every', ms: 600_000 }],
    ['@every 1h30m', { kind: 'every', ms: 5_400_000 }],
    ['@every 2d', { kind: 'every', ms: 172_800_000 }],
    ['@every 90', { kind: 'every', ms: 90_000 }],
    ['@EVERY 1s', { kind: 'every', ms: 1000 }],
  ])('%j', (text, spec) => {
    const r = parseSchedule(text);
    expect(r.ok && r.spec).toEqual(spec);
  });

  it('keeps a valid timezone in the spec', () => {
    const r = parseSchedule('30 2 * * *', 'Europe/Berlin');
    expect(r.ok && r.spec).toEqual({ kind: 'cron', expr: '30 2 * * *', timezone: 'Europe/Berlin' });
  });

  it('nicknames fire where cron says', () => {
    const from = '2025-01-01T00:00:00.000Z';
    expect(firings(ok('@hourly', 'UTC'), from, 1)).toEqual(['2025-01-01T01:00:00.000Z']);
    expect(firings(ok('@daily', 'UTC'), from, 1)).toEqual(['2025-01-02T00:00:00.000Z']);
    expect(firings(ok('@weekly', 'UTC'), from, 1)).toEqual(['2025-01-05T00:00:00.000Z']); // Sunday
    expect(firings(ok('@monthly', 'UTC'), from, 1)).toEqual(['2025-02-01T00:00:00.000Z']);
    expect(firings(ok('@yearly', 'UTC'), from, 1)).toEqual(['2026-01-01T00:00:00.000Z']);
  });

  it('day of month and day of week together: either matches (as in Vixie cron)', () => {
    expect(firings(ok('0 0 1 * MON', 'UTC'), '2025-01-25T00:00:00.000Z', 3)).toEqual([
      '2025-01-27T00:00:00.000Z', // Monday
      '2025-02-01T00:00:00.000Z', // the 1st, a Saturday
      '2025-02-03T00:00:00.000Z',
    ]);
  });

  it('next() is strictly after its argument, to the minute', () => {
    const s = ok('* * * * *', 'UTC');
    expect(iso(s.next(at('2025-01-01T00:00:00.000Z')))).toBe('2025-01-01T00:01:00.000Z');
    expect(iso(s.next(at('2025-01-01T00:00:59.999Z')))).toBe('2025-01-01T00:01:00.000Z');
  });

  it('@every: next is the given time plus the interval (the caller passes the end of the last run)', () => {
    expect(ok('@every 10m').next(1_000)).toBe(601_000);
    expect(compileSchedule({ kind: 'every', ms: 5000 }).next(7)).toBe(5007);
  });

  it('every: DURATION (already in ms) gets the same bounds', () => {
    const r = everySchedule(30 * 86_400_000);
    expect(r.ok && r.spec).toEqual({ kind: 'every', ms: 2_592_000_000 });
    expect(everySchedule(999)).toEqual({ ok: false, key: 'every', message: 'expected a duration of 1s or more; got 999ms' });
  });

  it('compileSchedule of a spec from JSON gives the same firings as the parse', () => {
    const r = parseSchedule('15 4 * * *', 'America/New_York');
    if (!r.ok) throw new Error(r.message);
    const again = compileSchedule(JSON.parse(JSON.stringify(r.spec)));
    expect(firings(again, '2025-06-01T00:00:00.000Z', 2)).toEqual(firings(r.schedule, '2025-06-01T00:00:00.000Z', 2));
  });
});

describe('parseSchedule: errors (key and exact message)', () => {
  it.each([
    [12, undefined, 'schedule', `${FORMS}; got 12`],
    [undefined, undefined, 'schedule', `${FORMS}; got nothing`],
    [['0', '*'], undefined, 'schedule', `${FORMS}; got a list`],
    ['', undefined, 'schedule', `${FORMS}; got "" (0 fields)`],
    ['* * * *', undefined, 'schedule', `${FORMS}; got "* * * *" (4 fields)`],
    ['0 * * * * *', undefined, 'schedule', `${FORMS}; got "0 * * * * *" (6 fields)`],
    ['@reboot', undefined, 'schedule', `${FORMS}; got "@reboot"`],
    ['@fortnightly', undefined, 'schedule', `${FORMS}; got "@fortnightly"`],
    ['61 * * * *', undefined, 'schedule', `${CRON}; got "61 * * * *" (the minute must be 0-59)`],
    ['0 24 * * *', undefined, 'schedule', `${CRON}; got "0 24 * * *" (the hour must be 0-23)`],
    ['0 0 32 * *', undefined, 'schedule', `${CRON}; got "0 0 32 * *" (the day of month must be 1-31)`],
    ['0 0 * 13 *', undefined, 'schedule', `${CRON}; got "0 0 * 13 *" (the month must be 1-12 or JAN-DEC)`],
    ['0 0 * * 8', undefined, 'schedule', `${CRON}; got "0 0 * * 8" (the day of week must be 0-7 or SUN-SAT)`],
    ['MON * * * *', undefined, 'schedule', `${CRON}; got "MON * * * *" (the minute field "MON" is not a cron value (0-59))`],
    ['0 0 30 2 *', undefined, 'schedule', 'expected a schedule that fires; got "0 0 30 2 *" (no date matches it)'],
    ['@every', undefined, 'schedule', 'expected @every DURATION with a duration like 10m or 1h30m; got "@every"'],
    ['@every 10x', undefined, 'schedule', 'expected @every DURATION with a duration like 10m or 1h30m; got "@every 10x"'],
    ['@every 500ms', undefined, 'schedule', 'expected @every with a duration of 1s or more; got "@every 500ms"'],
    ['@every 10m', 'UTC', 'timezone', 'a time zone applies to a cron schedule, not to @every'],
    [
      '0 3 * * *',
      'Europe/Berln',
      'timezone',
      'expected an IANA time zone name like Europe/Berlin or UTC; got "Europe/Berln" (did you mean "Europe/Berlin"?)',
    ],
    [
      '0 3 * * *',
      'Mars/Olympus_Mons',
      'timezone',
      'expected an IANA time zone name like Europe/Berlin or UTC; got "Mars/Olympus_Mons"',
    ],
    ['0 3 * * *', '', 'timezone', 'expected an IANA time zone name like Europe/Berlin or UTC; got ""'],
    ['0 3 * * *', 2, 'timezone', 'expected an IANA time zone name like Europe/Berlin or UTC; got 2'],
  ])('%j (timezone %j)', (text, tz, key, message) => {
    expect(parseSchedule(text, tz)).toEqual({ ok: false, key, message });
  });

  it('checkTimezone: undefined for a valid name', () => {
    expect(checkTimezone('UTC')).toBeUndefined();
    expect(checkTimezone('America/Argentina/Buenos_Aires')).toBeUndefined();
  });
});

describe('next() across DST transitions', () => {
  // Europe/Berlin: 2025-03-30 02:00 CET -> 03:00 CEST; 2025-10-26 03:00 CEST -> 02:00 CET
  it('a time in the skipped hour runs once, at the jump (03:00 CEST), as Vixie cron does', () => {
    expect(firings(ok('30 2 * * *', 'Europe/Berlin'), '2025-03-28T12:00:00.000Z', 4)).toEqual([
      '2025-03-29T01:30:00.000Z', // 02:30 CET
      '2025-03-30T01:00:00.000Z', // 03:00 CEST: 02:30 does not exist that day
      '2025-03-31T00:30:00.000Z', // 02:30 CEST
      '2025-04-01T00:30:00.000Z',
    ]);
  });

  it('a time in the repeated hour runs once, not twice', () => {
    expect(firings(ok('30 2 * * *', 'Europe/Berlin'), '2025-10-24T12:00:00.000Z', 3)).toEqual([
      '2025-10-25T00:30:00.000Z', // 02:30 CEST
      '2025-10-26T00:30:00.000Z', // the first 02:30 (CEST) only
      '2025-10-27T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('an interval job keeps real time: 23 hourly runs on the short day, 25 on the long one', () => {
    const count = (s: Schedule, from: string, to: string) => {
      let n = 0;
      for (let t = s.next(at(from)); t !== null && t < at(to); t = s.next(t)) n++;
      return n;
    };
    const hourly = ok('0 * * * *', 'Europe/Berlin');
    // local midnight to midnight: 2025-03-30 00:00 CET = 03-29T23:00Z; 2025-10-26 00:00 CEST = 10-25T22:00Z
    expect(count(hourly, '2025-03-29T22:59:59.000Z', '2025-03-30T22:00:00.000Z')).toBe(23);
    expect(count(hourly, '2025-10-25T21:59:59.000Z', '2025-10-26T23:00:00.000Z')).toBe(25);
    expect(firings(ok('*/30 * * * *', 'Europe/Berlin'), '2025-10-25T23:45:00.000Z', 4)).toEqual([
      '2025-10-26T00:00:00.000Z', // 02:00 CEST
      '2025-10-26T00:30:00.000Z', // 02:30 CEST
      '2025-10-26T01:00:00.000Z', // 02:00 CET
      '2025-10-26T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('a half-hour shift (Australia/Lord_Howe, 2025-10-05 02:00 -> 02:30) loses no day', () => {
    expect(firings(ok('15 2 * * *', 'Australia/Lord_Howe'), '2025-10-03T12:00:00.000Z', 3)).toEqual([
      '2025-10-03T15:45:00.000Z', // 10-04 02:15 (+10:30)
      '2025-10-04T15:30:00.000Z', // 10-05 02:30 (+11): 02:15 does not exist
      '2025-10-05T15:15:00.000Z', // 10-06 02:15 (+11)
    ]);
  });

  it('America/New_York across both transitions', () => {
    expect(firings(ok('0 2 * * *', 'America/New_York'), '2025-03-08T12:00:00.000Z', 2)).toEqual([
      '2025-03-09T07:00:00.000Z', // 03:00 EDT: 02:00 does not exist
      '2025-03-10T06:00:00.000Z', // 02:00 EDT
    ]);
    expect(firings(ok('0 1 * * *', 'America/New_York'), '2025-11-01T12:00:00.000Z', 3)).toEqual([
      '2025-11-02T05:00:00.000Z', // the first 01:00 (EDT) only
      '2025-11-03T06:00:00.000Z', // 01:00 EST
      '2025-11-04T06:00:00.000Z',
    ]);
  });
});

describe('no timezone: the local time of the process (TZ)', () => {
  const before = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'Europe/Berlin';
  });
  afterAll(() => {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  });

  it('fires at local wall-clock times, DST included', () => {
    expect(firings(ok('30 2 * * *'), '2025-03-28T12:00:00.000Z', 3)).toEqual([
      '2025-03-29T01:30:00.000Z',
      '2025-03-30T01:00:00.000Z',
      '2025-03-31T00:30:00.000Z',
    ]);
  });
});
