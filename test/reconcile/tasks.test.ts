// The planner and the loop with tasks: a oneshot's timeout, runs tend ends itself (endRun), the
// approval gate, pools and max_parallel, and a task with a schedule resting in `scheduled`.
import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/core/types.js';
import { plan } from '../../src/reconcile/plan.js';
import { afterExit } from '../../src/reconcile/policy.js';
import { currentRun, currentRunLines } from '../../src/commands/lifecycle.js';
import { code, flush, harness, instanceSpec, record, storeOf } from '../helpers/fakes.js';

const TASK: Partial<ServiceSpec> = { type: 'oneshot', restart: 'never', schedule: { kind: 'every', ms: 60_000 } };
const ONESHOT: Partial<ServiceSpec> = { type: 'oneshot', restart: 'never' };

/** migrate (a task) ran well and web, which depends on it, runs; then a scheduled run of migrate failed. */
async function afterFailedRun() {
  const h = harness();
  h.sup.add([instanceSpec('migrate', TASK), instanceSpec('web', { dependsOn: { migrate: 'completed' } })]);
  await flush();
  h.spawner.exit('migrate', code(0));
  await flush();
  expect(h.states('migrate', 'web')).toEqual({ migrate: 'scheduled', web: 'running' });
  h.sup.start([h.get('migrate')], 'schedule', 'scheduled run');
  await flush();
  h.spawner.exit('migrate', code(4));
  await flush();
  expect(h.states('migrate', 'web')).toEqual({ migrate: 'scheduled', web: 'running' });
  return h;
}

describe('plan: tasks', () => {
  it('times a oneshot out: a wake at start + timeout, then a stop that ends the run as failed', () => {
    const slow = record(instanceSpec('slow', { ...ONESHOT, timeout: 5000 }), { state: 'running', startedAt: 1000, pid: 7 });
    expect(plan(storeOf(slow), 5999)).toEqual({ actions: [], wakeAt: 6000 });
    expect(plan(storeOf(slow), 6000)).toEqual({
      actions: [{ kind: 'stop', id: 'slow', reason: 'timed out after 5s', end: { reason: 'timed out after 5s', failed: true } }],
      wakeAt: null,
    });
  });

  it('ends a run tend ends itself: live -> stop with its reason; waiting -> cancel', () => {
    const end = { reason: 'stopped by tend stop', failed: true };
    const live = record(instanceSpec('a', TASK), { state: 'running', startedAt: 0, endRun: end });
    const waiting = record(instanceSpec('b', TASK), { state: 'pending', endRun: end });
    expect(plan(storeOf(live, waiting), 10).actions).toEqual([
      { kind: 'stop', id: 'a', reason: 'stopped by tend stop' },
      { kind: 'cancel', id: 'b', reason: 'stopped by tend stop' },
    ]);
  });

  it('holds a run waiting for approval in pending until approved', () => {
    const gated = instanceSpec('deploy', { ...ONESHOT, approval: true });
    expect(plan(storeOf(record(gated)), 0).actions).toEqual([]);
    expect(plan(storeOf(record(gated, { approved: true })), 0).actions).toEqual([{ kind: 'spawn', id: 'deploy' }]);
  });

  it('starts at most N of a pool, counting the live ones and those it starts in the same pass', () => {
    const job = (n: string, fields = {}) => record(instanceSpec(n, { ...ONESHOT, pool: 'p' }), fields);
    const store = storeOf(job('a', { state: 'running', startedAt: 0 }), job('b'), job('c'), job('d'));
    expect(plan(store, 0, { pools: { p: 2 } }).actions).toEqual([{ kind: 'spawn', id: 'b' }]);
    expect(plan(store, 0, { pools: { p: 3 } }).actions).toEqual([
      { kind: 'spawn', id: 'b' },
      { kind: 'spawn', id: 'c' },
    ]);
    // max_parallel counts oneshots only, pooled or not
    const web = record(instanceSpec('web'));
    expect(plan(storeOf(web, job('a', { state: 'running', startedAt: 0 }), job('b')), 0, { maxParallel: 1 }).actions).toEqual([
      { kind: 'spawn', id: 'web' },
    ]);
  });

  it('the next run waits while what the last one left behind lingers (pending or past its backoff)', () => {
    const waiting = record(instanceSpec('web'), { lingering: true });
    const backoff = record(instanceSpec('api'), { state: 'backoff', deadline: 5, lingering: true });
    expect(plan(storeOf(waiting, backoff), 10).actions).toEqual([]);
    expect(plan(storeOf(record(instanceSpec('web'))), 10).actions).toEqual([{ kind: 'spawn', id: 'web' }]);
  });

  it('a task resting in scheduled: nothing to do; wanted down its schedule ends (cancel); a restart runs it', () => {
    const t = instanceSpec('job', TASK);
    expect(plan(storeOf(record(t, { state: 'scheduled' })), 0).actions).toEqual([]);
    expect(plan(storeOf(record(t, { state: 'scheduled', want: 'down' })), 0).actions).toEqual([
      { kind: 'cancel', id: 'job', reason: 'stop requested: its schedule ends' },
    ]);
    expect(plan(storeOf(record(t, { state: 'scheduled', want: 'restart' })), 0).actions).toEqual([
      { kind: 'request', id: 'job', reason: 'restart requested' },
    ]);
  });
});

