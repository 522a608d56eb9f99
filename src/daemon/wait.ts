// Waiting on the store: for a condition over the instances, checked at each state change, with a
// deadline. What shutdown (every service stopped) and the start-up GC (start-up settled) wait for.
import type { Supervisor } from '../reconcile/supervisor.js';

/** Resolves true once `test()` holds (checked at every state change), false at the deadline. */
export function waitUntil(sup: Supervisor, test: () => boolean, ms: number, opts: { unref?: boolean } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    if (test()) return resolve(true);
    const off = sup.onChange(() => {
      if (test()) {
        off();
        clearTimeout(t);
        resolve(true);
      }
    });
    const t = setTimeout(() => {
      off();
      resolve(test());
    }, ms);
    if (opts.unref) t.unref();
  });
}

/** No service is on its way up (pending or starting): start-up, or a wave of starts, is over. */
export function settled(sup: Supervisor): boolean {
  for (const i of sup.store.values()) if (i.state === 'pending' || i.state === 'starting') return false;
  return true;
}
