import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcUsage } from '../../src/sys/proc-usage.js';
import { waitFor } from '../e2e/harness.js';

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

/** How many descriptors this process holds on /proc/PID/stat of `pid`. */
function heldFds(pid: number): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === `/proc/${pid}/stat`;
    } catch {
      return false;
    }
  }).length;
}

describe('ProcUsage', () => {
  it('reads resident memory of a live pid and nothing for a dead one', () => {
    const u = new ProcUsage();
    const me = u.sample(process.pid)!;
    expect(me.memory).toBeGreaterThan(10 * 1024 * 1024);
    const rss = process.memoryUsage().rss;
    expect(Math.abs(me.memory - rss) / rss).toBeLessThan(0.3);
    expect(u.sample(2 ** 22 + 12345)).toBeUndefined();
  });

  it('holds /proc/PID/stat open between samples and lets it go once the process is gone', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child.pid!);
    const u = new ProcUsage();
    // (a process this young may show no resident memory yet: the kernel sums its counters lazily)
    expect(u.sample(child.pid!)).toBeDefined();
    expect(heldFds(child.pid!)).toBe(1);
    expect(u.sample(child.pid!)).toBeDefined(); // read through the held file
    expect(heldFds(child.pid!)).toBe(1);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited; // reaped: the held file reads ESRCH
    expect(u.sample(child.pid!)).toBeUndefined();
    expect(heldFds(child.pid!)).toBe(0);
  });

  it('pruneStale lets go of the pids not sampled since a time, and keeps the others', () => {
    // two processes of their own: none of the other tests holds their files
    const [old, recent] = [0, 1].map(() => spawn('sleep', ['30'], { stdio: 'ignore' }).pid!);
    children.push(old!, recent!);
    const u = new ProcUsage();
    u.sample(old!, 1000);
    u.sample(recent!, 5000);
    expect([heldFds(old!), heldFds(recent!)]).toEqual([1, 1]);
    u.pruneStale(2000);
    expect([heldFds(old!), heldFds(recent!)]).toEqual([0, 1]);
  });

  it('a busy loop shows cpu %, a sleeper none', async () => {
    const busy = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    const idle = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(busy.pid!, idle.pid!);
    const u = new ProcUsage();
    u.sample(busy.pid!);
    u.sample(idle.pid!);
    // a measurement window in which the spinner got some CPU, however loaded the machine: cpu % is
    // its ticks over the elapsed time (a figure no test can promise under load)
    const ticks = (pid: number): number => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(f[11]) + Number(f[12]);
    };
    const from = ticks(busy.pid!);
    await waitFor(() => ticks(busy.pid!) >= from + 5, 'the spinner to run 50 ms');
    const b = u.sample(busy.pid!)!;
    const s = u.sample(idle.pid!)!;
    expect(b.cpu).toBeGreaterThan(0);
    expect(b.seconds).toBeGreaterThanOrEqual(0.05);
    expect(s.cpu).toBeLessThan(b.cpu);
    expect(s.seconds).toBeLessThan(0.05);
  });
});
