// The daemon's task scheduler (src/daemon/tasks.ts) over a Supervisor of fakes and a manual
// clock: dues from every and cron schedules, overlap skip/queue/replace of a due, catch_up from
// the history on disk, disable/enable, tend run's overlap, and the history file it writes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceSpec, Spec } from '../../src/core/types.js';
import { clockTime, statusRow } from '../../src/daemon/status.js';
import { TaskScheduler } from '../../src/daemon/tasks.js';
import { historyFile, runRecord } from '../../src/tasks/history.js';
import { code, flush, harness, instanceSpec } from '../helpers/fakes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const MIN = 60_000;

/** A supervisor of fakes with a task scheduler over `services` (their instances added first). */
async function setup(
  services: Array<[string, Partial<ServiceSpec>]>,
  opts: { start?: number; history?: Record<string, number[][]> } = {},
) {
  const h = harness({ start: opts.start });
  const logDir = mkdtempSync(join(tmpdir(), 'tend-tasks-'));
  dirs.push(logDir);
  for (const [id, runs] of Object.entries(opts.history ?? {})) {
    const lines = runs.map(([start, end]) =>
      JSON.stringify(
        runRecord({
          start: start!,
          end: end!,
          exit: code(0),
          trigger: 'schedule',
          result: 'completed',
          reason: 'exited with code 0',
        }),
      ),
    );
    writeFileSync(historyFile(logDir, id), lines.join('\n') + '\n');
  }
  const insts = services.map(([n, over]) => instanceSpec(n, { type: 'oneshot', restart: 'never', ...over }));
  const spec: Spec = {
    file: join(logDir, 'tend.yaml'),
    dir: logDir,
    settings: { socket: join(logDir, 's'), logDir, shutdownTimeout: 1000, echo: false, watch: false },
    services: insts.map((i) => i.spec),
  };
  h.sup.add(insts);
  const tasks = new TaskScheduler({ sup: h.sup, journal: h.journal, clock: h.clock });
  tasks.setSpec(spec);
  // the first plan follows the (async) compile and history reads
  for (
    let k = 0;
    k < 200 &&
    services.some(([n, o]) => o.schedule && h.get(n).nextRunAt === null && h.get(n).state === 'scheduled' && !h.get(n).paused);
    k++
  ) {
    await new Promise((r) => setTimeout(r, 5));
  }
  await flush();
  return { ...h, tasks };
}

const every = (ms: number, over: Partial<ServiceSpec> = {}): Partial<ServiceSpec> => ({
  schedule: { kind: 'every', ms },
  ...over,
});
const cron = (expr: string, over: Partial<ServiceSpec> = {}): Partial<ServiceSpec> => ({
  schedule: { kind: 'cron', expr, timezone: 'UTC' },
  ...over,
});

describe('clockTime', () => {
  const now = Date.parse('2026-12-05T10:00:00Z');
  it("says a task's own time zone, in that zone: not to be read as tend's", () => {
    expect(clockTime(now + 3_600_000, now, 'America/New_York')).toBe('06:00:00 America/New_York');
    expect(clockTime(now + 3_600_000, now, 'Asia/Kolkata')).toBe('16:30:00 Asia/Kolkata');
    expect(clockTime(now + 3 * 86_400_000, now, 'Asia/Kolkata')).toBe('2026-12-08 15:30 Asia/Kolkata');
    expect(clockTime(now + 3_600_000, now)).toMatch(/^\d\d:\d\d:00$/); // tend's own zone, unnamed
  });
});

