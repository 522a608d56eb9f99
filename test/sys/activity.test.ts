// The burst counter that turns V8's incremental marking on while the daemon is busy
// (src/sys/activity.ts, daemon/memory.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { BURST_BYTES, noteBytes, whenBursting } from '../../src/sys/activity.js';

afterEach(() => whenBursting(undefined));

describe('noteBytes', () => {
  it('tells of a burst once BURST_BYTES came within a second, and at each note while it goes on', () => {
    const told: number[] = [];
    whenBursting((now) => told.push(now));
    noteBytes(BURST_BYTES / 2, 10_000);
    noteBytes(BURST_BYTES / 2 - 1, 10_500);
    expect(told).toEqual([]);
    noteBytes(1, 10_900);
    noteBytes(10, 10_950);
    expect(told).toEqual([10_900, 10_950]);
  });

  it('counts each second on its own: the same bytes spread over seconds are no burst', () => {
    const told: number[] = [];
    whenBursting((now) => told.push(now));
    for (let s = 0; s < 10; s++) noteBytes(BURST_BYTES / 2, 20_000 + s * 1000);
    expect(told).toEqual([]);
  });

  it('counts nothing while no one listens (tests of the log sink, TEND_V8_DEFAULTS=1)', () => {
    noteBytes(BURST_BYTES * 4, 30_000);
    const told: number[] = [];
    whenBursting((now) => told.push(now));
    noteBytes(1, 30_100);
    expect(told).toEqual([]);
  });
});
