// The planner: a pure function from the store (wanted + observed) and the time to the events the
// loop applies to move it toward what is wanted, and the next time it needs to look again.
import { formatLimit } from '../core/describe.js';
import type { EndRun, Instance, NotReady } from '../core/instance.js';
import { blockingDependent, depStatus, removalWait, type Store } from './deps.js';
import { countSlots, gateWait, type Limits, limited, type SlotCount, slotWait, take } from './slots.js';

export type Action =
  | { kind: 'spawn'; id: string }
  /**
   * `end`: tend ends the run itself (a oneshot's timeout): the record keeps why; `notReady`: it
   * was not ready within start_timeout, a failed start (the restart policy goes on from its exit)
   */
  | { kind: 'stop'; id: string; reason: string; end?: EndRun; notReady?: NotReady }
  | { kind: 'kill'; id: string }
  | { kind: 'cancel'; id: string; reason: string } // pending/backoff -> stopped
  | { kind: 'dep-failed'; id: string; reason: string }
  | { kind: 'request'; id: string; reason: string }; // a restart's second half: at rest -> pending

export interface Plan {
  actions: Action[];
  wakeAt: number | null;
}

function planOne(store: Store, i: Instance, now: number, out: Action[], slots: Slots | undefined): number | null {
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
      } else if (i.endRun) {
        out.push({ kind: 'stop', id: i.id, reason: i.endRun.reason });
      } else if (i.state === 'starting' && i.inst.spec.startTimeout !== undefined && i.startedAt !== null) {
        // start_timeout (a oneshot has none: config/tasks.ts): ready by then, or a failed start
        const at = readyBy(i, i.inst.spec.startTimeout, i.startedAt);
        if (now < at) return at;
        const notReady = { head: `not ready within ${formatLimit(i.inst.spec.startTimeout)}`, why: notReadyWhy(i) };
        out.push({ kind: 'stop', id: i.id, reason: `${notReady.head}: ${notReady.why}`, notReady });
      } else if (i.inst.spec.timeout !== undefined && i.startedAt !== null) {
        const at = i.startedAt + i.inst.spec.timeout;
        if (now < at) return at;
        const reason = `timed out after ${formatLimit(i.inst.spec.timeout)}`;
        out.push({ kind: 'stop', id: i.id, reason, end: { reason, failed: true } });
      }
      return null;
    case 'pending':
    case 'backoff': {
      if (i.want === 'down' || i.endRun) {
        out.push({ kind: 'cancel', id: i.id, reason: i.endRun?.reason ?? 'stopped before it started' });
        return null;
      }
      const deps = depStatus(store, i);
      if (deps.kind === 'failed') {
        out.push({ kind: 'dep-failed', id: i.id, reason: `dependency ${deps.on} failed: ${deps.reason}` });
        return null;
      }
      if (i.state === 'backoff' && i.deadline !== null && now < i.deadline) return i.deadline;
      if (deps.kind !== 'met') return null;
      // what the last run left behind goes first (SIGKILL at stop_timeout; its end kicks the loop)
      if (i.lingering) return null;
      // what the reload that added it removed stops first (a renamed service frees its port)
      if (removalWait(store, i)) return null;
      // a run waiting for approval; then a free slot of its pool (and of max_parallel)
      if (i.state === 'pending' && gateWait(i)) return null;
      if (slots) {
        if (slotWait(i, slots.count, slots.limits)) return null;
        take(slots.count, i);
      }
      out.push({ kind: 'spawn', id: i.id });
      return null;
    }
    case 'scheduled':
      // a task between runs: its schedule ends when it is wanted down (shutdown, removed)
      if (i.want === 'down') out.push({ kind: 'cancel', id: i.id, reason: 'stop requested: its schedule ends' });
      else if (i.want === 'restart') out.push({ kind: 'request', id: i.id, reason: 'restart requested' });
      return null;
    case 'stopped':
    case 'completed':
    case 'failed':
      // at rest; a restart whose old process is gone starts afresh
      if (i.want === 'restart') out.push({ kind: 'request', id: i.id, reason: 'restart requested' });
      return null;
  }
}

/** When a starting run must be ready: start_timeout after its spawn, or later when it asked (EXTEND_TIMEOUT_USEC). */
export function readyBy(i: Instance, startTimeout: number, startedAt: number): number {
  const at = startedAt + startTimeout;
  return i.startExtendedTo !== null && i.startExtendedTo > at ? i.startExtendedTo : at;
}

/**
 * What kept a starting run from being ready: its readiness probe's last failure, or what did not
 * come (a matching line, READY=1, a line on the fd), or that the probe had not finished a run.
 */
function notReadyWhy(i: Instance): string {
  if (i.lastProbeFailure) return i.lastProbeFailure;
  const probe = i.inst.spec.readiness;
  const check = probe?.check;
  const said = i.statusText !== null ? `; its last STATUS=: ${JSON.stringify(i.statusText)}` : '';
  if (check?.kind === 'notify') return `no READY=1 came${said}`;
  if (check?.kind === 'fd') return `no line came on fd ${check.fd}${said}`;
  if (check?.kind === 'log') return `no output line matched /${check.pattern}/${said}`;
  const bound = i.inst.spec.startTimeout;
  if (!probe || !check || bound === undefined || i.startedAt === null) return 'no result of the readiness probe yet';
  // exec, tcp, http: no run ended (a failed one would be the last failure): not begun, or slow
  const { initialDelay, timeout } = probe;
  const by = readyBy(i, bound, i.startedAt) - i.startedAt;
  if (initialDelay >= by) {
    const past = initialDelay > by ? 'is past' : 'is all of';
    return `initial_delay ${formatLimit(initialDelay)} ${past} start_timeout ${formatLimit(by)}: the readiness probe never ran`;
  }
  const left = by - initialDelay;
  // (a run bounded by its timeout that had the time to end would have ended)
  if (left >= timeout) return 'the readiness probe has not finished a run yet';
  const after = initialDelay > 0 ? `, the time left after initial_delay ${formatLimit(initialDelay)}` : '';
  return (
    `the readiness probe has not finished a run yet (${check.kind} takes longer than ${formatLimit(left)}${after}; ` +
    `its timeout is ${formatLimit(timeout)})`
  );
}

interface Slots {
  limits: Limits;
  count: SlotCount;
}

/**
 * Actions for every instance (in store order) and the earliest time a deadline falls due.
 * `limits`: pools and max_parallel; an instance over one waits in pending (store order first).
 */
export function plan(store: Store, now: number, limits: Limits = {}): Plan {
  const actions: Action[] = [];
  let wakeAt: number | null = null;
  const slots = limited(limits) ? { limits, count: countSlots(store) } : undefined;
  for (const i of store.values()) {
    const w = planOne(store, i, now, actions, slots);
    if (w !== null && (wakeAt === null || w < wakeAt)) wakeAt = w;
  }
  return { actions, wakeAt };
}
