import { describe, expect, it } from 'vitest';
import { parseTimeSpec, TimeSpecError } from '../../src/logs/time-spec.js';

// 2026-12-05 12:00:00 local time (the test runs in the machine's zone; local forms use it too)
const now = new Date(2026, 11, 5, 12, 0, 0).getTime();
const local = (...a: [number, number, number, number?, number?, number?, number?]) =>
  new Date(a[0], a[1] - 1, a[2], a[3] ?? 0, a[4] ?? 0, a[5] ?? 0, a[6] ?? 0).getTime();

describe('parseTimeSpec', () => {
  it.each([
    ['10m', now - 600_000],
    ['1h30m', now - 5_400_000],
    ['90s', now - 90_000],
    ['2d', now - 2 * 86_400_000],
    ['1w', now - 7 * 86_400_000],
    ['500ms', now - 500],
    ['1.5h', now - 5_400_000],
    ['10m ago', now - 600_000],
    ['1h 30m', now - 5_400_000],
    ['-10m', now - 600_000],
    ['-1h30m', now - 5_400_000],
    ['1d12h', now - 129_600_000],
    ['2D', now - 2 * 86_400_000],
    ['1w 2d ago', now - 9 * 86_400_000],
  ])('reads the duration %s back from now', (v, want) => {
    expect(parseTimeSpec(v, now)).toBe(want);
  });

  it.each([
    ['+10m', now + 600_000],
    ['+1d', now + 86_400_000],
  ])('reads the duration %s ahead of now', (v, want) => {
    expect(parseTimeSpec(v, now)).toBe(want);
  });

  it.each([
    ['@1733392800', Date.UTC(2024, 11, 5, 10)],
    ['@1733392800.5', Date.UTC(2024, 11, 5, 10) + 500],
    ['@0', 0],
  ])('reads %s as seconds since the epoch', (v, want) => {
    expect(parseTimeSpec(v, now)).toBe(want);
  });

  it.each([
    ['10:00', local(2026, 12, 5, 10)],
    ['9:05', local(2026, 12, 5, 9, 5)],
    ['10:00:30', local(2026, 12, 5, 10, 0, 30)],
    ['10:00:30.25', local(2026, 12, 5, 10, 0, 30, 250)],
    // later than now is still today (as journalctl)
    ['23:59', local(2026, 12, 5, 23, 59)],
    ['2026-12-04', local(2026, 12, 4)],
    ['2026-12-04T10:00', local(2026, 12, 4, 10)],
    ['2026-12-04 10:00:05', local(2026, 12, 4, 10, 0, 5)],
    ['2026-12-04T10:00:05.123', local(2026, 12, 4, 10, 0, 5, 123)],
    ['today', local(2026, 12, 5)],
    ['yesterday', local(2026, 12, 4)],
    ['tomorrow', local(2026, 12, 6)],
    ['now', now],
    ['NOW', now],
  ])('reads %s in local time', (v, want) => {
    expect(parseTimeSpec(v, now)).toBe(want);
  });

  it.each([
    ['2026-12-05T10:00:00Z', Date.UTC(2026, 11, 5, 10)],
    ['2026-12-05T10:00:00.123Z', Date.UTC(2026, 11, 5, 10, 0, 0, 123)],
    ['2026-12-05T10:00Z', Date.UTC(2026, 11, 5, 10)],
    ['2026-12-05t10:00z', Date.UTC(2026, 11, 5, 10)],
    ['2026-12-05T10:00:00+01:00', Date.UTC(2026, 11, 5, 9)],
    ['2026-12-05T10:00-0530', Date.UTC(2026, 11, 5, 15, 30)],
    ['2026-12-05T10:00+02', Date.UTC(2026, 11, 5, 8)],
  ])('reads %s with its zone', (v, want) => {
    expect(parseTimeSpec(v, now)).toBe(want);
  });

  it.each([
    ['', /"" is not a time: it is empty/],
    ['xyz', /"xyz" is not a time: give a duration back from now \(90s, 10m, 1h30m, 2d, -10m\)/],
    ['10x', /"10x" is not a time: give a duration/],
    ['25:00', /"25:00" is not a time: hour 25 is not 0-23/],
    ['10:61', /minute 61 is not 0-59/],
    ['10:00:60', /second 60 is not 0-59/],
    ['2026-13-01', /month 13 is not 1-12/],
    ['2026-02-29', /day 29 is not in 2026-02 \(1-28\)/],
    ['2026-12-05T', /is not a time: give/],
    ['2026-12-0510:00', /is not a time: give/],
    ['10:00Z', /is not a time: give/],
    ['2026-12-05T10:00+25:00', /zone \+25:00 is not an offset/],
    ['@', /is not a time: give/],
    ['@-5', /is not a time: give/],
    ['@99999999999999', /"@99999999999999" is not a time: it is past the times a date can hold/],
    ['+10m ago', /is not a time: give/],
    ['--10m', /is not a time: give/],
    ['10', /"10" is not a time: give/],
    ['-10', /is not a time: give/],
    ['10 ago', /is not a time: give/],
    ['ago', /is not a time: give/],
    ['1mo', /is not a time: give/],
    ['1d12', /is not a time: give/],
  ])('refuses %j, saying why', (v, want) => {
    expect(() => parseTimeSpec(v, now)).toThrow(TimeSpecError);
    expect(() => parseTimeSpec(v, now)).toThrow(want);
  });

  it('accepts the leap day of a leap year', () => {
    expect(parseTimeSpec('2028-02-29', now)).toBe(local(2028, 2, 29));
  });
});
