// The loop and its process handles: stale exits and notifications, stop escalation, leftovers, adoption.
import { describe, expect, it } from 'vitest';
import { code, FakeHandle, flush, harness, instanceSpec, supervising } from '../helpers/fakes.js';

describe('Supervisor: stale handles', () => {
  it('an exit of an earlier process (old token) is ignored', async () => {
    const h = await supervising([instanceSpec('a')]);
    const first = h.spawner.last('a');
    h.spawner.exit('a', code(1));
    await h.clock.advance(100);
    expect(h.spawner.count('a')).toBe(2);
    first.hooks.exit(code(7)); // a late duplicate from the first process
    await flush();
    const a = h.get('a');
    expect([a.state, a.pid, a.exits.length]).toEqual(['running', 1002, 1]);
    expect(h.lines()).not.toContain('a exit: exited with code 7');
  });

  it('a notify from an earlier process is ignored', async () => {
    const h = await supervising([
      instanceSpec('a', {
        readiness: { check: { kind: 'fd', fd: 3 }, interval: 1000, timeout: 1000, initialDelay: 0, failureThreshold: 3 },
      }),
    ]);
    const first = h.spawner.last('a');
    h.spawner.exit('a', code(1));
    await h.clock.advance(100);
    first.hooks.notify!({ READY: '1' });
    await flush();
    expect(h.get('a').state).toBe('starting');
  });
});

describe('Supervisor: stop escalation', () => {
  it('SIGKILL exactly once at stop_timeout, then stopped on exit', async () => {
    const h = await supervising([instanceSpec('a', { stopTimeout: 2000, stopSignal: 'SIGINT' })]);
    h.sup.stop([h.get('a')]);
    await flush();
    const a = h.get('a');
    expect([a.state, a.deadline]).toEqual(['stopping', h.clock.now() + 2000]);
    expect(h.spawner.signalsOf('a')).toEqual(['SIGINT']);
    // SIGCONT after the stop signal: a stopped process would keep it pending until stop_timeout
    expect(h.spawner.last('a').handle!.conts).toBe(1);
    await h.clock.advance(1999);
    expect(h.spawner.signalsOf('a')).toEqual(['SIGINT']);
    await h.clock.advance(1);
    expect([h.spawner.signalsOf('a'), a.deadline]).toEqual([['SIGINT', 'SIGKILL'], null]); // sent: no deadline left
    await h.clock.advance(60_000);
    expect(h.spawner.signalsOf('a')).toEqual(['SIGINT', 'SIGKILL']);
    expect(h.spawner.last('a').handle!.conts).toBe(1); // none after SIGKILL
    expect(h.lines()).toContain('a kill: SIGKILL sent: still running 2000ms after the stop signal');
    h.spawner.exit('a', { kind: 'signaled', signal: 'SIGKILL' });
    await flush();
    expect([a.state, a.reason, a.deadline]).toEqual(['stopped', 'stopped (killed by SIGKILL)', null]);
    expect(h.sup.quiet()).toBe(true);
  });

  it('stays stopping until the processes left behind are gone', async () => {
    const h = await supervising([instanceSpec('a')]);
    h.sup.stop([h.get('a')]);
    await flush();
    h.spawner.exit('a', { kind: 'signaled', signal: 'SIGTERM' }, { lingering: true });
    await flush();
    expect(h.get('a').state).toBe('stopping');
    h.spawner.last('a').handle!.drain();
    await flush();
    expect(h.get('a').state).toBe('stopped');
  });

  it('a main process that dies leaving children: they get the stop signal, then SIGKILL; the next run waits for them', async () => {
    const h = await supervising([instanceSpec('a', { stopTimeout: 500 })]);
    h.spawner.exit('a', code(1), { lingering: true });
    await flush();
    expect([h.get('a').state, h.spawner.signalsOf('a')]).toEqual(['backoff', ['SIGTERM']]);
    await h.clock.advance(100); // past the backoff: held back while the children linger
    expect([h.get('a').state, h.spawner.spawns.length]).toEqual(['backoff', 1]);
    await h.clock.advance(400);
    expect(h.spawner.signalsOf('a')).toEqual(['SIGTERM', 'SIGKILL']);
    h.spawner.spawns[0]!.handle!.drain(); // they are gone: the next run starts, untouched
    await flush();
    expect([h.get('a').state, h.spawner.spawns.length]).toEqual(['running', 2]);
    expect(h.spawner.spawns[1]!.handle!.signalsAll).toEqual([]);
  });

  it('the next run waits for leftovers a second past stop_timeout at most (one forked after the exit is not in its list)', async () => {
    const h = await supervising([instanceSpec('a', { stopTimeout: 500 })]);
    h.spawner.exit('a', code(1), { lingering: true });
    await flush();
    await h.clock.advance(1400);
    expect(h.spawner.spawns.length).toBe(1);
    await h.clock.advance(200); // 500 ms + the grace second: it goes
    await flush();
    expect([h.get('a').state, h.spawner.spawns.length]).toEqual(['running', 2]);
  });

  it('an instance removed by a reload while its leftovers linger, and added back, waits for them too', async () => {
    const h = await supervising([instanceSpec('a', { stopTimeout: 500 })]);
    h.spawner.exit('a', code(1), { lingering: true });
    await flush();
    const gone: string[] = [];
    h.sup.retire(['a'], (id) => gone.push(id));
    await flush();
    expect(gone).toEqual(['a']);
    h.sup.add([instanceSpec('a', { stopTimeout: 500 })]);
    await flush();
    expect([h.get('a').lingering, h.spawner.spawns.length]).toEqual([true, 1]);
    h.spawner.spawns[0]!.handle!.drain();
    await flush();
    expect([h.get('a').state, h.get('a').lingering, h.spawner.spawns.length]).toEqual(['running', false, 2]);
  });

  it('killAll() sends SIGKILL to every live instance only, and journals each with why', async () => {
    const h = await supervising([instanceSpec('a'), instanceSpec('b'), instanceSpec('c', { autostart: false })]);
    h.spawner.exit('b', code(0));
    await flush();
    h.sup.killAll('the bound');
    expect(h.spawner.signals).toEqual([{ id: 'a', signal: 'SIGKILL', all: true }]);
    expect(h.lines().filter((l) => l.includes(' kill: '))).toEqual(['a kill: SIGKILL sent: the bound']);
  });
});

