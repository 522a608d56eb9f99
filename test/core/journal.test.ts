// The journal: entries with time and reason, the last n, live subscribers, a bounded size.
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/core/journal.js';

describe('Journal', () => {
  it('records time (ISO), service, what, why and state', () => {
    const j = new Journal();
    const e = j.add('web', 'state', 'pending -> starting: spawned', 'starting', Date.UTC(2024, 0, 2, 3, 4, 5, 6));
    expect(e).toEqual({
      time: '2024-01-02T03:04:05.006Z',
      service: 'web',
      what: 'state',
      why: 'pending -> starting: spawned',
      state: 'starting',
    });
    expect(j.last()).toEqual([e]);
  });

  it('leaves state out when not given', () => {
    const j = new Journal();
    expect('state' in j.add('tend', 'reload', 'no change', undefined, 0)).toBe(false);
  });

  it('gives the last n, oldest first, and a copy', () => {
    const j = new Journal();
    for (let k = 0; k < 5; k++) j.add('s', 'x', `e${k}`, undefined, k);
    expect(j.last(2).map((e) => e.why)).toEqual(['e3', 'e4']);
    expect(j.last().map((e) => e.why)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    j.last().pop();
    expect(j.last()).toHaveLength(5);
  });

  it('hands each entry to subscribers until they unsubscribe', () => {
    const j = new Journal();
    const seen: string[] = [];
    const off = j.subscribe((e) => seen.push(e.why));
    j.add('s', 'x', 'one', undefined, 0);
    off();
    j.add('s', 'x', 'two', undefined, 0);
    expect(seen).toEqual(['one']);
  });

  it('keeps at most `capacity` entries visible, the newest', () => {
    const j = new Journal(10);
    for (let k = 0; k < 37; k++) j.add('s', 'x', `e${k}`, undefined, k);
    const all = j.last();
    expect(all).toHaveLength(10);
    expect(all[0]!.why).toBe('e27');
    expect(all[9]!.why).toBe('e36');
    expect(j.last(3).map((e) => e.why)).toEqual(['e34', 'e35', 'e36']);
  });
});
