// The words and text of the task commands: `tend run` (NAME alone, the transient form's seam
// after `--`), `tend history`'s table, top's NEXT RUN column.
import { describe, expect, it } from 'vitest';
import { buildRequest } from '../../src/commands/run.js';
import { historyTable } from '../../src/commands/history.js';
import { taskRun } from '../../src/commands/task-run.js';
import { UsageError } from '../../src/commands/parse.js';
import { cellText, layoutColumns } from '../../src/shell/top-table.js';
import type { StatusRow } from '../../src/control/wire.js';
import type { RunRecord } from '../../src/tasks/history.js';

describe('tend run: the request', () => {
  it('NAME alone, with --follow and --no-wait', () => {
    expect(buildRequest(taskRun, ['backup'])!.args).toEqual({ name: 'backup', follow: false, wait: true });
    expect(buildRequest(taskRun, ['backup', '-f', '--no-wait'])!.args).toEqual({ name: 'backup', follow: true, wait: false });
  });

  it("NAME -- CMD [ARGS] is the transient form: the words after -- become `command`, flags among them kept; with the caller's folder and environment", () => {
    expect(buildRequest(taskRun, ['tmp', '--', 'sleep', '-x', '5'])!.args).toEqual({
      name: 'tmp',
      wait: true,
      command: ['sleep', '-x', '5'],
      cwd: process.cwd(),
      env: expect.objectContaining({ PATH: process.env.PATH }),
    });
    expect(buildRequest(taskRun, ['tmp', '--no-wait', '--', 'sleep', '5'])!.args).toMatchObject({
      wait: false,
      command: ['sleep', '5'],
    });
    expect(() => buildRequest(taskRun, ['tmp', '-f', '--', 'sleep', '5'])).toThrow(
      new UsageError('run: --follow is for tasks; tend logs tmp -f follows a transient service'),
    );
  });

  it('refuses words after NAME without --, and -- without a command', () => {
    expect(() => buildRequest(taskRun, ['a', 'b'])).toThrow(
      new UsageError('run: expected NAME, or NAME -- CMD [ARGS]; got 2 words'),
    );
    expect(() => buildRequest(taskRun, ['a', '--'])).toThrow(new UsageError('run: expected NAME -- CMD [ARGS]'));
    expect(() => buildRequest(taskRun, [])).toThrow(UsageError);
  });

  it('exits 1 when the run failed, 0 when it completed or only started', () => {
    const r = {
      name: 'x',
      how: 'now' as const,
      reason: '',
      exit_code: null,
      start: null,
      end: null,
      duration_ms: null,
      also: [],
    };
    expect([
      taskRun.exitCode!({ ...r, result: 'failed' }),
      taskRun.exitCode!({ ...r, result: 'completed' }),
      taskRun.exitCode!({ ...r, result: 'started' }),
    ]).toEqual([1, 0, 0]);
  });
});

describe('tend history: the table', () => {
  const run = (over: Partial<RunRecord>): RunRecord => ({
    start: '2026-01-02T03:04:05.000Z',
    end: '2026-01-02T03:04:47.000Z',
    duration_ms: 42_000,
    exit: { code: 0 },
    trigger: 'schedule',
    result: 'completed',
    reason: 'exited with code 0',
    ...over,
  });

  it('one row a run: local times, duration, result, exit (code, signal, spawn error, lost), trigger, reason', () => {
    const lines = historyTable(
      [
        run({}),
        run({ exit: { signal: 'SIGTERM' }, result: 'failed', trigger: 'run', reason: 'timed out after 1s (killed by SIGTERM)' }),
        run({ exit: { spawn_error: 'ENOENT' }, result: 'failed' }),
        run({ exit: { lost: true } }),
      ],
      false,
    ).split('\n');
    expect(lines[0]).toBe('START                END       DURATION  RESULT     EXIT         TRIGGER   REASON');
    expect(lines[1]).toMatch(
      /^2026-01-0\d \d\d:\d\d:05 {2}\d\d:\d\d:47 {2}42s {7}completed {2}0 {12}schedule {2}exited with code 0$/,
    );
    expect(lines[2]).toMatch(/ failed {5}SIGTERM {6}run {7}timed out after 1s \(killed by SIGTERM\)$/);
    expect(lines[3]).toMatch(/ failed {5}spawn error {2}schedule /);
    expect(lines[4]).toMatch(/ completed {2}lost {9}schedule /);
  });

  it('says so when there is none', () => {
    expect(historyTable([], false)).toBe('no runs yet');
  });

  it('the runs of several instances (a replica set) say whose each one was', () => {
    const lines = historyTable(
      [
        { instance: 'job.1', ...run({}) },
        { instance: 'job.2', ...run({}) },
      ],
      false,
    ).split('\n');
    expect(lines[0]).toMatch(/^INSTANCE +START +END /);
    expect(lines.slice(1).map((l) => l.split(' ')[0])).toEqual(['job.1', 'job.2']);
  });
});

describe('top: NEXT RUN', () => {
  const row = (over: Partial<StatusRow> = {}): StatusRow => ({
    name: 'job',
    service: 'job',
    replica: null,
    state: 'scheduled',
    pid: null,
    restarts: 0,
    exit_code: null,
    exit: null,
    since: '2026-01-01T00:00:00.000Z',
    uptime_ms: null,
    cpu: null,
    memory: null,
    detail: '',
    want: 'up',
    log_error: null,
    ...over,
  });

  it('appears when a row has a next run, reads "in 4m00s", and is "-" for the others', () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    const rows = [row({ next_run: '2026-01-01T00:04:00.000Z' }), row({ name: 'web', state: 'running' })];
    expect(layoutColumns(rows, 120).columns.map((c) => c.key)).toEqual([
      'name',
      'state',
      'pid',
      'uptime',
      'restarts',
      'cpu',
      'memory',
      'next',
    ]);
    expect(layoutColumns([row({ name: 'web' })], 120).columns.map((c) => c.key)).not.toContain('next');
    expect([cellText(rows[0]!, 'next', now), cellText(rows[1]!, 'next', now)]).toEqual(['in 4m00s', '-']);
  });
});