describe('Supervisor: adopt', () => {
  it('takes over a live process as running, and its exit goes through the policy', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a')]);
    const handle = new FakeHandle(4242, h.spawner.signals, 'a');
    let exitCb!: (e: { kind: 'exited'; code: number }) => void;
    h.sup.adopt(h.get('a'), handle, (cb) => (exitCb = cb));
    await flush();
    const a = h.get('a');
    expect([a.state, a.pid, a.spawns, a.reason]).toEqual(['running', 4242, 1, 'adopted pid 4242 from an earlier daemon']);
    expect(h.spawner.spawns).toEqual([]);
    handle.exited = true;
    exitCb(code(1));
    await flush();
    expect(a.state).toBe('backoff');
    await h.clock.advance(100);
    expect([a.state, h.spawner.count('a')]).toEqual(['running', 1]);
  });

  it('an adopted process whose output is lost is marked so until the next run', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a')]);
    const handle = new FakeHandle(4242, h.spawner.signals, 'a');
    let exitCb!: (e: { kind: 'lost' }) => void;
    h.sup.adopt(h.get('a'), handle, (cb) => (exitCb = cb), { spawns: 3, startedAt: 1, outputLost: true });
    await flush();
    const a = h.get('a');
    expect([a.state, a.spawns, a.startedAt, a.outputLost]).toEqual(['running', 3, 1, true]);
    h.sup.restart([a]);
    await flush();
    expect([a.state, handle.signalsAll]).toEqual(['stopping', ['SIGTERM']]);
    handle.exited = true;
    exitCb({ kind: 'lost' });
    await flush();
    expect([a.state, a.pid, a.spawns, a.outputLost]).toEqual(['running', 1001, 4, false]);
  });
});
