// daemon/memory.ts's input hook: after a flood of control input, one collection once it is quiet.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { collectAfterInput } from '../../src/daemon/memory.js';

describe('collectAfterInput', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('collects once, after the threshold of input and then the quiet time; input meanwhile postpones it', () => {
    const collect = vi.fn();
    const onInput = collectAfterInput(collect, 100, 1000);
    onInput(60);
    vi.advanceTimersByTime(5000);
    expect(collect).not.toHaveBeenCalled(); // under the threshold: nothing to collect
    onInput(60); // 120: over it
    vi.advanceTimersByTime(900);
    onInput(10); // not quiet yet
    vi.advanceTimersByTime(900);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(collect).toHaveBeenCalledTimes(1);
    // the count starts again
    onInput(99);
    vi.advanceTimersByTime(5000);
    expect(collect).toHaveBeenCalledTimes(1);
    onInput(1);
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(2);
  });
});
