import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcUsage } from '../../src/sys/proc-usage.js';

const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

describe('ProcUsage', () => {
  it('reads resident memory of a live pid and nothing for a dead one', () => {
    const u = new ProcUsage();
    const me = u.sample(process.pid)!;
    expect(me.memory).toBeGreaterThan(10 * 1024 * 1024);
    const rss = process.memoryUsage().rss;
    expect(Math.abs(me.memory - rss) / rss).toBeLessThan(0.3);
    expect(u.sample(2 ** 22 + 12345)).toBeUndefined();
  });

  it('a busy loop shows high cpu %, a sleeper about none', async () => {
    const busy = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    const idle = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(busy.pid!, idle.pid!);
    const u = new ProcUsage();
    u.sample(busy.pid!);
    u.sample(idle.pid!);
    // a measurement window: cpu % is ticks over elapsed time
    await new Promise((r) => setTimeout(r, 500));
    const b = u.sample(busy.pid!)!;
    const s = u.sample(idle.pid!)!;
    expect(b.cpu).toBeGreaterThan(10); // a loaded 2-core box still gives a spinner this much
    expect(s.cpu).toBeLessThan(5);
  });
});
