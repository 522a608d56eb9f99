// Readiness, liveness, fd notification and oneshot completion, through the loop with fakes.
import { describe, expect, it } from 'vitest';
import type { ProbeSpec } from '../../src/core/types.js';
import { flush, instanceSpec, supervising } from '../helpers/fakes.js';

const probe = (over: Partial<ProbeSpec> = {}): ProbeSpec => ({
  check: { kind: 'exec', command: 'true' },
  interval: 1000,
  timeout: 1000,
  initialDelay: 0,
  failureThreshold: 3,
  ...over,
});

describe('readiness', () => {
  it('starting until the probe passes, then running; failures are kept as the last probe failure', async () => {
    const h = await supervising([
      instanceSpec('db', { readiness: probe() }),
      instanceSpec('web', { dependsOn: { db: 'healthy' } }),
    ]);
    expect(h.states('db', 'web')).toEqual({ db: 'starting', web: 'pending' });
    h.probes.report('db', 'readiness', false, 'connect ECONNREFUSED 127.0.0.1:5432');
    await flush();
    expect([h.get('db').state, h.get('db').lastProbeFailure]).toEqual(['starting', 'connect ECONNREFUSED 127.0.0.1:5432']);
    expect(h.spawner.order()).toEqual(['db']);
    h.probes.report('db', 'readiness', true);
    await flush();
    expect([h.get('db').state, h.get('db').lastProbeFailure]).toEqual(['running', null]);
    expect(h.probes.last('db', 'readiness').stopped).toBe(true);
    expect(h.spawner.order()).toEqual(['db', 'web']);
    expect(h.lines()).toContain('db state: starting -> running: ready');
  });

  it('a result of the probe of an earlier process is ignored', async () => {
    const h = await supervising([instanceSpec('db', { readiness: probe() })]);
    const old = h.probes.last('db', 'readiness');
    h.spawner.exit('db', { kind: 'exited', code: 1 });
    await h.clock.advance(100);
    expect(h.probes.started.filter((p) => p.kind === 'readiness')).toHaveLength(2);
    expect(old.stopped).toBe(true);
    old.onResult(true, 'late');
    await flush();
    expect(h.get('db').state).toBe('starting');
  });

  it('a dependent with `started` does not wait for readiness', async () => {
    const h = await supervising([
      instanceSpec('db', { readiness: probe() }),
      instanceSpec('web', { dependsOn: { db: 'started' } }),
    ]);
    expect(h.states('db', 'web')).toEqual({ db: 'starting', web: 'running' });
  });

  it('fd: running on the first notification line, no probe started', async () => {
    const h = await supervising([instanceSpec('a', { readiness: probe({ check: { kind: 'fd', fd: 3 } }) }), instanceSpec('b')]);
    expect(h.get('a').state).toBe('starting');
    expect(h.probes.started).toEqual([]);
    expect(h.spawner.last('b').hooks.notify).toBeUndefined();
    h.spawner.notify('a');
    await flush();
    expect(h.get('a').state).toBe('running');
    h.spawner.notify('a'); // a second line changes nothing
    await flush();
    expect(h.lines().filter((l) => l.includes('-> running'))).toEqual([
      'b state: starting -> running: started',
      'a state: starting -> running: ready',
    ]);
  });
});