describe('TaskScheduler', () => {
  it('status gives the next run of a cron task in its own time zone, named', async () => {
    const h = await setup([['job', { schedule: { kind: 'cron', expr: '0 9 * * *', timezone: 'Asia/Tokyo' } }]]);
    expect(statusRow(h.sup.store, h.get('job'), h.clock.now()).detail).toMatch(
      /^next run (\d{4}-\d\d-\d\d 09:00|09:00:00) Asia\/Tokyo \(in /,
    );
    h.tasks.close();
  });

  it("a tend started again knows each task's last run from its history (status and why say it)", async () => {
    const start = Date.parse('2026-12-05T10:00:00Z');
    const h = await setup([['job', every(60 * MIN)]], { start, history: { job: [[start - 5 * MIN, start - 4 * MIN]] } });
    expect(h.get('job').lastRun).toMatchObject({
      start: start - 5 * MIN,
      end: start - 4 * MIN,
      exit: { kind: 'exited', code: 0 },
      trigger: 'schedule',
      result: 'completed',
    });
    // a new run: one more line in the history, the old one not written twice (history() awaits the
    // appends under way)
    expect(h.tasks.run(h.get('job')).how).toBe('now');
    await flush();
    h.spawner.exit('job', code(0));
    await flush();
    expect((await h.tasks.history(['job'], 10)).map((r) => r.trigger)).toEqual(['schedule', 'run']);
    h.tasks.close();
  });

  it('every: the first run D after start-up, the next D after the end of the last; each run in the history file', async () => {
    const h = await setup([['job', every(MIN)]]);
    const t0 = h.clock.now();
    expect(h.get('job').nextRunAt).toBe(t0 + MIN);
    await h.clock.advance(MIN - 1);
    expect(h.spawner.count('job')).toBe(0);
    await h.clock.advance(1);
    expect([h.get('job').state, h.get('job').trigger]).toEqual(['running', 'schedule']);
    await h.clock.advance(5000);
    h.spawner.exit('job', code(0));
    await flush();
    expect(h.get('job').state).toBe('scheduled');
    expect(h.get('job').nextRunAt).toBe(t0 + MIN + 5000 + MIN);
    const runs = await h.tasks.history(['job'], 10);
    expect(runs.map((r) => [r.trigger, r.result, r.duration_ms])).toEqual([['schedule', 'completed', 5000]]);
    expect(h.lines()).toContain('job state: scheduled -> pending: scheduled run');
    h.tasks.close();
  });

  it('cron, overlap skip: a due while the run goes is skipped and journaled; the next due is the one after', async () => {
    const h = await setup([['job', cron('* * * * *')]], { start: 10 * MIN });
    expect(h.get('job').nextRunAt).toBe(11 * MIN);
    await h.clock.advance(MIN);
    expect(h.get('job').state).toBe('running');
    await h.clock.advance(MIN);
    expect(h.spawner.count('job')).toBe(1);
    expect(h.lines()).toContain(
      'job skip: skipped a scheduled run: the previous run (started 1m00s ago) is still running (overlap: skip)',
    );
    expect(h.get('job').nextRunAt).toBe(13 * MIN);
    h.tasks.close();
  });

  it('cron, overlap skip: a due while the failed run waits in backoff says so, not "still running"', async () => {
    const backoff = { initial: 5 * MIN, max: 5 * MIN, factor: 2 };
    const h = await setup([['job', cron('* * * * *', { restart: 'on-failure', backoff })]], { start: 10 * MIN });
    await h.clock.advance(MIN);
    h.spawner.exit('job', code(1));
    await flush();
    expect(h.get('job').state).toBe('backoff');
    await h.clock.advance(MIN);
    expect(h.lines()).toContain(
      'job skip: skipped a scheduled run: the previous run failed and waits to start again (backoff) (overlap: skip)',
    );
    h.tasks.close();
  });

  it('cron, overlap queue: the due waits for the run to end, then runs at once', async () => {
    const h = await setup([['job', cron('* * * * *', { overlap: 'queue' })]], { start: 10 * MIN });
    await h.clock.advance(2 * MIN);
    expect(h.lines()).toContain(
      'job queue: queued a scheduled run: the previous run (started 1m00s ago) is still running (overlap: queue)',
    );
    await h.clock.advance(10_000);
    h.spawner.exit('job', code(0));
    await flush();
    expect([h.spawner.count('job'), h.get('job').state]).toEqual([2, 'running']);
    h.tasks.close();
  });

  it('cron, overlap replace: the running run is stopped (and fails), then the due runs', async () => {
    const h = await setup([['job', cron('* * * * *', { overlap: 'replace' })]], { start: 10 * MIN });
    await h.clock.advance(2 * MIN);
    expect(h.get('job').state).toBe('stopping');
    expect(h.spawner.signalsOf('job')).toEqual(['SIGTERM']);
    h.spawner.exit('job', { kind: 'signaled', signal: 'SIGTERM' });
    await flush();
    expect([h.spawner.count('job'), h.get('job').state]).toEqual([2, 'running']);
    const [first] = await h.tasks.history(['job'], 10);
    expect([first!.result, first!.reason]).toEqual([
      'failed',
      'replaced by a scheduled run (overlap: replace) (killed by SIGTERM)',
    ]);
    h.tasks.close();
  });

  it('catch_up: a run missed while tend was down runs once at start-up (trigger start-up); without it, not', async () => {
    const now = 100 * MIN;
    const history = { job: [[now - 130 * MIN, now - 129 * MIN]], quiet: [[now - 130 * MIN, now - 129 * MIN]] };
    const h = await setup(
      [
        ['job', every(60 * MIN, { catchUp: true })],
        ['quiet', every(60 * MIN)],
      ],
      { start: now, history },
    );
    await flush();
    expect([h.get('job').state, h.get('job').trigger]).toEqual(['running', 'start-up']);
    expect(h.get('quiet').state).toBe('scheduled');
    expect(h.get('quiet').nextRunAt).toBe(now + 60 * MIN);
    h.tasks.close();
  });

  it('disable pauses the schedule (no run, no next run); enable resumes it from now', async () => {
    const h = await setup([['job', every(MIN)]]);
    h.sup.setPaused(h.get('job'), true);
    h.tasks.touch('job');
    await flush();
    expect(h.get('job').nextRunAt).toBe(null);
    await h.clock.advance(5 * MIN);
    expect(h.spawner.count('job')).toBe(0);
    h.sup.setPaused(h.get('job'), false);
    h.tasks.touch('job');
    await flush();
    expect(h.get('job').nextRunAt).toBe(h.clock.now() + MIN);
    h.tasks.close();
  });

  it('tend run while a run waits for approval: says it waits, not that a run is still going', async () => {
    const h = await setup([['gated', { approval: true }]]); // autostart: its run waits at once
    await flush();
    expect(h.get('gated').state).toBe('pending');
    expect(h.tasks.run(h.get('gated'))).toMatchObject({
      how: 'skipped',
      why: 'skipped a run asked by tend run: a run asked before waits to start (waiting for approval (tend approve gated)) (overlap: skip)',
    });
    h.tasks.close();
  });

  it('tend run: now when idle; while a run goes, by the overlap (skip refuses, queue after, replace stops it)', async () => {
    const h = await setup([
      ['sk', every(60 * MIN)],
      ['qu', every(60 * MIN, { overlap: 'queue' })],
      ['re', every(60 * MIN, { overlap: 'replace' })],
      ['plain', {}],
    ]);
    for (const n of ['sk', 'qu', 're']) expect(h.tasks.run(h.get(n)).how).toBe('now');
    await flush();
    expect(h.tasks.run(h.get('sk'))).toMatchObject({
      how: 'skipped',
      why: 'skipped a run asked by tend run: the previous run (started 0ms ago) is still running (overlap: skip)',
    });
    expect(h.tasks.run(h.get('qu')).how).toBe('queued');
    expect(h.tasks.run(h.get('qu')).how).toBe('skipped'); // one queued at most
    expect(h.tasks.run(h.get('re')).how).toBe('replaced');
    await flush();
    expect(h.spawner.signalsOf('re')).toEqual(['SIGTERM']);
    h.spawner.exit('qu', code(0));
    h.spawner.exit('re', { kind: 'signaled', signal: 'SIGTERM' });
    await flush();
    expect([h.spawner.count('qu'), h.spawner.count('re')]).toEqual([2, 2]);
    expect([h.get('qu').trigger, h.get('re').trigger]).toEqual(['run', 'run']);
    // a oneshot without a schedule: never twice at once
    await flush();
    expect(h.tasks.run(h.get('plain')).how).toBe('skipped');
    h.tasks.close();
  });
});
