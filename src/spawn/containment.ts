// How a service's processes are held together: its cgroup, else its process group (the service
// leader's session). The part of a ProcessHandle that acts on all of them.
import type { ProcessHandle } from '../core/spawner.js';
import type { ServiceCgroup } from '../cgroup/service.js';
import { killQuiet, pidAlive, processGroupAlive } from '../sys/proc.js';

/** Every process of one instance. */
export type Containment = Pick<ProcessHandle, 'signalAll' | 'alive' | 'drained' | 'pids' | 'cpuSeconds'>;

/**
 * Process-group containment: the service leader's pid is its pgid (setsid). With `init` (the
 * leader is tend-init, docs/config.md "private_pids"), a signal other than SIGKILL goes to it
 * alone: it passes it on to the command, and the namespace's other processes end with it.
 */
export function processGroup(pid: number, init = false): Containment {
  const alive = (): boolean => processGroupAlive(pid);
  return {
    signalAll: (signal) => killQuiet(init && signal !== 'SIGKILL' ? pid : -pid, signal),
    alive,
    drained() {
      // No event tells when a process group empties; a short poll while stopping only.
      return new Promise((resolve) => {
        const tick = (): void => {
          if (!alive()) resolve();
          else setTimeout(tick, 20).unref();
        };
        tick();
      });
    },
    pids: () => (alive() ? [pid] : []),
  };
}

/**
 * cgroup containment: every process of the service, double-forked ones included. Once the main
 * process has exited, a next run may share the cgroup: the old handle then acts only on the
 * leftovers it saw at that exit (`leftovers()`), never on the new run. `init`: the pid of
 * tend-init, which a signal other than SIGKILL passes over (it would pass it on to the command,
 * which gets it from here already).
 */
export function cgroupContainment(
  cg: ServiceCgroup,
  leftovers: () => number[] | undefined = () => undefined,
  init?: number,
): Containment {
  return {
    signalAll: (sig) => {
      const left = leftovers();
      if (left) {
        for (const p of left) killQuiet(p, sig);
        return;
      }
      // the child joined (or was born in) the cgroup before its exec, so before spawn returned
      if (sig === 'SIGKILL') cg.kill();
      else cg.signalAll(sig, init);
    },
    alive: () => {
      const left = leftovers();
      return left ? left.some((p) => pidAlive(p)) : cg.populated();
    },
    drained: () => new Promise((resolve) => cg.onEmpty(resolve)),
    pids: () => leftovers() ?? cg.pids(),
    cpuSeconds: () => {
      const usec = cg.stats().cpuUsec;
      return usec === undefined ? undefined : usec / 1e6;
    },
  };
}
