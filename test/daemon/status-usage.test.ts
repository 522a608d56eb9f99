// cpu % of `tend status`: the instance's CPU time between two samples (its cgroup's, else its
// processes' own and reaped children's), not the sum of what each live process did since the last
// sample, which missed the work of children that did not live across two samples.
import { describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import type { ProcessHandle } from '../../src/core/spawner.js';
import type { StatusRow } from '../../src/daemon/status.js';
import { statusUsage } from '../../src/daemon/status-usage.js';
import type { Supervisor } from '../../src/reconcile/supervisor.js';

/** One instance whose processes are this test's own, its cgroup's CPU seconds set by the test. */
function usageOf(cpuSeconds: (() => number | undefined) | undefined) {
  const inst = { id: 'web', pid: process.pid } as Instance;
  const handle = { pids: () => [process.pid], ...(cpuSeconds ? { cpuSeconds } : {}) } as unknown as ProcessHandle;
  const sup = { handle: () => handle, store: new Map([['web', inst]]) } as unknown as Supervisor;
  const fill = statusUsage(sup, () => undefined);
  return async (): Promise<StatusRow> => {
    const row = { cpu: null, cpu_seconds: null, memory: null } as unknown as StatusRow;
    await fill([row], [inst]);
    return row;
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('status cpu %', () => {
  it("is the cgroup's CPU time between two samples: work of processes gone meanwhile counts", async () => {
    let seconds = 10;
    const sample = usageOf(() => seconds);
    await sample(); // the first: since the processes started
    seconds += 30; // 30 s of CPU in the cgroup, by processes no longer there: far past 2 cores' worth
    await pause(50);
    const row = await sample();
    // 30 s over at least 50 ms: above 1000 % (this process alone could not make 200 % on 2 cores)
    expect(row.cpu).toBeGreaterThan(1000);
    expect(row.cpu_seconds).toBeLessThan(30); // cpu_seconds stays the processes' own
  });

  it('starts over when the cgroup cannot be read or went back (a new cgroup): the processes alone', async () => {
    let seconds: number | undefined = 100;
    const sample = usageOf(() => seconds);
    await sample();
    seconds = 1;
    await pause(20);
    const back = (await sample()).cpu as number;
    expect(back >= 0 && back < 300).toBe(true); // not (1 - 100) s over 20 ms
    seconds = undefined;
    await pause(20);
    const gone = (await sample()).cpu as number;
    expect(gone >= 0 && gone < 300).toBe(true);
  });
});
