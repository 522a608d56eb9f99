// What `tend status` adds to the rows the store gives (status.ts): cpu % and memory summed over
// every process of each instance (its cgroup, else its leader), read from /proc at the request;
// and a failing log, in the row's detail and log_error.
import type { Instance } from '../core/instance.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import { ProcUsage } from '../sys/proc-usage.js';
import type { StatusRow } from './status.js';

/** Why: status rows show what the processes use; returns the filler the status handler calls. */
export function statusUsage(sup: Supervisor, logFailing: (id: string) => string | undefined) {
  const procUsage = new ProcUsage();
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
      for (const pid of sup.handle(i.id)?.pids() ?? [i.pid]) {
        const s = procUsage.sample(pid, now);
        if (!s) continue;
        seen.add(pid);
        any = true;
        cpu += s.cpu;
        memory += s.memory;
        seconds += s.seconds;
      }
      if (any) {
        r.cpu = Math.round(cpu * 10) / 10;
        r.cpu_seconds = Math.round(seconds * 100) / 100;
        r.memory = memory;
      }
    });
    // a full listing saw every live pid: the samples of the others can go; after a partial one,
    // those not asked for in a minute
    if (rows.length === sup.store.size) procUsage.prune(seen);
    else procUsage.pruneStale(now - 60_000);
  };
}
