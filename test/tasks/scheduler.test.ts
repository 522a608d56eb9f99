// planTasks: seed a task's state, plan once, compare the exact actions and wakeAt; then whole
// timelines (plan at each wake, apply with the reducers, end runs after a set time) as exact logs.
import { describe, expect, it } from 'vitest';
import { compileSchedule, parseSchedule, type Schedule } from '../../src/tasks/schedule.js';
import {
  applyTaskAction,
  planTasks,
  taskRunEnded,
  type TaskAction,
  type TaskPlan,
  type TaskSpec,
  type TaskState,
} from '../../src/tasks/scheduler.js';

const at = (iso: string) => Date.parse(iso);
const MIN = 60_000;
const T0 = at('2025-05-01T10:00:00.000Z');

function sched(text: string, tz?: string): Schedule {
  const r = parseSchedule(text, text.startsWith('@every') ? undefined : (tz ?? 'UTC'));
  if (!r.ok) throw new Error(r.message);
  return r.schedule;
}
const task = (schedule: Schedule, over: Partial<TaskSpec> = {}): TaskSpec => ({
  name: 'job',
  schedule,
  overlap: 'skip',
  timeout: null,
  catchUp: false,
  ...over,
});
const state = (over: Partial<TaskState> = {}): TaskState => ({
  enabled: true,
  activeSince: T0,
  activeAtStartUp: true,
  running: null,
  queued: null,
  lastStart: null,
  lastEnd: null,
  lastFire: null,
  ...over,
});
const plan1 = (t: TaskSpec, s: TaskState, now: number): TaskPlan => planTasks([t], new Map([[t.name, s]]), now);
const running = (start: number, stopping = false) => ({ start, trigger: 'schedule' as const, stopping });

const q15 = sched('*/15 * * * *');

/** T0 plus `minutes`. */
const T = (minutes: number) => T0 + minutes * MIN;
// A plan and its actions (all for the task 'job'); times in minutes after T0.
const plan = (wakeAt: number | null, ...actions: TaskAction[]): TaskPlan => ({
  actions,
  wakeAt: wakeAt === null ? null : T(wakeAt),
});
const scheduled = (due: number): TaskAction => ({
  kind: 'start',
  name: 'job',
  trigger: 'schedule',
  due: T(due),
  why: 'scheduled run',
});
const skip = (due: number, why: string): TaskAction => ({ kind: 'skip', name: 'job', due: T(due), why });
const queue = (due: number, why: string): TaskAction => ({ kind: 'queue', name: 'job', due: T(due), why });
const replace = (due: number, why: string): TaskAction => ({ kind: 'replace', name: 'job', due: T(due), why });
const timedOut = (why: string): TaskAction => ({ kind: 'timeout', name: 'job', why });
/** The catch-up run at start-up; unlike the helpers above, `dueMs` is a time in ms, not minutes after T0. */
const catchUpStart = (dueMs: number): TaskAction => ({
  kind: 'start',
  name: 'job',
  trigger: 'start-up',
  due: dueMs,
  why: 'catch-up: a scheduled run was missed while tend was down',
});

