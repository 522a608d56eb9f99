// setTimerAt: fires once at an absolute time, however far (steps under 2^31-1 ms), never early,
// never keeps the process alive, and stays cancelled.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY, setTimerAt } from '../../src/tasks/timer.js';

const DAY = 86_400_000;

/** Resolves when cond() holds; rejects after `ms` (a deadline, not a timed assertion). */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('setTimerAt with real timers', () => {
  it('fires once, not before `at` by the wall clock', async () => {
    const at = Date.now() + 30;
    const fired: number[] = [];
    setTimerAt(at, () => fired.push(Date.now()));
    await until(() => fired.length > 0);
    expect(fired[0]).toBeGreaterThanOrEqual(at);
    await new Promise((r) => setTimeout(r, 20));
    expect(fired.length).toBe(1);
  });

  it('a time already past fires on a later tick, never inside the call', async () => {
    let fired = false;
    setTimerAt(Date.now() - 1000, () => (fired = true));
    expect(fired).toBe(false);
    await until(() => fired);
  });

  it('reaches its time in steps of at most maxStep', async () => {
    const delays: number[] = [];
    const real = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return real(fn, ms);
    }) as typeof setTimeout);
    let fired = false;
    try {
      setTimerAt(Date.now() + 40, () => (fired = true), { maxStep: 5 });
      await until(() => fired);
    } finally {
      spy.mockRestore();
    }
    // the first step is capped (the chain itself is shown with fake timers below); no step is longer
    expect(delays[0]).toBe(5);
    expect(Math.max(...delays)).toBeLessThanOrEqual(5);
  });

  it('a time 60 days away arms no over-long setTimeout (no TimeoutOverflowWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const cancel = setTimerAt(Date.now() + 60 * DAY, () => {});
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 5));
      cancel();
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it("is unref'd: a pending timer holds no active handle", () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const cancel = setTimerAt(Date.now() + DAY, () => {});
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
    cancel();
  });

  it('refuses a time that is not a finite number', () => {
    expect(() => setTimerAt(Number.NaN, () => {})).toThrow('setTimerAt: expected a finite time; got NaN');
  });
});

describe('setTimerAt with fake timers (days pass at once)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires after 60 days, not at 24.8 or 59', () => {
    vi.useFakeTimers({ now: Date.parse('2025-01-01T00:00:00Z') });
    const at = Date.now() + 60 * DAY;
    const fired: number[] = [];
    setTimerAt(at, () => fired.push(Date.now()));
    vi.advanceTimersByTime(MAX_TIMER_DELAY + 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(59 * DAY - (MAX_TIMER_DELAY + 1));
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(DAY);
    expect(fired).toEqual([at]);
    vi.advanceTimersByTime(100 * DAY);
    expect(fired).toEqual([at]);
  });

  it('cancelled before or between steps, it never fires', () => {
    vi.useFakeTimers({ now: 0 });
    let fired = 0;
    const early = setTimerAt(10, () => fired++);
    early();
    const far = setTimerAt(40 * DAY, () => fired++);
    vi.advanceTimersByTime(30 * DAY); // one step done, the next armed
    far();
    vi.advanceTimersByTime(30 * DAY);
    expect(fired).toBe(0);
  });

  it('a wall clock that moved forward between steps fires at the next step', () => {
    vi.useFakeTimers({ now: 0 });
    let skew = 0;
    const fired: number[] = [];
    setTimerAt(50 * DAY, () => fired.push(Date.now()), { now: () => Date.now() + skew });
    skew = 40 * DAY; // e.g. the machine slept (monotonic timers do not count sleep)
    vi.advanceTimersByTime(MAX_TIMER_DELAY);
    expect(fired).toEqual([MAX_TIMER_DELAY]);
  });

  it('a timer early by the wall clock waits on instead of firing early', () => {
    vi.useFakeTimers({ now: 0 });
    let lag = 5;
    const fired: number[] = [];
    setTimerAt(100, () => fired.push(Date.now()), { now: () => Date.now() - lag });
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([]); // the clock it reads says 95
    lag = 0;
    vi.advanceTimersByTime(5);
    expect(fired).toEqual([105]);
  });
});