describe('afterExit: tasks', () => {
  it('a task with a schedule rests in scheduled where another would be completed or failed; backoff stays', () => {
    const i = record(instanceSpec('job', TASK), { state: 'running', startedAt: 0 });
    expect(afterExit(i, code(0), 10, () => 0).state).toBe('scheduled');
    expect(afterExit(i, code(1), 10, () => 0)).toMatchObject({ state: 'scheduled', reason: 'exited with code 1' });
    const retry = record(instanceSpec('job', { ...TASK, restart: 'on-failure' }), { state: 'running', startedAt: 0 });
    expect(afterExit(retry, code(1), 10, () => 0).state).toBe('backoff');
    expect(afterExit({ ...i, want: 'down' }, code(0), 10, () => 0).state).toBe('stopped');
  });

  it('a run ended by tend: failed (or, with a schedule, scheduled) with its reason and the exit', () => {
    const end = { reason: 'timed out after 5s', failed: true };
    const plain = record(instanceSpec('slow', ONESHOT), { state: 'stopping', startedAt: 0, endRun: end });
    expect(afterExit(plain, { kind: 'signaled', signal: 'SIGTERM' }, 10, () => 0)).toMatchObject({
      state: 'failed',
      reason: 'timed out after 5s (killed by SIGTERM)',
    });
    const task = record(instanceSpec('job', TASK), { state: 'stopping', startedAt: 0, endRun: end });
    expect(afterExit(task, code(0), 10, () => 0).state).toBe('scheduled');
  });
});