describe('planTasks: one plan, exact output', () => {
  it.each<[string, TaskSpec, TaskState, number, TaskPlan]>([
    ['cron, not due yet: wakes at the first due after activation', task(q15), state(), T0, plan(15)],
    ['cron, due reached: starts it, wakes at the next', task(q15), state(), T(15), plan(30, scheduled(15))],
    [
      'cron, three dues passed unseen (the machine slept): one run, then the first due after now',
      task(q15),
      state({ lastFire: T0 }),
      T(65),
      plan(75, scheduled(15)),
    ],
    [
      'overlap skip: the due is dropped, with the journal words',
      task(q15),
      state({ running: running(T(5)), lastStart: T(5) }),
      T(15),
      plan(30, skip(15, 'skipped a scheduled run: the previous run (started 10m00s ago) is still running (overlap: skip)')),
    ],
    [
      'overlap skip, the run on its way not spawned yet: says what it waits for, not "still running"',
      task(q15),
      state({ running: { ...running(T(5), true), waiting: 'a run asked before waits to start (for db)' }, lastStart: T(5) }),
      T(15),
      plan(30, skip(15, 'skipped a scheduled run: a run asked before waits to start (for db) (overlap: skip)')),
    ],
    [
      'overlap queue, the run on its way not spawned yet: says what it waits for',
      task(q15, { overlap: 'queue' }),
      state({ running: { ...running(T(5), true), waiting: 'the previous run failed and waits to start again (backoff)' } }),
      T(15),
      plan(30, queue(15, 'queued a scheduled run: the previous run failed and waits to start again (backoff) (overlap: queue)')),
    ],
    [
      'overlap queue: the due waits for the running run',
      task(q15, { overlap: 'queue' }),
      state({ running: running(T(5)) }),
      T(15),
      plan(30, queue(15, 'queued a scheduled run: the previous run (started 10m00s ago) is still running (overlap: queue)')),
    ],
    [
      'overlap replace: stop the running one, then start',
      task(q15, { overlap: 'replace' }),
      state({ running: running(T(5)) }),
      T(15),
      plan(30, replace(15, 'replaced by a scheduled run (overlap: replace; it started 10m00s ago)')),
    ],
    [
      'overlap queue, one already queued: this one is skipped',
      task(q15, { overlap: 'queue' }),
      state({ running: running(T(5)), queued: 'schedule', lastFire: T(15) }),
      T(30),
      plan(45, skip(30, 'skipped a scheduled run: one is already queued behind the running one (overlap: queue)')),
    ],
    [
      'overlap replace while the run is already stopping: queued behind it',
      task(q15, { overlap: 'replace' }),
      state({ running: running(T(5), true) }),
      T(15),
      plan(30, queue(15, 'queued a scheduled run: the previous run (started 10m00s ago) is stopping (overlap: replace)')),
    ],
    [
      'a queued run starts once the running one has ended (its trigger kept; no due consumed)',
      task(q15, { overlap: 'queue' }),
      state({ queued: 'run', lastFire: T(15), lastEnd: T(20) }),
      T(20),
      plan(30, { kind: 'start', name: 'job', trigger: 'run', why: 'queued run: the previous run ended' }),
    ],
    [
      'a queued run and a due at once: one start covers both',
      task(q15, { overlap: 'queue' }),
      state({ queued: 'schedule', lastFire: T(15), lastEnd: T(30) }),
      T(30),
      plan(45, { kind: 'start', name: 'job', trigger: 'schedule', due: T(30), why: 'queued run: the previous run ended' }),
    ],
    [
      'timeout not reached: wakes at it when it comes first',
      task(q15, { timeout: 3 * MIN }),
      state({ running: { start: T(1), trigger: 'run', stopping: false } }),
      T(2),
      plan(4),
    ],
    [
      'timeout reached (any trigger): stop it, it fails',
      task(q15, { timeout: 3 * MIN }),
      state({ running: { start: T(1), trigger: 'run', stopping: false } }),
      T(4),
      plan(15, timedOut('timed out after 3m')),
    ],
    [
      'a run already stopping does not time out twice',
      task(q15, { timeout: 3 * MIN }),
      state({ running: running(T(1), true) }),
      T(10),
      plan(15),
    ],
    [
      'timeout and a due at once (replace): timed out, the due queued behind the stopping run',
      task(q15, { timeout: 15 * MIN, overlap: 'replace' }),
      state({ running: running(T0) }),
      T(15),
      plan(
        30,
        timedOut('timed out after 15m'),
        queue(15, 'queued a scheduled run: the previous run (started 15m00s ago) is stopping (overlap: replace)'),
      ),
    ],
    [
      'a run started with a timeout: wakes at its timeout when that comes before the next due',
      task(q15, { timeout: 4 * MIN }),
      state(),
      T(15),
      plan(19, scheduled(15)),
    ],
    ['disabled: nothing falls due', task(q15), state({ enabled: false }), T(20), plan(null)],
    [
      'disabled: a running run still times out; a queued run waits',
      task(q15, { timeout: MIN }),
      state({ enabled: false, running: running(T0), queued: 'schedule' }),
      T(2),
      plan(null, timedOut('timed out after 1m')),
    ],
    [
      'disabled: a run that tend run queued starts once the going one has ended (tend run works on a paused task)',
      task(q15),
      state({ enabled: false, queued: 'run', lastEnd: T(20) }),
      T(20),
      plan(null, { kind: 'start', name: 'job', trigger: 'run', why: 'queued run: the previous run ended' }),
    ],
    [
      'disabled: a queued scheduled run does not start when the going one has ended',
      task(q15),
      state({ enabled: false, queued: 'schedule', lastEnd: T(20) }),
      T(20),
      plan(null),
    ],
    [
      'disabled: a run that tend run queued waits while the going one runs',
      task(q15),
      state({ enabled: false, running: running(T(19)), queued: 'run' }),
      T(20),
      plan(null),
    ],
    [
      'a schedule that never fires: no action, no wake',
      task(compileSchedule({ kind: 'cron', expr: '0 0 30 2 *', timezone: 'UTC' })),
      state(),
      T0,
      plan(null),
    ],
  ])('%s', (_, t, s, now, expected) => {
    expect(plan1(t, s, now)).toEqual(expected);
  });
});

