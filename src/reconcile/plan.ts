// The planner: a pure function from the store (wanted + observed) and the time to the actions
// that move it toward what is wanted, and the next time it needs to look again.
import type { Instance } from '../core/instance.js';
import { blockingDependent, depStatus, type Store } from './deps.js';

export type Action =
  | { kind: 'spawn'; id: string }
  | { kind: 'stop'; id: string; reason: string }
  | { kind: 'kill'; id: string }
  | { kind: 'cancel'; id: string; reason: string } // pending/backoff -> stopped
  | { kind: 'dep-failed'; id: string; reason: string };

export interface Plan {
  actions: Action[];
  wakeAt: number | null;
}

function planOne(store: Store, i: Instance, now: number, out: Action[]): number | null {
  if (i.state === 'stopping') {
    if (i.stopDeadline !== null && !i.killed) {
      if (now >= i.stopDeadline) out.push({ kind: 'kill', id: i.id });
      else return i.stopDeadline;
    }
    return null;
  }
  if (i.want === 'down') {
    if (i.state === 'starting' || i.state === 'running') {
      if (!blockingDependent(store, i)) out.push({ kind: 'stop', id: i.id, reason: 'stop requested' });
    } else if (i.state === 'pending' || i.state === 'backoff') {
      out.push({ kind: 'cancel', id: i.id, reason: 'stopped before it started' });
    }
    return null;
  }
  // want up
  if (i.state === 'starting' || i.state === 'running') {
    if (i.restartPending) out.push({ kind: 'stop', id: i.id, reason: 'restart' });
    return null;
  }
  if (i.state !== 'pending' && i.state !== 'backoff') return null;
  const deps = depStatus(store, i);
  if (deps.kind === 'failed') {
    out.push({ kind: 'dep-failed', id: i.id, reason: `dependency ${deps.on} failed: ${deps.reason}` });
    return null;
  }
  if (i.state === 'backoff' && i.nextStartAt !== null && now < i.nextStartAt) return i.nextStartAt;
  if (deps.kind === 'met') out.push({ kind: 'spawn', id: i.id });
  return null;
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
