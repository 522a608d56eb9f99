// What `tend status` adds to the rows the store gives (status.ts): cpu % and memory summed over
// every process of each instance (its cgroup, else its leader), read from /proc at the request;
// and a failing log, in the row's detail and log_error.
//
// cpu % is the instance's CPU time since the previous sample over the time between: its
// cgroup's (cpu.stat), else its processes' own and reaped children's. Why not the sum of each
// live process's own: a service whose work runs in short-lived children (a shell loop, a job
// runner) read 0 almost always, as no child lived across two samples.
import type { Instance } from '../core/instance.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import { ProcUsage } from '../sys/proc-usage.js';
import type { StatusRow } from './status.js';

/** Why: status rows show what the processes use; returns the filler the status handler calls. */
export function statusUsage(sup: Supervisor, logFailing: (id: string) => string | undefined) {
  const procUsage = new ProcUsage();
  /** each instance's CPU seconds at its last sample, and the main pid then (a new run starts over) */
  const lastCpu = new Map<string, { pid: number; seconds: number; at: number; cgroup: boolean }>();
  return async (rows: StatusRow[], insts: Instance[]): Promise<void> => {
    const now = Date.now();
    const seen = new Set<number>();
    rows.forEach((r, k) => {
      const i = insts[k]!;
      const failing = logFailing(i.id);
      if (failing) {
        r.log_error = failing;
        r.detail = r.detail ? `${r.detail}; logs failing: ${failing}` : `logs failing: ${failing}`;
      }
      if (i.pid === null) return;
      let cpu = 0;
      let memory = 0;
      let seconds = 0;
      let any = false;
      const handle = sup.handle(i.id);
      for (const pid of handle?.pids() ?? [i.pid]) {
        const s = procUsage.sample(pid, now);
        if (!s) continue;
        seen.add(pid);
        any = true;
        cpu += s.cpu;
        memory += s.memory;
        seconds += s.seconds;
      }
      if (any) {
        const fromCgroup = handle?.cpuSeconds?.();
        const cgroup = fromCgroup !== undefined;
        const total = fromCgroup ?? seconds;
        const prev = lastCpu.get(i.id);
        // the same run, the same source (a cgroup that cannot be read starts over)
        if (prev !== undefined && prev.pid === i.pid && prev.cgroup === cgroup && now > prev.at && total >= prev.seconds) {
          cpu = ((total - prev.seconds) / ((now - prev.at) / 1000)) * 100;
        }
        lastCpu.set(i.id, { pid: i.pid, seconds: total, at: now, cgroup });
        r.cpu = Math.round(cpu * 10) / 10;
        r.cpu_seconds = Math.round(seconds * 100) / 100;
        r.memory = memory;
      }
    });
    // a full listing saw every live pid: the samples of the others can go; after a partial one,
    // those not asked for in a minute
    if (rows.length === sup.store.size) {
      procUsage.prune(seen);
      for (const id of lastCpu.keys()) if (!sup.store.has(id)) lastCpu.delete(id);
    } else procUsage.pruneStale(now - 60_000);
  };
}