describe('Supervisor: tasks', () => {
  it('a scheduled task runs on start (trigger run), records its last run, and rests in scheduled', async () => {
    const h = harness();
    h.sup.add([instanceSpec('job', TASK)]);
    await flush();
    expect(h.states('job')).toEqual({ job: 'scheduled' });
    expect(h.spawner.count('job')).toBe(0);
    h.sup.start([h.get('job')], 'schedule', 'scheduled run');
    await flush();
    expect(h.states('job')).toEqual({ job: 'running' });
    await h.clock.advance(1500);
    h.spawner.exit('job', code(0));
    await flush();
    expect(h.states('job')).toEqual({ job: 'scheduled' });
    expect(h.get('job').lastRun).toEqual({
      start: 1_000_000,
      end: 1_001_500,
      exit: code(0),
      trigger: 'schedule',
      result: 'completed',
      reason: 'exited with code 0',
    });
    expect(h.lines()).toContain('job state: pending -> starting: spawned');
  });

  it('endRuns stops a live run (stop signal) and the task goes back to scheduled, its run failed', async () => {
    const h = harness();
    h.sup.add([instanceSpec('job', TASK)]);
    h.sup.start([h.get('job')]);
    await flush();
    expect(h.sup.endRuns([h.get('job')], 'stopped by tend stop').map((i) => i.id)).toEqual(['job']);
    await flush();
    expect(h.states('job')).toEqual({ job: 'stopping' });
    expect(h.spawner.signalsOf('job')).toEqual(['SIGTERM']);
    h.spawner.exit('job', { kind: 'signaled', signal: 'SIGTERM' });
    await flush();
    expect(h.states('job')).toEqual({ job: 'scheduled' });
    expect(h.get('job').want).toBe('up');
    expect(h.get('job').lastRun).toMatchObject({
      result: 'failed',
      reason: 'stopped by tend stop (killed by SIGTERM)',
      trigger: 'run',
    });
  });

  it('a timeout ends a plain oneshot failed, through the SIGKILL deadline if it must', async () => {
    const h = harness();
    h.sup.add([instanceSpec('slow', { ...ONESHOT, timeout: 2000, stopTimeout: 1000 })]);
    await flush();
    await h.clock.advance(2000);
    expect(h.states('slow')).toEqual({ slow: 'stopping' });
    await h.clock.advance(1000);
    expect(h.spawner.signalsOf('slow')).toEqual(['SIGTERM', 'SIGKILL']);
    h.spawner.exit('slow', { kind: 'signaled', signal: 'SIGKILL' });
    await flush();
    expect([h.get('slow').state, h.get('slow').reason]).toEqual(['failed', 'timed out after 2s (killed by SIGKILL)']);
  });

  it('approve releases one run; reject fails it and its waiting dependents; both journaled with who', async () => {
    const h = harness();
    h.sup.add([
      instanceSpec('deploy', { ...ONESHOT, approval: true }),
      instanceSpec('web', { dependsOn: { deploy: 'completed' } }),
      instanceSpec('risky', { ...ONESHOT, approval: true }),
      instanceSpec('after', { ...ONESHOT, dependsOn: { risky: 'completed' } }),
    ]);
    await flush();
    expect(h.states('deploy', 'web', 'risky', 'after')).toEqual({
      deploy: 'pending',
      web: 'pending',
      risky: 'pending',
      after: 'pending',
    });
    expect(h.sup.approve(h.get('web'), 'uid 0 (pid 1)')).toBe(false); // no gate
    expect(h.sup.approve(h.get('deploy'), 'uid 0 (pid 1)')).toBe(true);
    await flush();
    expect(h.states('deploy')).toEqual({ deploy: 'running' });
    expect(h.get('deploy').approved).toBe(false); // spent by the launch
    h.spawner.exit('deploy', code(0));
    await flush();
    expect(h.states('deploy', 'web')).toEqual({ deploy: 'completed', web: 'running' });
    expect(h.sup.reject(h.get('risky'), 'uid 1000 (pid 42)')).toBe(true);
    await flush();
    expect([h.get('risky').state, h.get('risky').reason]).toEqual(['failed', 'rejected by uid 1000 (pid 42)']);
    expect([h.get('after').state, h.get('after').reason]).toEqual([
      'failed',
      'dependency risky failed: rejected by uid 1000 (pid 42)',
    ]);
    expect(h.lines()).toEqual(
      expect.arrayContaining(['deploy approve: approved by uid 0 (pid 1)', 'risky reject: rejected by uid 1000 (pid 42)']),
    );
  });

  it('a pool of 2: the third waits in pending and starts when one of the two ends', async () => {
    const h = harness();
    h.sup.setLimits({ pools: { p: 2 } });
    h.sup.add(['a', 'b', 'c'].map((n) => instanceSpec(n, { ...ONESHOT, pool: 'p' })));
    await flush();
    expect(h.states('a', 'b', 'c')).toEqual({ a: 'running', b: 'running', c: 'pending' });
    h.spawner.exit('a', code(0));
    await flush();
    expect(h.states('a', 'b', 'c')).toEqual({ a: 'completed', b: 'running', c: 'running' });
  });

  it('a dependent pulls a scheduled task that has not run well yet (trigger dependency), then goes on', async () => {
    const h = harness();
    h.sup.add([instanceSpec('migrate', TASK), instanceSpec('web', { dependsOn: { migrate: 'completed' } })]);
    await flush();
    expect(h.states('migrate', 'web')).toEqual({ migrate: 'running', web: 'pending' });
    expect(h.get('migrate').trigger).toBe('dependency');
    h.spawner.exit('migrate', code(0));
    await flush();
    expect(h.states('migrate', 'web')).toEqual({ migrate: 'scheduled', web: 'running' });
  });

  it('a scheduled task whose run failed fails its waiting dependents: a service, and a task whose run then ends', async () => {
    const h = harness();
    h.sup.add([
      instanceSpec('migrate', TASK),
      instanceSpec('web', { dependsOn: { migrate: 'completed' } }),
      instanceSpec('report', { ...TASK, dependsOn: { migrate: 'completed' } }),
    ]);
    await flush();
    expect(h.states('migrate', 'web')).toEqual({ migrate: 'running', web: 'pending' });
    h.sup.start([h.get('report')], 'schedule', 'scheduled run');
    await flush();
    h.spawner.exit('migrate', code(4));
    await flush();
    // migrate rests in scheduled (its schedule goes on); what waited for it does not wait for good
    expect(h.states('migrate', 'web', 'report')).toEqual({ migrate: 'scheduled', web: 'failed', report: 'scheduled' });
    expect(h.get('web').reason).toBe('dependency migrate failed: exited with code 4');
    expect(h.get('report').reason).toBe('dependency migrate failed: exited with code 4');
    // its next run completes: a new run of the dependent goes on
    h.sup.start([h.get('migrate')], 'schedule', 'scheduled run');
    await flush();
    h.spawner.exit('migrate', code(0));
    await flush();
    h.sup.start([h.get('report')], 'schedule', 'scheduled run');
    await flush();
    expect(h.states('report')).toEqual({ report: 'running' });
  });

  it('a restart of a running service whose task dependency rests after a failed run runs the task again first', async () => {
    const h = await afterFailedRun();
    // the restart (tend restart, or a reload's): web waited in pending for migrate's next good
    // run, an hour away; as tend start does, migrate runs now
    h.sup.restart([h.get('web')]);
    await flush();
    h.spawner.exit('web', { kind: 'signaled', signal: 'SIGTERM' });
    await flush();
    expect(h.states('migrate', 'web')).toEqual({ migrate: 'running', web: 'pending' });
    expect(h.get('migrate').trigger).toBe('dependency');
    h.spawner.exit('migrate', code(0));
    await flush();
    expect(h.states('migrate', 'web')).toEqual({ migrate: 'scheduled', web: 'running' });
  });

  it('a restart of a running service whose task dependency runs again and fails fails with it (it waited for the next good run)', async () => {
    const h = await afterFailedRun();
    h.sup.restart([h.get('web')]);
    await flush();
    // the task's run asked by the restart ends before web is even pending: still web's failure
    h.spawner.exit('migrate', code(4));
    await flush();
    await h.clock.advance(50);
    h.spawner.exit('web', { kind: 'signaled', signal: 'SIGTERM' });
    await flush();
    expect(h.states('migrate', 'web')).toEqual({ migrate: 'scheduled', web: 'failed' });
    expect(h.get('web').reason).toBe('dependency migrate failed: exited with code 4');
  });

  it('a task whose run ended before it started (its own dependency failed) fails what waits for it', async () => {
    const h = harness();
    h.sup.add([
      instanceSpec('dep', ONESHOT),
      instanceSpec('report', { ...TASK, dependsOn: { dep: 'completed' } }),
      instanceSpec('web', { dependsOn: { report: 'completed' } }),
    ]);
    await flush();
    h.spawner.exit('dep', code(1));
    await flush();
    // web waited in pending for a run of report due an hour later
    expect(h.states('dep', 'report', 'web')).toEqual({ dep: 'failed', report: 'scheduled', web: 'failed' });
    expect(h.get('web').reason).toBe('dependency report failed: dependency dep failed: exited with code 1');
  });

  it('a reload that makes a resting task a service starts it; one that only drops the schedule stops it', async () => {
    const h = harness();
    h.sup.add([instanceSpec('morph', TASK), instanceSpec('plain', TASK)]);
    await flush();
    expect(h.states('morph', 'plain')).toEqual({ morph: 'scheduled', plain: 'scheduled' });
    h.sup.replaceSpec(instanceSpec('morph', { command: ['sleep', '100001'] }), true);
    h.sup.replaceSpec(instanceSpec('plain', ONESHOT), false);
    await flush();
    expect(h.states('morph', 'plain')).toEqual({ morph: 'running', plain: 'stopped' });
    expect(h.get('plain').reason).toBe('its schedule was removed by a reload');
  });

  it("a task's new runs are not restarts (status, why, the journal); a restart of its run is", async () => {
    const h = harness();
    h.sup.add([instanceSpec('job', TASK)]);
    await flush();
    for (let k = 0; k < 2; k++) {
      h.sup.start([h.get('job')], 'schedule', 'scheduled run');
      await flush();
      h.spawner.exit('job', code(0));
      await flush();
    }
    expect([h.get('job').state, h.get('job').spawns, h.get('job').restarts]).toEqual(['scheduled', 2, 0]);
    h.sup.start([h.get('job')], 'schedule', 'scheduled run');
    await flush();
    h.sup.restart([h.get('job')]);
    await flush();
    h.spawner.exit('job', { kind: 'signaled', signal: 'SIGTERM' });
    await flush();
    expect([h.get('job').state, h.get('job').spawns, h.get('job').restarts]).toEqual(['running', 4, 1]);
    // the run the restart ended began with the schedule (its history says so); the new one is the restart's
    expect([h.get('job').lastRun!.trigger, h.get('job').trigger]).toEqual(['schedule', 'restart']);
  });

  it('a task asked for beside its dependent runs as asked (trigger run), not as a dependency', async () => {
    const h = harness();
    h.sup.add([
      instanceSpec('migrate', { ...TASK, autostart: false }),
      instanceSpec('web', { dependsOn: { migrate: 'completed' }, autostart: false }),
    ]);
    await flush();
    expect(h.sup.start([h.get('web'), h.get('migrate')])).toEqual([]);
    await flush();
    expect([h.get('migrate').state, h.get('migrate').trigger]).toEqual(['running', 'run']);
  });

  it('a run that never started (a dependency failed) leaves the task in scheduled', async () => {
    const h = harness();
    h.sup.add([instanceSpec('db', { ...ONESHOT }), instanceSpec('job', { ...TASK, dependsOn: { db: 'completed' } })]);
    await flush();
    h.sup.start([h.get('job')], 'schedule', 'scheduled run');
    await flush();
    expect(h.states('db', 'job')).toEqual({ db: 'running', job: 'pending' });
    h.spawner.exit('db', code(1));
    await flush();
    expect([h.get('job').state, h.get('job').reason]).toEqual(['scheduled', 'dependency db failed: exited with code 1']);
  });
});

