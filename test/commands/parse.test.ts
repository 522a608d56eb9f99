import { describe, expect, it } from 'vitest';
import { findCommand } from '../../src/commands/index.js';
import { buildRequest } from '../../src/commands/run.js';
import type { SocketCommand } from '../../src/commands/command.js';
import { argCount, checkArgs, parseTimeout, parseWords, UsageError } from '../../src/commands/parse.js';
import { durationMs, parseDuration } from '../../src/config/units.js';
import { parseSchedule } from '../../src/tasks/schedule.js';
import { parseTimeSpec } from '../../src/logs/time-spec.js';

const cmd = (name: string) => findCommand(name)! as SocketCommand;
const usage = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('parseWords', () => {
  it("reads the command's flags in every spelling, values joined or apart", () => {
    expect(parseWords(cmd('logs'), ['web', '-n', '5', '--follow', '--json'])).toEqual({
      positionals: ['web'],
      flags: { lines: '5', follow: true, json: true },
    });
    expect(parseWords(cmd('logs'), ['--lines=7', '-f', 'a', 'b']).flags).toEqual({ lines: '7', follow: true });
    expect(parseWords(cmd('status'), ['--socket', '/x', '-c', 'y.yaml']).flags).toEqual({ socket: '/x', config: 'y.yaml' });
    expect(parseWords(cmd('signal'), ['web', '-9']).positionals).toEqual(['web', '-9']);
    expect(parseWords(cmd('status'), ['--', '--json']).positionals).toEqual(['--json']);
  });
  it('takes short flags together, as getopt does: -ft, -n20, -fn 20, -fn20', () => {
    expect(parseWords(cmd('logs'), ['web', '-ft']).flags).toEqual({ follow: true, timestamps: true });
    expect(parseWords(cmd('logs'), ['web', '-n20']).flags).toEqual({ lines: '20' });
    expect(parseWords(cmd('logs'), ['-fn', '20', 'web'])).toEqual({ positionals: ['web'], flags: { follow: true, lines: '20' } });
    expect(parseWords(cmd('logs'), ['web', '-tfn20']).flags).toEqual({ timestamps: true, follow: true, lines: '20' });
    expect(parseWords(cmd('logs'), ['web', '-nall']).flags).toEqual({ lines: 'all' });
    expect(parseWords(cmd('logs'), ['web', '-fn=5']).flags).toEqual({ follow: true, lines: '5' });
    expect(parseWords(cmd('logs'), ['web', '-n=5']).flags).toEqual({ lines: '5' });
    expect(usage(() => parseWords(cmd('logs'), ['web', '-tf=1']))).toBe('unknown option -= in -tf=1');
    expect(usage(() => parseWords(cmd('logs'), ['web', '-fx']))).toBe('unknown option -x in -fx');
    expect(usage(() => parseWords(cmd('logs'), ['web', '-json']))).toBe('unknown option -json (did you mean --json?)');
    expect(usage(() => parseWords(cmd('logs'), ['web', '-follow']))).toBe(
      'unknown option -o in -follow (did you mean --follow?)',
    );
    expect(usage(() => parseWords(cmd('logs'), ['web', '-xf']))).toBe('unknown option -xf');
    expect(usage(() => parseWords(cmd('logs'), ['web', '-fn']))).toBe('-n needs a value');
  });
  it('takes -h and --help everywhere', () => {
    expect(parseWords(cmd('logs'), ['--help']).flags.help).toBe(true);
    expect(parseWords(findCommand('up')!, ['-h']).flags.help).toBe(true);
  });
  it('refuses unknown flags, flags of other commands, and a missing value', () => {
    expect(usage(() => parseWords(cmd('status'), ['--bogus']))).toBe('unknown option --bogus');
    expect(usage(() => parseWords(cmd('status'), ['-f']))).toBe('unknown option -f');
    expect(usage(() => parseWords(cmd('logs'), ['web', '-n']))).toBe('-n needs a value');
    expect(usage(() => parseWords(cmd('status'), ['--json=1']))).toBe('unknown option --json=1');
    // a likely typo of one of its flags: said
    expect(usage(() => parseWords(cmd('status'), ['--jsn']))).toBe('unknown option --jsn (did you mean --json?)');
    expect(usage(() => parseWords(cmd('logs'), ['web', '--folow']))).toBe('unknown option --folow (did you mean --follow?)');
    expect(usage(() => parseWords(cmd('logs'), ['web', '--zzz']))).toBe('unknown option --zzz');
  });
});

