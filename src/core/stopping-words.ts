// What `tend up` says at the first Ctrl-C: what it is waiting for, and that a second one kills.
import { isAlive, type Instance } from './instance.js';

/** The most names the line lists before "...". */
const SHOWN = 4;

/** The instances shutdown waits for: those with a process. */
export function stillRunning(insts: Iterable<Instance>): Instance[] {
  return [...insts].filter((i) => i.pid !== null || isAlive(i.state));
}

/**
 * `tend: stopping 4 services (web, db, worker.1, worker.2); Ctrl-C again to kill them`, or
 * `tend: nothing to stop; exiting` when no instance has a process.
 */
export function stoppingMessage(insts: Iterable<Instance>): string {
  const names = stillRunning(insts).map((i) => i.id);
  if (names.length === 0) return 'tend: nothing to stop; exiting';
  const shown = names.length > SHOWN ? `${names.slice(0, SHOWN).join(', ')}, ...` : names.join(', ');
  const what = names.length === 1 ? '1 service' : `${names.length} services`;
  return `tend: stopping ${what} (${shown}); Ctrl-C again to kill ${names.length === 1 ? 'it' : 'them'}`;
}