describe('planTasks: every (from the end of the last run)', () => {
  const e10 = sched('@every 10m');
  it.each<[string, TaskSpec, TaskState, number, TaskPlan]>([
    ['never ran: first due one interval after activation', task(e10), state(), T0, plan(10)],
    ['due: starts', task(e10), state(), T(10), plan(null, scheduled(10))],
    [
      'from the end of the last run, not its start',
      task(e10),
      state({ lastStart: T(10), lastEnd: T(13), lastFire: T(10) }),
      T(20),
      plan(23),
    ],
    ['a run that ended before activation, due after it: kept', task(e10), state({ lastEnd: T(-2) }), T0, plan(8)],
    ['a due missed while tend was down: not made up', task(e10), state({ lastEnd: T(-60) }), T0, plan(10)],
    [
      'a due missed while tend was down, catch_up: one run at start-up',
      task(e10, { catchUp: true }),
      state({ lastEnd: T(-60) }),
      T0,
      plan(null, catchUpStart(T0)),
    ],
    [
      'catch_up after `tend enable` (not start-up): not made up',
      task(e10, { catchUp: true }),
      state({ lastEnd: T(-60), activeAtStartUp: false }),
      T0,
      plan(10),
    ],
    ['catch_up, never ran: nothing was missed', task(e10, { catchUp: true }), state(), T0, plan(10)],
    ['running: nothing is due until it ends', task(e10), state({ running: running(T0), lastEnd: T(-30) }), T(60), plan(null)],
    ['running with a timeout: wakes for it', task(e10, { timeout: 5 * MIN }), state({ running: running(T0) }), T(1), plan(5)],
  ])('%s', (_, t, s, now, expected) => {
    expect(plan1(t, s, now)).toEqual(expected);
  });
});

describe('planTasks: catch_up of a cron schedule at start-up', () => {
  // daily at 02:30 UTC; tend starts (activeSince) at 09:00 on 2025-05-02
  const daily = sched('30 2 * * *');
  const up = at('2025-05-02T09:00:00.000Z');
  const catchUpRun = catchUpStart(up);
  const next = at('2025-05-03T02:30:00.000Z');
  it.each<[string, boolean, Partial<TaskState>, TaskPlan]>([
    [
      "last run the day before: today's 02:30 was missed, one run now",
      true,
      { lastStart: at('2025-05-01T02:30:00.000Z') },
      { actions: [catchUpRun], wakeAt: next },
    ],
    [
      'several days down: still one run',
      true,
      { lastStart: at('2025-04-20T02:30:00.000Z') },
      { actions: [catchUpRun], wakeAt: next },
    ],
    ['without catch_up: not made up', false, { lastStart: at('2025-05-01T02:30:00.000Z') }, { actions: [], wakeAt: next }],
    [
      "the last run was today's: nothing missed",
      true,
      { lastStart: at('2025-05-02T02:30:00.000Z') },
      { actions: [], wakeAt: next },
    ],
    ['never ran: nothing missed', true, { lastStart: null }, { actions: [], wakeAt: next }],
    [
      'activated by `tend enable`, not start-up',
      true,
      { lastStart: at('2025-05-01T02:30:00.000Z'), activeAtStartUp: false },
      { actions: [], wakeAt: next },
    ],
    [
      'a due already handled since start-up: no second catch-up',
      true,
      { lastStart: at('2025-05-01T02:30:00.000Z'), lastFire: up },
      { actions: [], wakeAt: next },
    ],
  ])('%s', (_, catchUp, over, expected) => {
    expect(plan1(task(daily, { catchUp }), state({ activeSince: up, ...over }), up)).toEqual(expected);
  });

  it('a catch-up due while an adopted run is still going follows overlap', () => {
    const s = state({ activeSince: up, lastStart: at('2025-05-01T02:30:00.000Z'), running: running(up - MIN) });
    expect(plan1(task(daily, { catchUp: true }), s, up).actions).toEqual([
      {
        kind: 'skip',
        name: 'job',
        due: up,
        why: 'skipped a scheduled run: the previous run (started 1m00s ago) is still running (overlap: skip)',
      },
    ]);
  });
});

