// The loop over fakes: start-up, exits, backoff, start limit, spawn errors, the journal.
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../src/core/errors.js';
import { plan } from '../../src/reconcile/plan.js';
import { code, flush, harness, instanceSpec, replicaSet, supervising } from '../helpers/fakes.js';

describe('Supervisor: start-up', () => {
  it('converges: every autostart instance running, spawned once, concurrently', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a'), instanceSpec('b'), ...replicaSet('w', 2), instanceSpec('off', { autostart: false })]);
    expect(h.spawner.spawns).toEqual([]); // nothing before the loop runs
    await flush();
    expect(h.states('a', 'b', 'w.1', 'w.2', 'off')).toEqual({
      a: 'running',
      b: 'running',
      'w.1': 'running',
      'w.2': 'running',
      off: 'stopped',
    });
    expect(h.spawner.order()).toEqual(['a', 'b', 'w.1', 'w.2']);
    expect(h.get('a').pid).toBe(1001);
    expect(h.spawner.last('w.2').opts.env).toEqual({ TEND_INSTANCE: 'w.2' });
    expect(plan(h.sup.store, h.clock.now())).toEqual({ actions: [], wakeAt: null });
    expect(h.clock.pending()).toEqual([]);
    expect(h.sup.quiet()).toBe(false);
  });

  it('add() with a want function overrides autostart', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a'), instanceSpec('b', { autostart: false })], (i) => (i.id === 'a' ? 'down' : 'up'));
    await flush();
    expect(h.states('a', 'b')).toEqual({ a: 'stopped', b: 'running' });
  });

  it('add() of an instance that completed under an earlier daemon: completed, not run; its dependents start', async () => {
    const h = harness();
    const once = instanceSpec('once', { type: 'oneshot', restart: 'never' });
    h.sup.add([once, instanceSpec('web', { dependsOn: { once: 'completed' } })], (i) =>
      i.id === 'once' ? { completedAt: 5 } : 'up',
    );
    await flush();
    expect(h.states('once', 'web')).toEqual({ once: 'completed', web: 'running' });
    expect(h.spawner.order()).toEqual(['web']);
    const o = h.get('once');
    expect([o.since, o.reason, o.exits]).toEqual([5, 'completed under an earlier tend', [{ time: 5, exit: code(0) }]]);
    // and a start runs it as ever
    h.sup.start([o]);
    await flush();
    expect(h.spawner.count('once')).toBe(1);
  });

  it('refuses a duplicate instance and the removal of a live one', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a'), instanceSpec('b', { autostart: false })]);
    expect(() => h.sup.add([instanceSpec('a')])).toThrow(new InvariantError('duplicate instance a'));
    await flush();
    expect(() => h.sup.remove('a')).toThrow(new InvariantError('remove of live instance a'));
    h.sup.remove('b');
    expect([...h.sup.store.keys()]).toEqual(['a']);
  });

  it('resolve(): instance id, replica set name, all, unknown', () => {
    const h = harness();
    h.sup.add([instanceSpec('db'), ...replicaSet('w', 3)]);
    const ids = (names: string[]) => {
      const r = h.sup.resolve(names);
      return { found: r.found.map((i) => i.id), unknown: r.unknown };
    };
    expect(ids(['w'])).toEqual({ found: ['w.1', 'w.2', 'w.3'], unknown: [] });
    expect(ids(['w.2', 'db', 'w.2'])).toEqual({ found: ['w.2', 'db'], unknown: [] });
    expect(ids(['all'])).toEqual({ found: ['db', 'w.1', 'w.2', 'w.3'], unknown: [] });
    expect(ids(['nope', 'db', 'w.9'])).toEqual({ found: ['db'], unknown: ['nope', 'w.9'] });
  });
});

