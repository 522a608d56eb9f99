// settings.exit_with: when that service ends for good (completed or failed), tend shuts down and
// exits with its exit code, as a container's main process would. Read at each change, so a reload
// may set or change it.
import { exitCodeOf } from '../core/describe.js';
import type { Journal } from '../core/journal.js';
import { signalNumber } from '../core/signals.js';
import type { Instance } from '../core/instance.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import type { Settings } from '../core/types.js';
import type { Part } from './parts.js';

/** Why: the container CMD style of running tend; a part listening to the store. */
export function exitWith(d: {
  sup: Supervisor;
  journal: Journal;
  settings(): Settings;
  shutdown(code: number): unknown;
  shuttingDown(): boolean;
}): Part {
  let off: (() => void) | undefined;
  const check = (i: Instance): void => {
    const name = d.settings().exitWith;
    if (!name || i.inst.service !== name || d.shuttingDown()) return;
    if (i.state !== 'completed' && i.state !== 'failed') return;
    const last = i.exits[i.exits.length - 1]?.exit;
    // failed is never 0: a run tend ended (not ready within start_timeout, a task's timeout) may
    // have exited 0 on its SIGTERM, and a container that ends so would read as a success
    const code = last ? exitCodeOf(last, signalNumber) || (i.state === 'failed' ? 1 : 0) : 1;
    d.journal.add('tend', 'exit-with', `${i.id} ended (${i.reason}): tend exits with ${code}`);
    void d.shutdown(code);
  };
  return {
    name: 'exit_with',
    start() {
      off = d.sup.onChange(check);
      // Why: it starts after the services, and one that ended at once (a spawn that failed with
      // restart: never) ended before it listened: tend ran on for good
      for (const i of [...d.sup.store.values()]) check(i);
    },
    close: () => off?.(),
  };
}