describe('planTasks: several tasks', () => {
  it('actions in task order, the earliest wake of all, tasks without state left out', () => {
    const a = task(sched('*/5 * * * *'), { name: 'a' });
    const b = task(sched('@every 2m'), { name: 'b' });
    const c = task(sched('* * * * *'), { name: 'c' });
    const states = new Map([
      ['a', state({ lastFire: T0 })],
      ['b', state({ lastEnd: T0 - 3 * MIN })],
    ]);
    expect(planTasks([a, b, c], states, T0 + MIN)).toEqual({
      actions: [],
      wakeAt: T0 + 2 * MIN,
    });
    expect(planTasks([a, b, c], states, T0 + 5 * MIN).actions.map((x) => `${x.kind} ${x.name}`)).toEqual(['start a', 'start b']);
  });

  it('is pure: the states it is given are not changed', () => {
    const s = Object.freeze(state({ running: Object.freeze(running(T0)) }));
    const t = task(q15, { timeout: MIN, overlap: 'replace' });
    const before = JSON.stringify(s);
    plan1(t, s, T0 + 15 * MIN);
    expect(JSON.stringify(s)).toBe(before);
  });
});

describe('applyTaskAction / taskRunEnded', () => {
  it('record what the caller did', () => {
    const s = state();
    const now = T0 + 15 * MIN;
    expect(applyTaskAction(s, { kind: 'start', name: 'job', trigger: 'schedule', due: now, why: '' }, now)).toEqual(
      state({ running: running(now), lastStart: now, lastFire: now }),
    );
    expect(applyTaskAction(state({ queued: 'run' }), { kind: 'start', name: 'job', trigger: 'run', why: '' }, now)).toEqual(
      state({ running: { start: now, trigger: 'run', stopping: false }, lastStart: now }),
    );
    const r = state({ running: running(T0) });
    expect(applyTaskAction(r, { kind: 'skip', name: 'job', due: now, why: '' }, now)).toEqual({ ...r, lastFire: now });
    expect(applyTaskAction(r, { kind: 'queue', name: 'job', due: now, why: '' }, now)).toEqual({
      ...r,
      lastFire: now,
      queued: 'schedule',
    });
    expect(applyTaskAction(r, { kind: 'replace', name: 'job', due: now, why: '' }, now)).toEqual({
      ...r,
      lastFire: now,
      queued: 'schedule',
      running: running(T0, true),
    });
    expect(applyTaskAction(r, { kind: 'timeout', name: 'job', why: '' }, now)).toEqual({ ...r, running: running(T0, true) });
    expect(taskRunEnded(r, now)).toEqual({ ...r, running: null, lastEnd: now });
  });
});

/**
 * Runs the planner over a timeline: plan at each wake or run end, apply the actions with the
 * reducers; a started run ends `runFor` ms later, a stopped one (timeout, replace) 1 s after the stop.
 * Returns one line per action: "ISO-time kind[/trigger]".
 */
function timeline(t: TaskSpec, s0: TaskState, until: number, runFor: number): string[] {
  let s = s0;
  let now = s0.activeSince;
  let endAt: number | null = null;
  const log: string[] = [];
  for (let guard = 0; guard < 1000; guard++) {
    if (endAt !== null && endAt <= now) {
      s = taskRunEnded(s, endAt);
      endAt = null;
    }
    const p = planTasks([t], new Map([[t.name, s]]), now);
    for (const a of p.actions) {
      log.push(`${new Date(now).toISOString().slice(0, 19)} ${a.kind}${a.kind === 'start' ? `/${a.trigger}` : ''}`);
      s = applyTaskAction(s, a, now);
      if (a.kind === 'start') endAt = now + runFor;
      if (a.kind === 'timeout' || a.kind === 'replace') endAt = Math.min(endAt ?? Infinity, now + 1000);
    }
    const next = Math.min(p.wakeAt ?? Infinity, endAt ?? Infinity);
    if (next > until) return log;
    now = Math.max(now, next);
  }
  throw new Error('timeline did not settle');
}