describe('Supervisor: exits and backoff', () => {
  it('on-failure: exit 1 -> backoff -> respawned exactly at the due time', async () => {
    const h = harness();
    const t0 = h.clock.now();
    h.sup.add([instanceSpec('a', { backoff: { initial: 500, max: 10_000, factor: 2 } })]);
    await flush();
    await h.clock.advance(20);
    h.spawner.exit('a', code(1));
    await flush();
    const a = h.get('a');
    expect([a.state, a.reason, a.deadline, a.pid]).toEqual(['backoff', 'exited with code 1', t0 + 520, null]);
    expect(h.clock.pending()).toEqual([t0 + 520]);
    await h.clock.advance(499);
    expect([a.state, h.spawner.count('a')]).toEqual(['backoff', 1]);
    await h.clock.advance(1);
    expect([a.state, h.spawner.count('a'), a.spawns, a.pid]).toEqual(['running', 2, 2, 1002]);
    // the second failure in a row doubles the delay
    h.spawner.exit('a', code(1));
    await flush();
    expect(a.deadline! - h.clock.now()).toBe(1000);
    expect(a.exits.map((e) => e.exit)).toEqual([code(1), code(1)]);
  });

  it('on-failure: exit 0 -> completed, not restarted', async () => {
    const h = await supervising([instanceSpec('a')]);
    h.spawner.exit('a', code(0));
    await flush();
    await h.clock.advance(60_000);
    expect([h.get('a').state, h.get('a').reason, h.spawner.count('a')]).toEqual(['completed', 'exited with code 0', 1]);
  });

  it('never: a signal -> failed', async () => {
    const h = await supervising([instanceSpec('a', { restart: 'never' })]);
    h.spawner.exit('a', { kind: 'signaled', signal: 'SIGSEGV' });
    await flush();
    expect([h.get('a').state, h.get('a').reason]).toEqual(['failed', 'killed by SIGSEGV']);
  });

  it('start limit -> failed with the count and the window, and no more spawns', async () => {
    const h = await supervising([instanceSpec('a', { restart: 'always', startLimit: { burst: 3, interval: 60_000 } })]);
    for (let k = 0; k < 3; k++) {
      h.spawner.exit('a', code(1));
      await flush();
      await h.clock.advance(10_000);
    }
    const a = h.get('a');
    expect([a.state, a.reason]).toEqual(['failed', 'exited with code 1 three times within 1m; start limit reached']);
    expect(h.spawner.count('a')).toBe(3);
    expect(h.clock.pending()).toEqual([]);
    expect(h.lines()).toContain('a state: running -> failed: exited with code 1 three times within 1m; start limit reached');
  });

  it('starts spread wider than the interval never reach the limit', async () => {
    const h = await supervising([instanceSpec('a', { restart: 'always', startLimit: { burst: 2, interval: 1000 } })]);
    for (let k = 0; k < 5; k++) {
      await h.clock.advance(1000);
      h.spawner.exit('a', code(1));
      await flush();
      await h.clock.advance(5000);
    }
    expect([h.get('a').state, h.spawner.count('a')]).toEqual(['running', 6]);
  });

  it('a long run resets the backoff streak', async () => {
    const h = await supervising([instanceSpec('a', { backoff: { initial: 100, max: 1000, factor: 10 } })]);
    h.spawner.exit('a', code(1));
    await h.clock.advance(100);
    h.spawner.exit('a', code(1));
    await flush();
    expect(h.get('a').deadline! - h.clock.now()).toBe(1000);
    await h.clock.advance(1000);
    await h.clock.advance(1001); // healthy for longer than backoff.max
    h.spawner.exit('a', code(1));
    await flush();
    expect([h.get('a').failuresInRow, h.get('a').deadline! - h.clock.now()]).toEqual([1, 100]);
  });

  it('uses the injected random for jitter', async () => {
    const h = await supervising([instanceSpec('a', { backoff: { initial: 1000, max: 10_000, factor: 2 } })], {
      random: () => 0.5,
    });
    h.spawner.exit('a', code(1));
    await flush();
    expect(h.get('a').deadline! - h.clock.now()).toBe(950);
  });
});