describe('argument counts', () => {
  it('come from the argument list', () => {
    expect(argCount(cmd('status'))).toEqual({ min: 0, max: Infinity });
    expect(argCount(cmd('signal'))).toEqual({ min: 2, max: 2 });
    expect(argCount(cmd('reload'))).toEqual({ min: 0, max: 0 });
  });
  it('say what was expected', () => {
    const check = (name: string, words: string[]) => usage(() => checkArgs(cmd(name), parseWords(cmd(name), words)));
    expect(check('signal', ['web'])).toBe('signal: expected a service name and a signal');
    expect(check('start', [])).toBe('start: expected at least one service name (or "all")');
    expect(check('logs', [])).toBe('logs: expected a service name (or "all")');
    expect(check('reload', ['x'])).toBe('reload: expected no arguments; "x" is one word too many');
    expect(check('completion', ['bash', 'x', 'y'])).toBe('completion: expected SHELL; "x" "y" are 2 words too many');
  });
});

describe('buildRequest', () => {
  it('builds each request from the words', () => {
    expect(buildRequest(cmd('start'), ['web', '--timeout', '2m'])!.args).toEqual({
      names: ['web'],
      timeout: 120_000,
      wait: true,
    });
    expect(buildRequest(cmd('stop'), ['all', '--no-wait'])!.args).toEqual({ names: ['all'], timeout: undefined, wait: false });
    expect(buildRequest(cmd('signal'), ['web', 'HUP'])!.args).toEqual({ names: ['web'], signal: 'HUP' });
    expect(buildRequest(cmd('reload'), ['--dry-run'])!.args).toEqual({ dry_run: true });
    expect(buildRequest(cmd('events'), ['-n', '5'])!.args).toEqual({ names: [], lines: 5, follow: false });
    expect(buildRequest(cmd('events'), ['web', '--since', '1h'])!.args).toEqual({ names: ['web'], follow: false, since: '1h' });
    expect(buildRequest(cmd('logs'), ['web', '--grep', 'a|b', '-i', '-t', '--until', '10:00'])!.args).toEqual({
      names: ['web'],
      follow: false,
      until: '10:00',
      grep: 'a|b',
      ignore_case: true,
      timestamps: true,
    });
    expect(buildRequest(cmd('logs'), ['web'])!.args).toEqual({ names: ['web'], lines: 100, follow: false });
    // -n all (journalctl's): no count, every line of the range
    expect(buildRequest(cmd('logs'), ['web', '-n', 'all'])!.args).toEqual({ names: ['web'], follow: false });
    expect(buildRequest(cmd('events'), ['-n', 'all', '--since', '1h'])!.args).toEqual({ names: [], follow: false, since: '1h' });
  });
  it('is undefined for --help, whatever else is missing', () => {
    expect(buildRequest(cmd('logs'), ['--help'])).toBeUndefined();
    expect(buildRequest(cmd('signal'), ['-h'])).toBeUndefined();
  });
  it('checks values', () => {
    expect(usage(() => buildRequest(cmd('logs'), ['web', '-n', 'x']))).toBe('-n: expected a whole number or "all"; got "x"');
    // what Number() takes that is no whole number as written
    for (const n of ['0x10', '1e3', '+5', ' 5', '', '-1', '2.5'])
      expect(usage(() => buildRequest(cmd('logs'), ['web', '-n', n]))).toBe(`-n: expected a whole number or "all"; got "${n}"`);
    expect(usage(() => buildRequest(cmd('history'), ['job', '-n', '1e2']))).toBe('-n: expected a whole number; got "1e2"');
    expect(buildRequest(cmd('logs'), ['web', '-n', '007'])!.args).toMatchObject({ lines: 7 });
    // a range that ends before it begins is empty for sure: a mistake, said (journalctl too)
    expect(usage(() => buildRequest(cmd('logs'), ['web', '--since', '10m', '--until', '20m']))).toBe(
      '--since 10m is after --until 20m: the range is empty',
    );
    expect(usage(() => buildRequest(cmd('events'), ['--since', 'now', '--until', '1h']))).toBe(
      '--since now is after --until 1h: the range is empty',
    );
    expect(buildRequest(cmd('logs'), ['web', '--since', '20m', '--until', '10m'])!.args).toMatchObject({
      since: '20m',
      until: '10m',
    });
    expect(usage(() => buildRequest(cmd('logs'), ['web', '--since', 'soon']))).toMatch(
      /^--since: "soon" is not a time: give a duration/,
    );
    expect(usage(() => buildRequest(cmd('logs'), ['web', '-f', '--until', '1h']))).toBe(
      '--until and -f do not go together (a followed log has no end)',
    );
    expect(usage(() => buildRequest(cmd('logs'), ['web', '-i']))).toBe('-i goes with --grep RE');
    expect(usage(() => buildRequest(cmd('start'), ['web', '--timeout', 'soon']))).toBe(
      '--timeout: expected a duration like 30s, 2m, 1m30s or 2d; got "soon"',
    );
  });
  it('parseTimeout', () => {
    expect([parseTimeout('250ms'), parseTimeout('10'), parseTimeout('1.5s'), parseTimeout('1h')]).toEqual([
      250, 10_000, 1500, 3_600_000,
    ]);
    // compound, as durations in the config are
    expect([parseTimeout('1m30s'), parseTimeout('1h2m3s'), parseTimeout(' 2m ')]).toEqual([90_000, 3_723_000, 120_000]);
    for (const bad of ['', 's', '1x', '-1s', '1m30'])
      expect(() => parseTimeout(bad), bad).toThrow(/--timeout: expected a duration/);
    // nothing to wait for: it timed out at once; --no-wait is the way not to wait
    for (const zero of ['0', '0s', '0ms'])
      expect(() => parseTimeout(zero), zero).toThrow(/--timeout: expected more than 0 \(--no-wait/);
    // days and weeks, as --since takes them; past 24 days a timer would fire at once: the limit is named
    expect([parseTimeout('2d'), parseTimeout('1d12h'), parseTimeout('1w'), parseTimeout('24d')]).toEqual([
      172_800_000, 129_600_000, 604_800_000, 2_073_600_000,
    ]);
    for (const long of ['30d', '24d1ms', '4w'])
      expect(() => parseTimeout(long), long).toThrow(`--timeout: at most 24 days (576h); got "${long}"`);
    for (const bad of ['1y', '1d12', '1.2.3s', '.s', '1m 30'])
      expect(() => parseTimeout(bad), bad).toThrow(`--timeout: expected a duration like 30s, 2m, 1m30s or 2d; got "${bad}"`);
  });
  it('one duration parser: the config, --timeout and --since read a duration alike', () => {
    const now = Date.UTC(2026, 11, 5, 12);
    const forms: [string, number][] = [
      ['250ms', 250],
      ['90s', 90_000],
      ['10m', 600_000],
      ['1h30m', 5_400_000],
      ['1h 30m', 5_400_000],
      ['1d 12h', 129_600_000],
      [' 1 h 30 m ', 5_400_000],
      ['2d', 172_800_000],
      ['2D', 172_800_000],
      ['1H30M', 5_400_000],
      ['1d12h', 129_600_000],
      ['1w', 604_800_000],
      ['1.5h', 5_400_000],
      ['.5s', 500],
      ['0.5s', 500],
      ['1h2m3s4ms', 3_723_004],
    ];
    for (const [d, want] of forms) {
      const ms = parseDuration(d);
      expect(ms, d).toBe(want);
      expect(durationMs(d), d).toBe(want);
      // @every (1s at least) too
      if (want >= 1000) expect(parseSchedule(`@every ${d}`), d).toMatchObject({ ok: true, spec: { kind: 'every', ms: want } });
      expect(parseTimeout(d), d).toBe(ms);
      expect(now - parseTimeSpec(d, now), d).toBe(ms);
      expect(parseTimeSpec(`+${d}`, now) - now, d).toBe(ms);
    }
    // a bare number is seconds in the config and --timeout, but no time for --since (as journalctl)
    for (const [n, want] of [
      ['90', 90_000],
      ['.5', 500],
      ['0.5', 500],
      ['1.25', 1250],
    ] as const) {
      expect([parseDuration(n), parseTimeout(n)], n).toEqual([want, want]);
      expect(() => parseTimeSpec(n, now), n).toThrow(/is not a time/);
    }
    // and what one refuses, all refuse
    for (const bad of ['1m30', '1y', '1 2', '-1s', 's', '1.2.3s', '1d12', 'ms', '1.s']) {
      expect(() => parseDuration(bad), bad).toThrow(/expected a duration/);
      expect(() => parseTimeout(bad), bad).toThrow(/--timeout: expected a duration/);
      expect(durationMs(bad), bad).toBeUndefined();
    }
  });
});