describe('timelines', () => {
  it('DST in Europe/Berlin: 02:30 daily runs at 03:00 on the spring-forward day, once on the fall-back day', () => {
    const t = task(sched('30 2 * * *', 'Europe/Berlin'));
    expect(timeline(t, state({ activeSince: at('2025-03-28T12:00:00Z') }), at('2025-04-01T00:00:00Z'), MIN)).toEqual([
      '2025-03-29T01:30:00 start/schedule',
      '2025-03-30T01:00:00 start/schedule',
      '2025-03-31T00:30:00 start/schedule',
    ]);
    expect(timeline(t, state({ activeSince: at('2025-10-24T12:00:00Z') }), at('2025-10-28T00:00:00Z'), MIN)).toEqual([
      '2025-10-25T00:30:00 start/schedule',
      '2025-10-26T00:30:00 start/schedule',
      '2025-10-27T01:30:00 start/schedule',
    ]);
  });

  it('DST in Europe/Berlin: hourly runs keep real time through the repeated hour', () => {
    const t = task(sched('0 * * * *', 'Europe/Berlin'));
    expect(timeline(t, state({ activeSince: at('2025-10-25T23:30:00Z') }), at('2025-10-26T02:30:00Z'), MIN)).toEqual([
      '2025-10-26T00:00:00 start/schedule', // 02:00 CEST
      '2025-10-26T01:00:00 start/schedule', // 02:00 CET
      '2025-10-26T02:00:00 start/schedule', // 03:00 CET
    ]);
  });

  it('@every 10m with 3-minute runs: each 10 minutes after the last end', () => {
    expect(timeline(task(sched('@every 10m')), state(), T0 + 50 * MIN, 3 * MIN)).toEqual([
      '2025-05-01T10:10:00 start/schedule',
      '2025-05-01T10:23:00 start/schedule',
      '2025-05-01T10:36:00 start/schedule',
      '2025-05-01T10:49:00 start/schedule',
    ]);
  });

  // runs of 15 minutes on a schedule every 10
  it.each<[string, Partial<TaskSpec>, number, string[]]>([
    [
      'overlap skip, runs of 15 minutes every 10: every other due is skipped',
      {},
      50,
      ['10:10:00 start/schedule', '10:20:00 skip', '10:30:00 start/schedule', '10:40:00 skip', '10:50:00 start/schedule'],
    ],
    [
      'overlap queue, runs of 15 minutes every 10: each due waits for the run before it',
      { overlap: 'queue' },
      60,
      [
        '10:10:00 start/schedule',
        '10:20:00 queue',
        '10:25:00 start/schedule',
        '10:30:00 queue',
        '10:40:00 start/schedule', // the queued run and the 10:40 due, one start
        '10:50:00 queue',
        '10:55:00 start/schedule',
        '11:00:00 queue',
      ],
    ],
    [
      'overlap replace: each due stops the running run and starts once it has ended',
      { overlap: 'replace' },
      35,
      ['10:10:00 start/schedule', '10:20:00 replace', '10:20:01 start/schedule', '10:30:00 replace', '10:30:01 start/schedule'],
    ],
    [
      'timeout: a run past it is stopped; the next due starts as usual',
      { timeout: 4 * MIN },
      30,
      ['10:10:00 start/schedule', '10:14:00 timeout', '10:20:00 start/schedule', '10:24:00 timeout', '10:30:00 start/schedule'],
    ],
  ])('%s', (_, over, untilMinutes, times) => {
    expect(timeline(task(sched('*/10 * * * *'), over), state(), T(untilMinutes), 15 * MIN)).toEqual(
      times.map((x) => `2025-05-01T${x}`),
    );
  });

  it('catch_up at start-up, then the schedule as usual; without it, the schedule only', () => {
    const up = at('2025-05-02T09:00:00Z');
    const s = state({ activeSince: up, lastStart: at('2025-05-01T02:30:00Z'), lastEnd: at('2025-05-01T02:31:00Z') });
    expect(timeline(task(sched('30 2 * * *'), { catchUp: true }), s, at('2025-05-04T00:00:00Z'), MIN)).toEqual([
      '2025-05-02T09:00:00 start/start-up',
      '2025-05-03T02:30:00 start/schedule',
    ]);
    expect(timeline(task(sched('30 2 * * *')), s, at('2025-05-04T00:00:00Z'), MIN)).toEqual([
      '2025-05-03T02:30:00 start/schedule',
    ]);
  });
});