describe('Supervisor: spawn errors', () => {
  for (const sync of [false, true]) {
    const how = sync ? 'reported inside spawn()' : 'reported after spawn() returned';
    it(`on-failure: backoff with "could not start: ..." (${how}), then spawned at the due time`, async () => {
      const h = harness();
      h.spawner.failNext('a', 'spawn nope ENOENT', sync);
      h.sup.add([instanceSpec('a')]);
      await flush();
      const a = h.get('a');
      expect([a.state, a.reason, a.pid]).toEqual(['backoff', 'could not start: spawn nope ENOENT', null]);
      expect(a.exits.at(-1)!.exit).toEqual({ kind: 'spawn-error', message: 'spawn nope ENOENT' });
      expect(h.lines()).toContain('a exit: could not start: spawn nope ENOENT');
      await h.clock.advance(100);
      expect([a.state, h.spawner.count('a')]).toEqual(['running', 2]);
    });

    it(`never: failed with "could not start: ..." (${how})`, async () => {
      const h = harness();
      h.spawner.failNext('a', 'spawn /nope EACCES', sync);
      h.sup.add([instanceSpec('a', { restart: 'never' })]);
      await flush();
      expect([h.get('a').state, h.get('a').reason]).toEqual(['failed', 'could not start: spawn /nope EACCES']);
    });
  }

  it('spawn errors every time reach the start limit -> failed', async () => {
    const h = await supervising([instanceSpec('a', { startLimit: { burst: 2, interval: 60_000 }, autostart: false })]);
    h.spawner.failNext('a', 'spawn x: not found (ENOENT)');
    h.sup.start([h.get('a')]);
    await flush();
    h.spawner.failNext('a', 'spawn x: not found (ENOENT)');
    await h.clock.advance(100);
    expect([h.get('a').state, h.get('a').reason]).toEqual([
      'failed',
      'could not start twice within 1m (spawn x: not found (ENOENT)); start limit reached',
    ]);
  });
});

describe('Supervisor: journal', () => {
  it('records every action and exit, each with a reason, in order', async () => {
    const h = await supervising([instanceSpec('a', { restart: 'on-failure', stopTimeout: 1000 })]);
    h.spawner.exit('a', code(3));
    await h.clock.advance(100);
    h.sup.signal(h.get('a'), 'SIGUSR1');
    h.sup.stop([h.get('a')]);
    await h.clock.advance(1000);
    h.spawner.exit('a', { kind: 'signaled', signal: 'SIGKILL' });
    await flush();
    expect(h.lines()).toEqual([
      'a state: pending -> starting: spawned',
      'a spawn: pid 1001',
      'a state: starting -> running: started',
      'a exit: exited with code 3',
      'a state: running -> backoff: exited with code 3',
      'a state: backoff -> starting: restarted',
      'a spawn: pid 1002 (restart 1)',
      'a state: starting -> running: started',
      'a signal: SIGUSR1 sent to pid 1002',
      'a state: running -> stopping: stop requested',
      'a stop: SIGTERM sent (stop requested)',
      'a kill: SIGKILL sent: still running 1000ms after the stop signal',
      'a exit: killed by SIGKILL',
      'a state: stopping -> stopped: stopped (killed by SIGKILL)',
    ]);
    for (const e of h.journal.last()) {
      expect(e.why.length).toBeGreaterThan(0);
      if (e.what === 'state') expect(e.state).toBeDefined();
    }
  });

  it('tells change listeners the state it came from', async () => {
    const h = harness();
    const seen: string[] = [];
    h.sup.onChange((i, from) => seen.push(`${i.id}:${from}->${i.state}`));
    h.sup.add([instanceSpec('a')]);
    await flush();
    expect(seen).toEqual(['a:pending->starting', 'a:starting->running']);
  });

  // BUG (minor): src/reconcile/supervisor.ts calls journal.add() without a time, so
  // src/core/journal.ts:11 stamps Date.now() instead of the injected Clock: journal times and
  // `since` disagree under a fake clock (and events cannot be tested for exact times).
  it('stamps journal entries with the injected clock', async () => {
    const h = await supervising([instanceSpec('a')], { start: Date.UTC(2030, 0, 1) });
    expect(h.journal.last()[0]!.time).toBe('2030-01-01T00:00:00.000Z');
  });
});