describe("the run a failure belongs to (commands/lifecycle.ts currentRun: tend wait's lines)", () => {
  /** What the instance "printed": one line at each of `times`, as the log registry's tail gives them. */
  const printedAt =
    (...times: number[]) =>
    (id: string, n: number) =>
      times.map((t) => ({ time: new Date(t).toISOString(), service: id, stream: 'stdout', line: `at ${t}` })).slice(-n);

  it('a run rejected after one that ran: it never ran, and no line of the run before is shown', async () => {
    const h = harness();
    h.sup.add([instanceSpec('deploy', { ...ONESHOT, approval: true })]);
    await flush();
    h.sup.approve(h.get('deploy'), 'uid 0 (pid 1)');
    await flush();
    const ran = h.clock.now();
    expect(currentRun(h.get('deploy'))).toEqual({ since: ran });
    await h.clock.advance(500);
    h.spawner.exit('deploy', code(0));
    await flush();
    await h.clock.advance(10_000);
    h.sup.start([h.get('deploy')]);
    await flush();
    h.sup.reject(h.get('deploy'), 'uid 1000 (pid 42)');
    await flush();
    expect(h.states('deploy')).toEqual({ deploy: 'failed' });
    expect(currentRun(h.get('deploy'))).toEqual({ never: true });
    expect(currentRunLines(h.get('deploy'), printedAt(ran, ran + 100))).toEqual([]);
  });

  it('a oneshot run that failed after an earlier failed run: only its own lines', async () => {
    const h = harness();
    h.sup.add([instanceSpec('job', ONESHOT)]);
    await flush();
    const first = h.clock.now();
    h.spawner.exit('job', code(1));
    await flush();
    await h.clock.advance(5000);
    h.sup.start([h.get('job')]);
    await flush();
    const second = h.clock.now();
    h.spawner.exit('job', code(2));
    await flush();
    expect(currentRun(h.get('job'))).toEqual({ since: second });
    expect(currentRunLines(h.get('job'), printedAt(first, first + 1, second, second + 1)).map((l) => l.line)).toEqual([
      `at ${second}`,
      `at ${second + 1}`,
    ]);
  });

  it('a service that reached its start limit: every run of that streak is its run; a start afterwards begins a new one', async () => {
    const h = harness();
    h.sup.add([
      instanceSpec('bad', { startLimit: { burst: 2, interval: 60_000 }, backoff: { initial: 100, max: 100, factor: 1 } }),
    ]);
    await flush();
    const first = h.clock.now();
    h.spawner.exit('bad', code(3));
    await h.clock.advance(100);
    h.spawner.exit('bad', code(3));
    await flush();
    expect(h.states('bad')).toEqual({ bad: 'failed' });
    expect(currentRun(h.get('bad'))).toEqual({ since: first });
    await h.clock.advance(1000);
    await h.command('start', 'bad');
    expect(currentRun(h.get('bad'))).toEqual({ since: h.clock.now() });
  });

  it('a service whose dependency failed before it spawned: it never ran', async () => {
    const h = harness();
    h.sup.add([instanceSpec('db', ONESHOT), instanceSpec('web', { dependsOn: { db: 'completed' } })]);
    await flush();
    h.spawner.exit('db', code(1));
    await flush();
    expect(h.states('db', 'web')).toEqual({ db: 'failed', web: 'failed' });
    expect(currentRun(h.get('web'))).toEqual({ never: true });
    expect(currentRun(h.get('db'))).toEqual({ since: expect.any(Number) });
  });

  it('pending, never spawned (tend wait timed out on it): no run yet, no lines', () => {
    const i = record(instanceSpec('web'), { state: 'pending', since: 5000 });
    expect(currentRun(i)).toEqual({ never: true });
    expect(currentRunLines(i, printedAt(1000))).toEqual([]);
  });

  it('adopted from an earlier tend and then ended (no spawn of this one): the exit that ended it is its run', () => {
    const i = record(instanceSpec('web'), {
      state: 'failed',
      since: 9000,
      startedAt: 2000,
      exits: [{ time: 9000, exit: code(1) }],
    });
    expect(currentRun(i)).toEqual({ since: 2000 });
    // and a run asked for later and rejected is not that one
    expect(currentRun({ ...i, since: 20_000 })).toEqual({ never: true });
  });
});
