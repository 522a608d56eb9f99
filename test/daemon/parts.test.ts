// The daemon's lifecycle: parts start in order and close in reverse; a failed start closes what
// started; a shutdown during start-up starts nothing more; a slow or failing close does not hold
// up the others.
import { describe, expect, it } from 'vitest';
import { type Part, Parts } from '../../src/daemon/parts.js';
import { Shutdown } from '../../src/daemon/shutdown.js';

function recorder() {
  const log: string[] = [];
  const part = (name: string, extra: Partial<Part> = {}): Part => ({
    name,
    start: () => void log.push(`start ${name}`),
    close: () => void log.push(`close ${name}`),
    ...extra,
  });
  return { log, part };
}

describe('Parts', () => {
  it('starts in the order added, closes in the reverse order, once', async () => {
    const { log, part } = recorder();
    const parts = new Parts();
    for (const n of ['a', 'b', 'c']) parts.add(part(n));
    await parts.start();
    await Promise.all([parts.close(), parts.close()]);
    expect(log).toEqual(['start a', 'start b', 'start c', 'close c', 'close b', 'close a']);
  });

  it('a start that throws: start rejects, and close takes down only what started', async () => {
    const { log, part } = recorder();
    const parts = new Parts();
    parts.add(part('a'));
    parts.add(part('socket', { start: () => Promise.reject(new Error('another tend is running')) }));
    parts.add(part('c'));
    await expect(parts.start()).rejects.toThrow('another tend is running');
    await parts.close();
    expect(log).toEqual(['start a', 'close a']);
  });

  it('close asked for while a part is starting: that part finishes, nothing more starts, then all close', async () => {
    const { log, part } = recorder();
    let release!: () => void;
    const parts = new Parts();
    parts.add(part('a'));
    parts.add(part('slow', { start: () => new Promise<void>((r) => (release = () => (log.push('start slow'), r()))) }));
    parts.add(part('c'));
    const started = parts.start();
    await new Promise((r) => setImmediate(r));
    const closed = parts.close();
    release();
    await started;
    await closed;
    expect(log).toEqual(['start a', 'start slow', 'close slow', 'close a']);
  });

  it('a close that throws is reported and the others still close; one that hangs is waited for at most its bound', async () => {
    const { log, part } = recorder();
    const errors: string[] = [];
    const parts = new Parts((m) => errors.push(m));
    parts.add(part('a'));
    parts.add(part('hangs', { close: () => new Promise<void>(() => {}), closeWithinMs: 10 }));
    parts.add(part('bad', { close: () => Promise.reject(new Error('disk gone')) }));
    await parts.start();
    await parts.close();
    expect(log.slice(-1)).toEqual(['close a']);
    expect(errors).toEqual(['closing bad failed: disk gone']);
  });
});

describe('Shutdown', () => {
  it('closes the parts once and resolves done with the first code asked for', async () => {
    const { log, part } = recorder();
    const parts = new Parts();
    parts.add(part('a'));
    await parts.start();
    let flushed = 0;
    const s = new Shutdown(parts, () => flushed++);
    expect(s.started).toBe(false);
    const first = s.begin(7);
    const second = s.begin(0);
    expect(s.started).toBe(true);
    expect(await first).toBe(7);
    expect(await second).toBe(7);
    expect(await s.done).toBe(7);
    expect([log, flushed]).toEqual([['start a', 'close a'], 1]);
  });
});
