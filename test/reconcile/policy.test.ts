// afterExit and backoffDelay: restart policy, start limit, exponential backoff with jitter.
import { describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import type { Exit, RestartPolicy, ServiceSpec, ServiceType } from '../../src/core/types.js';
import { afterExit, backoffDelay } from '../../src/reconcile/policy.js';
import { instanceSpec, record } from '../helpers/fakes.js';

const NOW = 100_000;
const noJitter = () => 0;
const ok: Exit = { kind: 'exited', code: 0 };
const fail: Exit = { kind: 'exited', code: 1 };
const sig: Exit = { kind: 'signaled', signal: 'SIGKILL' };
const spawnErr: Exit = { kind: 'spawn-error', message: 'spawn nope ENOENT' };
const term: Exit = { kind: 'signaled', signal: 'SIGTERM' };

/** A running instance spawned once, 50 ms ago. */
function ran(over: Partial<ServiceSpec> = {}, fields: Partial<Instance> = {}): Instance {
  return record(instanceSpec('svc', over), {
    state: 'running',
    startedAt: NOW - 50,
    starts: [NOW - 50],
    spawns: 1,
    ...fields,
  });
}

// Verdicts: the first restart of a streak (backoff 100 ms), and the ends that reset the streak.
const backoff = (reason: string) => ({ state: 'backoff', reason, nextStartAt: NOW + 100, failuresInRow: 1 });
const failed = (reason: string) => ({ state: 'failed', reason, nextStartAt: null, failuresInRow: 0 });

describe('afterExit: restart policy', () => {
  const completed = { state: 'completed', reason: 'exited with code 0', nextStartAt: null, failuresInRow: 0 };

  const cases: Array<[RestartPolicy, string, Exit, object]> = [
    ['always', 'success', ok, backoff('exited with code 0')],
    ['always', 'failure', fail, backoff('exited with code 1')],
    ['always', 'signal', sig, backoff('killed by SIGKILL')],
    ['always', 'spawn error', spawnErr, backoff('could not start: spawn nope ENOENT')],
    ['on-failure', 'success', ok, completed],
    ['on-failure', 'failure', fail, backoff('exited with code 1')],
    ['on-failure', 'signal', sig, backoff('killed by SIGKILL')],
    ['on-failure', 'spawn error', spawnErr, backoff('could not start: spawn nope ENOENT')],
    ['never', 'success', ok, completed],
    ['never', 'failure', fail, failed('exited with code 1')],
    ['never', 'signal', sig, failed('killed by SIGKILL')],
    ['never', 'spawn error', spawnErr, failed('could not start: spawn nope ENOENT')],
  ];

  describe.each(['simple', 'oneshot'] as ServiceType[])('type %s', (type) => {
    for (const [restart, label, exit, want] of cases) {
      // A oneshot that exited 0 is completed whatever `restart` says (issue 3: "exit 0 -> completed").
      if (type === 'oneshot' && restart === 'always' && label === 'success') continue;
      it(`restart: ${restart}, ${label}`, () => {
        expect(afterExit(ran({ type, restart }), exit, NOW, noJitter)).toEqual(want);
      });
    }
  });

  // BUG: src/reconcile/policy.ts:37-39 ignores `type`. A oneshot with `restart: always` that
  // exits 0 goes to backoff and runs again forever; issue 3 says a oneshot's exit 0 is `completed`
  // ("else failed (or restarted, per restart)"). The config accepts `type: oneshot` + `restart: always`.
  it('type oneshot, restart: always, success -> completed', () => {
    expect(afterExit(ran({ type: 'oneshot', restart: 'always' }), ok, NOW, noJitter)).toEqual(completed);
  });

  it('a code other than 0 is a failure: 3 and 255', () => {
    expect(afterExit(ran({ restart: 'never' }), { kind: 'exited', code: 3 }, NOW, noJitter).reason).toBe('exited with code 3');
    expect(afterExit(ran({ restart: 'on-failure' }), { kind: 'exited', code: 255 }, NOW, noJitter).state).toBe('backoff');
  });
});

describe('afterExit: stop requested', () => {
  it('stopping, wanted down or restarted -> stopped, whatever the exit and the policy', () => {
    for (const want of ['down', 'restart'] as const) {
      for (const restart of ['always', 'on-failure', 'never'] as const) {
        for (const exit of [ok, fail, sig]) {
          const v = afterExit(ran({ restart }, { state: 'stopping', want, failuresInRow: 4 }), exit, NOW, noJitter);
          expect(v.state).toBe('stopped');
          expect(v.nextStartAt).toBeNull();
          expect(v.failuresInRow).toBe(0);
        }
      }
    }
    expect(
      afterExit(ran({}, { state: 'stopping', want: 'down' }), { kind: 'signaled', signal: 'SIGTERM' }, NOW, noJitter).reason,
    ).toBe('stopped (killed by SIGTERM)');
  });

  it.each<[string, Partial<ServiceSpec>, Partial<Instance>]>([
    [
      'restarted but exited on its own before the stop -> stopped (the restart starts it afresh)',
      { restart: 'never' },
      { want: 'restart' },
    ],
    ['wanted down but not yet stopping (exited on its own meanwhile) -> stopped', { restart: 'always' }, { want: 'down' }],
  ])('%s', (_, over, fields) => {
    expect(afterExit(ran(over, fields), fail, NOW, noJitter)).toEqual({
      state: 'stopped',
      reason: 'stopped (exited with code 1)',
      nextStartAt: null,
      failuresInRow: 0,
    });
  });
});

describe('afterExit: stopped by its liveness probe (stopping, still wanted up)', () => {
  const sick = (over: Partial<ServiceSpec> = {}, fields: Partial<Instance> = {}) =>
    ran(over, { state: 'stopping', livenessFailures: 3, lastProbeFailure: 'connect ECONNREFUSED', ...fields });

  it('-> backoff, with the failure streak and the probe in the reason, whatever the policy', () => {
    for (const restart of ['always', 'on-failure', 'never'] as const) {
      expect(afterExit(sick({ restart }), term, NOW, noJitter)).toEqual(
        backoff('liveness failed 3 times in a row: connect ECONNREFUSED'),
      );
    }
    const v = afterExit(sick({}, { failuresInRow: 2 }), ok, NOW, noJitter);
    expect([v.state, v.nextStartAt! - NOW, v.failuresInRow]).toEqual(['backoff', 400, 3]);
  });

  it('-> failed at the start limit, like an exit', () => {
    const i = sick({ startLimit: { burst: 2, interval: 60_000 } }, { starts: [NOW - 1000, NOW - 50] });
    expect(afterExit(i, term, NOW, noJitter)).toEqual(failed('liveness failed twice within 1m; start limit reached'));
  });
});

describe('afterExit: stopped for not being ready within start_timeout (a failed start)', () => {
  const notReady = { head: 'not ready within 5s', why: 'connect ECONNREFUSED 127.0.0.1:5432' };
  const late = (over: Partial<ServiceSpec> = {}, fields: Partial<Instance> = {}) =>
    ran({ startTimeout: 5000, ...over }, { state: 'stopping', notReady, lastProbeFailure: notReady.why, ...fields });
  const reason = 'not ready within 5s: connect ECONNREFUSED 127.0.0.1:5432';

  it('a failure whatever the exit: always and on-failure back off, never fails', () => {
    for (const exit of [ok, term, sig, fail]) {
      expect(afterExit(late({ restart: 'always' }), exit, NOW, noJitter)).toEqual(backoff(reason));
      expect(afterExit(late({ restart: 'on-failure' }), exit, NOW, noJitter)).toEqual(backoff(reason));
      expect(afterExit(late({ restart: 'never' }), exit, NOW, noJitter)).toEqual(failed(reason));
    }
  });

  it('is not a liveness failure: the probe counts and words of liveness are not used', () => {
    const v = afterExit(late({}, { livenessFailures: 2 }), term, NOW, noJitter);
    expect(v.reason).toBe(reason);
  });

  it('the streak goes on however long start_timeout is (a run never ready was not healthy for a while)', () => {
    const long = late(
      { startTimeout: 90_000, backoff: { initial: 100, max: 30_000, factor: 2 } },
      {
        startedAt: NOW - 90_000,
        starts: [NOW - 90_000],
        failuresInRow: 2,
        notReady: { ...notReady, head: 'not ready within 1m30s' },
      },
    );
    const v = afterExit(long, term, NOW, noJitter);
    expect([v.state, v.failuresInRow, v.nextStartAt! - NOW]).toEqual(['backoff', 3, 400]);
    // a crash after as long a run starts a new streak, as before
    const crashed = ran({}, { startedAt: NOW - 90_000, starts: [NOW - 90_000], failuresInRow: 2 });
    expect(afterExit(crashed, fail, NOW, noJitter).failuresInRow).toBe(1);
  });

  it('-> failed at the start limit, naming the timeout and the last failure', () => {
    const i = late({ startLimit: { burst: 3, interval: 60_000 } }, { starts: [NOW - 20_000, NOW - 10_000, NOW - 5000] });
    expect(afterExit(i, term, NOW, noJitter)).toEqual(
      failed('not ready within 5s three times within 1m; start limit reached (the last: connect ECONNREFUSED 127.0.0.1:5432)'),
    );
  });

  it('wanted down or restarted meanwhile -> stopped, as any stop', () => {
    for (const want of ['down', 'restart'] as const) {
      expect(afterExit(late({}, { want }), term, NOW, noJitter)).toEqual({
        state: 'stopped',
        reason: 'stopped (killed by SIGTERM)',
        nextStartAt: null,
        failuresInRow: 0,
      });
    }
  });
});

describe('afterExit: start limit', () => {
  const limited = { restart: 'always' as const, startLimit: { burst: 3, interval: 60_000 } };

  it('burst reached within the interval -> failed, with the count in words', () => {
    const i = ran(limited, { starts: [NOW - 30_000, NOW - 20_000, NOW - 10], failuresInRow: 2 });
    expect(afterExit(i, fail, NOW, noJitter)).toEqual({
      ...failed('exited with code 1 three times within 1m; start limit reached'),
      failuresInRow: 2,
    });
  });

  it('ends that differ: how many starts, and the last end (not the last end N times)', () => {
    const exits = [
      { time: NOW - 25_000, exit: { kind: 'exited' as const, code: 1 } },
      { time: NOW - 15_000, exit: { kind: 'signaled' as const, signal: 'SIGKILL' } },
    ];
    const i = ran(limited, { starts: [NOW - 30_000, NOW - 20_000, NOW - 10], exits });
    expect(afterExit(i, fail, NOW, noJitter).reason).toBe('3 starts within 1m, the last exited with code 1; start limit reached');
    // the same end each time: said once, with the count
    const same = exits.map((e) => ({ ...e, exit: fail }));
    const j = ran(limited, { starts: [NOW - 30_000, NOW - 20_000, NOW - 10], exits: same });
    expect(afterExit(j, fail, NOW, noJitter).reason).toBe('exited with code 1 three times within 1m; start limit reached');
    // an end before the interval does not count
    const k = ran(limited, {
      starts: [NOW - 30_000, NOW - 20_000, NOW - 10],
      exits: [{ time: NOW - 90_000, exit: term }, ...same],
    });
    expect(afterExit(k, fail, NOW, noJitter).reason).toBe('exited with code 1 three times within 1m; start limit reached');
  });

  it('a start that fails each time: the count first, then the error (a sentence of its own)', () => {
    const cannot = { kind: 'spawn-error' as const, message: 'spawn ./app.sh: permission denied (EACCES)' };
    const exits = [NOW - 25_000, NOW - 15_000].map((time) => ({ time, exit: cannot }));
    const i = ran(limited, { starts: [NOW - 30_000, NOW - 20_000, NOW - 10], exits });
    expect(afterExit(i, cannot, NOW, noJitter).reason).toBe(
      'could not start three times within 1m (spawn ./app.sh: permission denied (EACCES)); start limit reached',
    );
  });

  it('burst 1: the one start, said as its end (exits of earlier runs do not count)', () => {
    const one = { restart: 'always' as const, startLimit: { burst: 1, interval: 60_000 } };
    const i = ran(one, { starts: [NOW - 10], exits: [{ time: NOW - 30_000, exit: term }] });
    expect(afterExit(i, fail, NOW, noJitter).reason).toBe('exited with code 1 once within 1m; start limit reached');
  });

  it('under the burst -> backoff', () => {
    const i = ran(limited, { starts: [NOW - 20_000, NOW - 10] });
    expect(afterExit(i, fail, NOW, noJitter).state).toBe('backoff');
  });

  it('starts older than the interval do not count (exactly `interval` ago is out)', () => {
    const i = ran(limited, { starts: [NOW - 60_000, NOW - 20_000, NOW - 10] });
    expect(afterExit(i, fail, NOW, noJitter).state).toBe('backoff');
    const j = ran(limited, { starts: [NOW - 59_999, NOW - 20_000, NOW - 10] });
    expect(afterExit(j, fail, NOW, noJitter).state).toBe('failed');
  });

  it('counts in words up to five, then in digits', () => {
    const words = ['once', 'twice', 'three times', 'four times', 'five times', '6 times', '7 times'];
    words.forEach((w, k) => {
      const n = k + 1;
      const i = ran(
        { restart: 'on-failure', startLimit: { burst: n, interval: 10_000 } },
        { starts: Array.from({ length: n }, (_, t) => NOW - t) },
      );
      expect(afterExit(i, sig, NOW, noJitter).reason).toBe(`killed by SIGKILL ${w} within 10s; start limit reached`);
    });
  });

  it('says the interval as it was written, not rounded: 3300ms is 3.3s, 600s is 10m (as tend check writes it)', () => {
    for (const [interval, words] of [
      [3300, '3.3s'],
      [600_000, '10m'],
      [90_000, '1m30s'],
    ] as const) {
      const i = ran({ restart: 'on-failure', startLimit: { burst: 3, interval } }, { starts: [NOW - 2, NOW - 1, NOW] });
      expect(afterExit(i, sig, NOW, noJitter).reason).toBe(`killed by SIGKILL three times within ${words}; start limit reached`);
    }
  });

  it('does not apply when the policy does not restart', () => {
    const i = ran({ restart: 'never', startLimit: { burst: 1, interval: 60_000 } });
    expect(afterExit(i, fail, NOW, noJitter).reason).toBe('exited with code 1');
    const j = ran({ restart: 'on-failure', startLimit: { burst: 1, interval: 60_000 } });
    expect(afterExit(j, ok, NOW, noJitter).state).toBe('completed');
  });
});

describe('afterExit: backoff', () => {
  const b = { backoff: { initial: 100, max: 1000, factor: 2 }, startLimit: { burst: 100, interval: 60_000 } };

  it('grows initial*factor^(n-1), capped at max', () => {
    const delays = [0, 1, 2, 3, 4, 5, 10].map((inRow) => {
      const v = afterExit(ran(b, { failuresInRow: inRow }), fail, NOW, noJitter);
      expect(v.failuresInRow).toBe(inRow + 1);
      return v.nextStartAt! - NOW;
    });
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('resets the streak after a run longer than backoff.max', () => {
    const long = afterExit(ran(b, { failuresInRow: 5, startedAt: NOW - 1001 }), fail, NOW, noJitter);
    expect([long.failuresInRow, long.nextStartAt! - NOW]).toEqual([1, 100]);
    const exact = afterExit(ran(b, { failuresInRow: 2, startedAt: NOW - 1000 }), fail, NOW, noJitter);
    expect([exact.failuresInRow, exact.nextStartAt! - NOW]).toEqual([3, 400]);
  });

  it('completed resets the streak; failed keeps it', () => {
    expect(afterExit(ran({ restart: 'never' }, { failuresInRow: 3 }), ok, NOW, noJitter).failuresInRow).toBe(0);
    expect(afterExit(ran({ restart: 'never' }, { failuresInRow: 3 }), fail, NOW, noJitter).failuresInRow).toBe(3);
  });

  it('applies the jitter it is given: up to 10% down', () => {
    expect(afterExit(ran(b, { failuresInRow: 3 }), fail, NOW, () => 0.5).nextStartAt).toBe(NOW + 760);
    expect(afterExit(ran(b, { failuresInRow: 3 }), fail, NOW, () => 0.999999).nextStartAt).toBe(NOW + 720);
  });
});

describe('backoffDelay', () => {
  const b = { initial: 250, max: 30_000, factor: 3 };

  it('treats n < 1 as the first attempt', () => {
    expect(backoffDelay(b, 0, () => 0)).toBe(250);
    expect(backoffDelay(b, -3, () => 0)).toBe(250);
  });

  it('is 0 with initial 0 (restart at once)', () => {
    expect(backoffDelay({ initial: 0, max: 30_000, factor: 2 }, 7, () => 0.7)).toBe(0);
  });

  it('stays within [90%, 100%] of the un-jittered delay for any random in [0, 1)', () => {
    for (let n = 1; n <= 8; n++) {
      const base = Math.min(30_000, 250 * 3 ** (n - 1));
      for (const r of [0, 0.01, 0.25, 0.5, 0.75, 0.99, 0.999999]) {
        const d = backoffDelay(b, n, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.9));
        expect(d).toBeLessThanOrEqual(base);
      }
    }
  });

  it('factor 1 keeps the delay flat', () => {
    expect([1, 2, 9].map((n) => backoffDelay({ initial: 500, max: 30_000, factor: 1 }, n, () => 0))).toEqual([500, 500, 500]);
  });
});
