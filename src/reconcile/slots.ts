// Concurrency limits: `settings.pools` (at most N live instances of each pool) and
// `settings.max_parallel` (at most N live oneshot instances in all). An instance that would go
// over waits in pending; the planner counts what is live, and what it starts in the same pass.
import type { Instance } from '../core/instance.js';
import { isAlive } from '../core/instance.js';
import type { Settings } from '../core/types.js';
import type { Store } from './deps.js';

/** The limits the planner applies (the config's settings). */
export type Limits = Pick<Settings, 'maxParallel' | 'pools'>;

/** What holds a slot now: live oneshots, and live instances of each pool. */
export interface SlotCount {
  oneshots: number;
  pools: Map<string, number>;
}

/** Whether any limit is set (without one the planner counts nothing). */
export function limited(l: Limits): boolean {
  return l.maxParallel !== undefined || (l.pools !== undefined && Object.keys(l.pools).length > 0);
}

/** Why: the planner's count at the start of a pass. */
export function countSlots(store: Store): SlotCount {
  const c: SlotCount = { oneshots: 0, pools: new Map() };
  for (const i of store.values()) if (isAlive(i.state)) take(c, i);
  return c;
}

/** Counts `i` as holding its slots (it is live, or the planner just started it). */
export function take(c: SlotCount, i: Instance): void {
  if (i.inst.spec.type === 'oneshot') c.oneshots++;
  const pool = i.inst.spec.pool;
  if (pool !== undefined) c.pools.set(pool, (c.pools.get(pool) ?? 0) + 1);
}

/** Why `i` may not start now ("waiting for pool backups (2 running)"), or undefined when a slot is free. */
export function slotWait(i: Instance, c: SlotCount, l: Limits): string | undefined {
  const pool = i.inst.spec.pool;
  const size = pool !== undefined && l.pools && Object.hasOwn(l.pools, pool) ? l.pools[pool] : undefined;
  if (pool !== undefined && size !== undefined) {
    const n = c.pools.get(pool) ?? 0;
    if (n >= size) return `waiting for pool ${pool} (${n} running)`;
  }
  if (l.maxParallel !== undefined && i.inst.spec.type === 'oneshot' && c.oneshots >= l.maxParallel) {
    return `waiting for max_parallel (${c.oneshots} running)`;
  }
  return undefined;
}

/** Why: `tend status` says what a pending instance waits for; approval comes before a slot. */
export function gateWait(i: Instance): string | undefined {
  return i.inst.spec.approval && !i.approved ? `waiting for approval (tend approve ${i.id})` : undefined;
}
