// Dependency conditions over instances: is a condition met, what is a service waiting for,
// who depends on whom. Pure functions over the store's records.
import type { Instance } from '../core/instance.js';
import { hasSchedule, isAlive } from '../core/instance.js';
import type { DependCondition } from '../core/types.js';

export type Store = ReadonlyMap<string, Instance>;

/** Instances of a service name (one, or its replicas). */
export function instancesOf(store: Store, service: string): Instance[] {
  const out: Instance[] = [];
  for (const i of store.values()) if (i.inst.service === service) out.push(i);
  return out;
}

/** A task resting in `scheduled` whose last run completed (a dependent may go on). */
export function ranOk(i: Instance): boolean {
  return i.state === 'scheduled' && i.lastRun?.result === 'completed';
}

/**
 * Why a dependency is failed for its dependents: `failed`, or a task resting in `scheduled`
 * whose last run failed, or ended before it started (a dependency of its own failed): it rests
 * there, not in `failed`, to keep its schedule, and a dependent waiting for it to complete
 * would wait until a later run, or for good.
 */
function failedReason(i: Instance, dependent: Instance): string | undefined {
  if (i.state === 'failed') return i.reason;
  if (i.state !== 'scheduled') return undefined;
  const run = i.lastRun;
  const unstarted = i.unstartedEnd;
  const last =
    unstarted && (!run || unstarted.at >= run.end)
      ? { at: unstarted.at, failed: unstarted.reason }
      : run && { at: run.end, failed: run.result === 'failed' ? run.reason : undefined };
  if (!last?.failed) return undefined;
  // a service that ran before and comes back on its own (after a crash) waits for a later good
  // run of a task that failed before its wait began; one whose wait saw the failure (it asked for
  // that run: tend start, tend restart, a reload) fails with it. The wait began when it was asked
  // for (no spawn since: this wait is that request's), else when it went pending.
  const asked = dependent.asked;
  const began = asked && asked.spawns === dependent.spawns ? Math.min(asked.at, dependent.since) : dependent.since;
  const waitsForGood = dependent.spawns > 0 && !hasSchedule(dependent.inst) && last.at < began;
  return waitsForGood ? undefined : last.failed;
}

function meets(i: Instance, cond: DependCondition): boolean {
  if (ranOk(i)) return true; // a scheduled task counts as completed while its last run did
  switch (cond) {
    case 'started':
      return i.state === 'starting' || i.state === 'running' || i.state === 'completed';
    case 'healthy':
      return i.state === 'running' || i.state === 'completed';
    case 'completed':
      return i.state === 'completed';
  }
}

export type DepStatus =
  | { kind: 'met' }
  | { kind: 'waiting'; on: string } // "db: healthy"
  | { kind: 'failed'; on: string; reason: string };

/**
 * Why: an instance a reload added waits for those it removed to stop (InstanceRecord.afterRemoved):
 * what status and why say of it, or undefined when none is left.
 */
export function removalWait(store: Store, i: Instance): string | undefined {
  const left = i.afterRemoved.filter((id) => store.has(id));
  if (left.length === 0) return undefined;
  return `waiting for ${left.join(', ')} to stop (removed by the reload that added it)`;
}

/** Whether every dependency of `i` meets its condition (all instances of a replica set). */
export function depStatus(store: Store, i: Instance): DepStatus {
  const waits: string[] = [];
  for (const [dep, cond] of Object.entries(i.inst.spec.dependsOn)) {
    const insts = instancesOf(store, dep);
    for (const d of insts) {
      const reason = failedReason(d, i);
      if (reason !== undefined) return { kind: 'failed', on: d.id, reason };
    }
    if (cond === 'completed') {
      // a completed oneshot that must run again has not completed yet
      if (!insts.every((d) => meets(d, cond))) waits.push(`${dep}: ${cond}`);
    } else if (insts.length === 0 || !insts.every((d) => meets(d, cond))) {
      waits.push(`${dep}: ${cond}`);
    }
  }
  return waits.length === 0 ? { kind: 'met' } : { kind: 'waiting', on: waits.join(', ') };
}

/** Direct dependents (instances whose service depends on `service`). */
export function dependentsOf(store: Store, service: string): Instance[] {
  const out: Instance[] = [];
  // an own key only: a service may be named `constructor` or `toString`
  for (const i of store.values()) if (Object.hasOwn(i.inst.spec.dependsOn, service)) out.push(i);
  return out;
}

/** The names `next` leads to from `services`, transitively (a walk of the dependency graph one way). */
function closure(services: Iterable<string>, next: (service: string) => Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...services];
  while (stack.length) {
    for (const n of next(stack.pop()!)) {
      if (!seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  return seen;
}

/** Every service name `services` depend on, transitively (one of them only when another depends on it). */
export function dependencyClosure(store: Store, services: Iterable<string>): Set<string> {
  return closure(services, (s) => instancesOf(store, s).flatMap((i) => Object.keys(i.inst.spec.dependsOn)));
}

/** Every service name that depends on `services`, transitively (one of them only when it depends on another). */
export function dependentClosure(store: Store, services: Iterable<string>): Set<string> {
  return closure(services, (s) => dependentsOf(store, s).map((i) => i.inst.service));
}

/**
 * A dependent that is wanted down but still has processes: `i` must wait for it to stop. Walks
 * through dependents that have no process (a completed oneshot between two services).
 */
export function blockingDependent(store: Store, i: Instance): Instance | undefined {
  const seen = new Set<string>([i.inst.service]);
  const stack = [i.inst.service];
  while (stack.length) {
    for (const d of dependentsOf(store, stack.pop()!)) {
      if (d.want === 'down' && isAlive(d.state)) return d;
      if (!seen.has(d.inst.service)) {
        seen.add(d.inst.service);
        stack.push(d.inst.service);
      }
    }
  }
  return undefined;
}
