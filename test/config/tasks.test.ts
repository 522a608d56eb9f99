// The task keys of a service (schedule, every, timezone, overlap, timeout, catch_up, approval,
// pool) and settings.pools / max_parallel: the Spec they build, and every misuse located.
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/config/index.js';
import { errorsOf, yaml } from './helpers.js';

const task = (...lines: string[]) =>
  yaml(
    'settings:',
    '  pools: { backups: 2 }',
    '  max_parallel: 3',
    'services:',
    '  job:',
    '    type: oneshot',
    '    command: x',
    ...lines.map((l) => `    ${l}`),
  );

describe('task keys', () => {
  it('build the spec: schedule with timezone, overlap, timeout, catch_up, approval, pool; the settings', () => {
    const spec = parseSpec(
      task(
        'schedule: "*/5 * * * *"',
        'timezone: Europe/Berlin',
        'overlap: queue',
        'timeout: 5s',
        'catch_up: true',
        'approval: true',
        'pool: backups',
      ),
      'tend.yaml',
    );
    expect(spec.settings.pools).toEqual({ backups: 2 });
    expect(spec.settings.maxParallel).toBe(3);
    const s = spec.services[0]!;
    expect(s.schedule).toEqual({ kind: 'cron', expr: '*/5 * * * *', timezone: 'Europe/Berlin' });
    expect([s.overlap, s.timeout, s.catchUp, s.approval, s.pool]).toEqual(['queue', 5000, true, true, 'backups']);
  });

  it('every: D and @every D are the same schedule; overlap defaults to skip, catch_up to false', () => {
    for (const line of ['every: 10m', 'schedule: "@every 10m"']) {
      const s = parseSpec(task(line), 'tend.yaml').services[0]!;
      expect([s.schedule, s.overlap, s.catchUp]).toEqual([{ kind: 'every', ms: 600_000 }, 'skip', false]);
    }
  });

  it('a oneshot without schedule has none of the schedule fields; timeout and approval stand alone', () => {
    const s = parseSpec(task('timeout: 1m', 'approval: true'), 'tend.yaml').services[0]!;
    expect(s.schedule).toBeUndefined();
    expect(s.overlap).toBeUndefined();
    expect([s.timeout, s.approval]).toEqual([60_000, true]);
  });

  it('a bad cron expression, a bad time zone, a short every: located, with the field at fault', () => {
    expect(errorsOf(task('schedule: "61 * * * *"'))).toEqual([
      'tend.yaml:8:15: services.job.schedule: expected a cron expression: minute hour day-of-month month day-of-week; got "61 * * * *" (the minute must be 0-59)',
    ]);
    expect(errorsOf(task('schedule: "@daily"', 'timezone: Europe/Berln'))).toEqual([
      'tend.yaml:9:15: services.job.timezone: expected an IANA time zone name like Europe/Berlin or UTC; got "Europe/Berln" (did you mean "Europe/Berlin"?)',
    ]);
    expect(errorsOf(task('every: 500ms'))).toEqual([
      'tend.yaml:8:12: services.job.every: expected a duration of 1s or more; got 500ms',
    ]);
  });

  it('task keys on a simple service, schedule with every, timezone or overlap without a schedule, an unknown pool', () => {
    const text = yaml(
      'services:',
      '  web:',
      '    command: x',
      '    schedule: "@daily"',
      '    pool: nope',
      '  a:',
      '    type: oneshot',
      '    command: x',
      '    schedule: "@daily"',
      '    every: 1h',
      '  b:',
      '    type: oneshot',
      '    command: x',
      '    timezone: UTC',
      '    overlap: skip',
    );
    expect(errorsOf(text)).toEqual([
      'tend.yaml:4:5: services.web.schedule: schedule is for a oneshot (a task); this service is type simple (set type: oneshot)',
      'tend.yaml:5:11: services.web.pool: unknown pool "nope" (settings.pools declares none)',
      'tend.yaml:10:5: services.a.every: give schedule or every, not both',
      'tend.yaml:14:5: services.b.timezone: timezone applies to a cron schedule: add schedule',
      'tend.yaml:15:5: services.b.overlap: overlap applies to a task with schedule or every',
    ]);
  });

  it('settings.pools takes names and sizes >= 1; overlap is one of skip, queue, replace', () => {
    const text = yaml(
      'settings:',
      '  pools: { Bad: 1, ok: 0 }',
      'services:',
      '  a:',
      '    type: oneshot',
      '    command: x',
      '    every: 1h',
      '    overlap: replase',
    );
    expect(errorsOf(text)).toEqual([
      'tend.yaml:2:17: settings.pools.Bad: expected a pool name matching [a-z0-9][a-z0-9_-]{0,62}; got "Bad"',
      'tend.yaml:2:24: settings.pools.ok: expected an integer >= 1; got 0',
      'tend.yaml:8:14: services.a.overlap: expected one of skip, queue, replace; got "replase" (did you mean "replace"?)',
    ]);
  });
});