describe('liveness', () => {
  it('starts only once running, and stops with the process', async () => {
    const h = await supervising([instanceSpec('a', { readiness: probe(), liveness: probe() })]);
    expect(h.probes.started.map((p) => p.kind)).toEqual(['readiness']);
    h.probes.report('a', 'readiness', true);
    await flush();
    expect(h.probes.started.map((p) => p.kind)).toEqual(['readiness', 'liveness']);
    h.sup.stop([h.get('a')]);
    await flush();
    expect(h.probes.last('a', 'liveness').stopped).toBe(true);
  });

  it('failure_threshold failures in a row -> restart, with a journal line saying why', async () => {
    const h = await supervising([instanceSpec('a', { liveness: probe({ failureThreshold: 3 }) })]);
    h.probes.report('a', 'liveness', false, 'exit 1');
    h.probes.report('a', 'liveness', false, 'exit 1');
    h.probes.report('a', 'liveness', true); // resets the count
    h.probes.report('a', 'liveness', false, 'exit 1');
    h.probes.report('a', 'liveness', false, 'exit 1');
    await flush();
    expect([h.get('a').livenessFailures, h.spawner.signals]).toEqual([2, []]);
    h.probes.report('a', 'liveness', false, 'timed out after 1000ms');
    await flush();
    expect(h.lines()).toContain('a restart: liveness failed 3 times in a row: timed out after 1000ms');
    expect([h.get('a').state, h.spawner.signalsOf('a')]).toEqual(['stopping', ['SIGTERM']]);
    expect(h.get('a').lastProbeFailure).toBe('timed out after 1000ms');
    h.probes.report('a', 'liveness', false, 'late'); // after the stop: ignored
    h.spawner.exit('a', { kind: 'signaled', signal: 'SIGTERM' });
    await flush();
    // a liveness restart goes through backoff like an exit (initial 100ms)
    expect([h.get('a').state, h.get('a').reason]).toEqual([
      'backoff',
      'liveness failed 3 times in a row: timed out after 1000ms',
    ]);
    await h.clock.advance(100);
    const a = h.get('a');
    expect([a.state, a.spawns, a.livenessFailures, a.lastProbeFailure]).toEqual(['running', 2, 0, null]);
    expect(h.lines().filter((l) => l.startsWith('a restart'))).toHaveLength(1);
  });

  // Regression: liveness restarts once skipped backoff and cleared the start limit window, so a
  // service whose probe never passed was restarted every few seconds forever.
  it('liveness restarts go through backoff and the start limit, like exits', async () => {
    const h = await supervising([
      instanceSpec('a', { liveness: probe({ failureThreshold: 2 }), startLimit: { burst: 3, interval: 60_000 } }),
    ]);
    const sick = async () => {
      h.probes.report('a', 'liveness', false, 'connect ECONNREFUSED');
      expect([h.get('a').state, h.get('a').livenessFailures]).toEqual(['running', 1]);
      h.probes.report('a', 'liveness', false, 'connect ECONNREFUSED');
      await flush();
      expect(h.get('a').state).toBe('stopping');
      h.spawner.exit('a', { kind: 'signaled', signal: 'SIGTERM' });
      await flush();
    };
    await sick();
    expect([h.get('a').state, h.get('a').deadline! - h.clock.now()]).toEqual(['backoff', 100]);
    await h.clock.advance(100);
    await sick();
    expect([h.get('a').state, h.get('a').deadline! - h.clock.now()]).toEqual(['backoff', 200]);
    await h.clock.advance(200);
    await sick();
    expect([h.get('a').state, h.get('a').reason]).toEqual([
      'failed',
      'liveness failed three times within 1m; start limit reached',
    ]);
    await h.clock.advance(60_000);
    expect(h.spawner.count('a')).toBe(3);
    expect(h.lines().filter((l) => l.startsWith('a state: stopping ->'))).toEqual([
      'a state: stopping -> backoff: liveness failed 2 times in a row: connect ECONNREFUSED',
      'a state: stopping -> backoff: liveness failed 2 times in a row: connect ECONNREFUSED',
      'a state: stopping -> failed: liveness failed three times within 1m; start limit reached',
    ]);
  });

  it('tend start after a liveness start limit starts afresh', async () => {
    const h = await supervising([
      instanceSpec('a', { liveness: probe({ failureThreshold: 1 }), startLimit: { burst: 1, interval: 60_000 } }),
    ]);
    h.probes.report('a', 'liveness', false, 'down');
    await flush();
    h.spawner.exit('a', { kind: 'signaled', signal: 'SIGTERM' });
    await flush();
    expect(h.get('a').state).toBe('failed');
    h.sup.start([h.get('a')]);
    await flush();
    expect([h.get('a').state, h.get('a').starts.length, h.get('a').failuresInRow]).toEqual(['running', 1, 0]);
  });

  it('a liveness failure on an instance wanted down does not restart it', async () => {
    const h = await supervising([instanceSpec('a', { liveness: probe({ failureThreshold: 1 }), stopTimeout: 1000 })]);
    const live = h.probes.last('a', 'liveness');
    h.sup.stop([h.get('a')]);
    await flush();
    live.onResult(false, 'down');
    h.spawner.exit('a', { kind: 'signaled', signal: 'SIGTERM' });
    await flush();
    expect([h.get('a').state, h.spawner.count('a')]).toEqual(['stopped', 1]);
  });
});

describe('oneshot', () => {
  it('completed unblocks a `completed` dependent; a failure fails it', async () => {
    const h = await supervising([
      instanceSpec('mig', { type: 'oneshot', restart: 'never' }),
      instanceSpec('web', { dependsOn: { mig: 'completed' } }),
    ]);
    expect(h.states('mig', 'web')).toEqual({ mig: 'running', web: 'pending' });
    h.spawner.exit('mig', { kind: 'exited', code: 0 });
    await flush();
    expect(h.states('mig', 'web')).toEqual({ mig: 'completed', web: 'running' });

    const g = await supervising([
      instanceSpec('mig', { type: 'oneshot', restart: 'never' }),
      instanceSpec('web', { dependsOn: { mig: 'completed' } }),
    ]);
    g.spawner.exit('mig', { kind: 'exited', code: 2 });
    await flush();
    expect(g.states('mig', 'web')).toEqual({ mig: 'failed', web: 'failed' });
    expect(g.get('web').reason).toBe('dependency mig failed: exited with code 2');
    expect(g.spawner.order()).toEqual(['mig']);
  });

  it('on-failure: retried after backoff, the dependent waits through it', async () => {
    const h = await supervising([
      instanceSpec('mig', { type: 'oneshot', restart: 'on-failure' }),
      instanceSpec('web', { dependsOn: { mig: 'completed' } }),
    ]);
    h.spawner.exit('mig', { kind: 'exited', code: 1 });
    await h.clock.advance(100);
    expect(h.states('mig', 'web')).toEqual({ mig: 'running', web: 'pending' });
    h.spawner.exit('mig', { kind: 'exited', code: 0 });
    await flush();
    expect(h.states('mig', 'web')).toEqual({ mig: 'completed', web: 'running' });
  });
});
