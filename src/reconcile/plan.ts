// The planner: a pure function from the store (wanted + observed) and the time to the events the
// loop applies to move it toward what is wanted, and the next time it needs to look again.
import type { Instance } from '../core/instance.js';
import { blockingDependent, depStatus, type Store } from './deps.js';

export type Action =
  | { kind: 'spawn'; id: string }
  | { kind: 'stop'; id: string; reason: string }
  | { kind: 'kill'; id: string }
  | { kind: 'cancel'; id: string; reason: string } // pending/backoff -> stopped
  | { kind: 'dep-failed'; id: string; reason: string }
  | { kind: 'request'; id: string; reason: string }; // a restart's second half: at rest -> pending

export interface Plan {
  actions: Action[];
  wakeAt: number | null;
}

function planOne(store: Store, i: Instance, now: number, out: Action[]): number | null {
  switch (i.state) {
    case 'stopping':
      // the deadline is the SIGKILL; null once it went
      if (i.deadline === null) return null;
      if (now < i.deadline) return i.deadline;
      out.push({ kind: 'kill', id: i.id });
      return null;
    case 'starting':
    case 'running':
      if (i.want === 'down') {
        if (!blockingDependent(store, i)) out.push({ kind: 'stop', id: i.id, reason: 'stop requested' });
      } else if (i.want === 'restart') {
        out.push({ kind: 'stop', id: i.id, reason: 'restart' });
      }
      return null;
    case 'pending':
    case 'backoff': {
      if (i.want === 'down') {
        out.push({ kind: 'cancel', id: i.id, reason: 'stopped before it started' });
        return null;
      }
      const deps = depStatus(store, i);
      if (deps.kind === 'failed') {
        out.push({ kind: 'dep-failed', id: i.id, reason: `dependency ${deps.on} failed: ${deps.reason}` });
        return null;
      }
      if (i.state === 'backoff' && i.deadline !== null && now < i.deadline) return i.deadline;
      if (deps.kind === 'met') out.push({ kind: 'spawn', id: i.id });
      return null;
    }
    case 'stopped':
    case 'completed':
    case 'failed':
      // at rest; a restart whose old process is gone starts afresh
      if (i.want === 'restart') out.push({ kind: 'request', id: i.id, reason: 'restart requested' });
      return null;
  }
}

/** Actions for every instance (in store order) and the earliest time a deadline falls due. */
export function plan(store: Store, now: number): Plan {
  const actions: Action[] = [];
  let wakeAt: number | null = null;
  for (const i of store.values()) {
    const w = planOne(store, i, now, actions);
    if (w !== null && (wakeAt === null || w < wakeAt)) wakeAt = w;
  }
  return { actions, wakeAt };
}
