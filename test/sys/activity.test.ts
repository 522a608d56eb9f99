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

  it('a listener counts from when it starts listening (with none, as in TEND_V8_DEFAULTS=1, notes are dropped)', () => {
    noteBytes(BURST_BYTES * 4, 30_000); // no one listens
    const told: number[] = [];
    whenBursting((now) => told.push(now));
    noteBytes(BURST_BYTES - 1, 30_100);
    whenBursting((now) => told.push(now)); // a new listener: the count starts anew
    noteBytes(1, 30_200);
    expect(told).toEqual([]);
    noteBytes(BURST_BYTES, 30_300);
    expect(told).toEqual([30_300]);
  });
});
