// The reconcile loop: one mutable store, one thread, one writer. Commands change what is wanted;
// exits, probe results and timers become events of the transition table, whose cells name the
// effect to run; after each, plan() says what to do next. Reload and adoption hand over what they
// found (replaceSpec, retire, adopt) and the Supervisor decides. Processes are reached only
// through the Spawner interface.
import { describeExit } from '../core/describe.js';
import { InvariantError } from '../core/errors.js';
import {
  hasSchedule,
  inProgress,
  type Instance,
  type InstanceRecord,
  isAlive,
  newInstance,
  type RunResult,
  spawnRestarts,
  wantsUp,
} from '../core/instance.js';
import type { Journal } from '../core/journal.js';
import type { ProcessHandle } from '../core/spawner.js';
import { type Effect, type EventKind, transition } from '../core/state-machine.js';
import type { Exit, InstanceSpec, State, Trigger } from '../core/types.js';
import { book, type EffectData } from './book.js';
import { dependencyClosure, dependentClosure, instancesOf, ranOk } from './deps.js';
import { plan, readyBy } from './plan.js';
import { afterExit } from './policy.js';
import { extendMs, type RunDeps, Runs } from './runs.js';
import { gateWait, type Limits } from './slots.js';

export type { ProbeHost } from './runs.js';

/** STATUS= text kept of a service (status rows are one line). */
const MAX_STATUS = 200;

/** Readiness the service itself says (fd line, READY=1): nothing to restart after a reload. */
function eventReadiness(inst: InstanceSpec): boolean {
  const k = inst.spec.readiness?.check.kind;
  return k === 'fd' || k === 'notify';
}

export interface SupervisorDeps extends RunDeps {
  journal: Journal;
  random?: () => number;
}

/**
 * A change of an instance: of its state (`from` the one before), or, with `from` its state, of
 * what the state holds (an exit that keeps it, its leftovers gone: InstanceRecord.lingering).
 */
export type ChangeListener = (i: Instance, from: State) => void;

/** How an instance enters the store (Supervisor.add): wanted up or down (with why), or completed back then. */
export type Entry = 'up' | 'down' | { down: string } | { completedAt: number };

/** What a new process spec does to an instance (reload): see Supervisor.processChange. */
export type ProcessChange = 'restart' | 'run again' | 'next start';

/** An event's extras: the state the policy chose, the exit, the adopted process. */
interface EventData extends EffectData {
  to?: State;
  handle?: ProcessHandle;
  exitOf?: (cb: (e: Exit) => void) => void;
}

/**
 * The reason of a spawn's state change: `restarted` after a failure, a liveness restart or `tend
 * restart`; `started again` when it was stopped and asked to start (`tend start`, a dependent);
 * `spawned` the first time.
 */
function spawnWord(i: Instance): string {
  if (!spawnRestarts(i)) return 'spawned';
  return i.trigger === 'restart' ? 'restarted' : 'started again';
}

/** The events that end a run before it started (the table lets a task rest in scheduled then). */
const UNSTARTED_ENDS = new Set<EventKind>(['cancel', 'dep-failed', 'reject']);

export class Supervisor {
  private readonly records = new Map<string, InstanceRecord>();
  private readonly runs: Runs;
  private listeners = new Set<ChangeListener>();
  /** removed by a reload, still stopping: forgotten (and the callback told) once stopped */
  private retiring = new Map<string, (id: string) => void>();
  private scheduled = false;
  private cancelTimer: (() => void) | null = null;
  private timerAt: number | null = null;
  private readonly random: () => number;
  private limits: Limits = {};

  constructor(private readonly deps: SupervisorDeps) {
    this.random = deps.random ?? Math.random;
    this.runs = new Runs(deps, {
      instance: (id) => this.records.get(id),
      exited: (id, exit) => this.onExit(id, exit),
      ready: (id) => this.onReady(id),
      readinessFailed: (id, message) => {
        const i = this.records.get(id);
        if (i) i.lastProbeFailure = message;
      },
      liveness: (id, ok, message) => this.onLiveness(id, ok, message),
      notified: (id, fields) => this.onNotify(id, fields),
      watchdogMissed: (id, message) => this.onWatchdogMissed(id, message),
      lingering: (id, on) => {
        const i = this.records.get(id);
        if (!i || i.lingering === on) return;
        i.lingering = on;
        // `tend stop` waits for them to be gone (commands.ts), a next run for the kick
        for (const l of this.listeners) l(i, i.state);
        if (!on) this.kick();
      },
    });
  }

  /** The store, by instance id in config order. Read only: the Supervisor is its one writer. */
  get store(): ReadonlyMap<string, Instance> {
    return this.records;
  }

  /**
   * Puts the store in `ids` order (the config's: a reload appends what it adds); an instance not
   * in `ids` (removed, still stopping) keeps its place among the others, after them.
   */
  order(ids: readonly string[]): void {
    const first = new Set(ids);
    const rest = [...this.records.keys()].filter((id) => !first.has(id));
    for (const id of [...ids, ...rest]) {
      const r = this.records.get(id);
      if (r === undefined) continue;
      this.records.delete(id);
      this.records.set(id, r);
    }
  }

  /**
   * Adds instances (initial load or reload); autostart ones are wanted up. `entry` overrides
   * that: wanted up or down, or (start-up, what an earlier daemon recorded with this very
   * process spec) completed at that time, so that a oneshot does not run a second time.
   */
  add(insts: InstanceSpec[], entry?: (i: InstanceSpec) => Entry, afterRemoved: readonly string[] = []): void {
    const now = this.deps.clock.now();
    for (const inst of insts) {
      if (this.records.has(inst.id)) throw new InvariantError(`duplicate instance ${inst.id}`);
      const e: Entry = entry ? entry(inst) : inst.spec.autostart ? 'up' : 'down';
      const r = newInstance(inst, now, typeof e === 'string' ? e : 'down' in e ? 'down' : 'up');
      // removed by a reload while its leftovers linger, and back: its first run waits for them too
      r.lingering = this.runs.lingering(inst.id);
      r.afterRemoved = afterRemoved;
      if (typeof e === 'object' && 'down' in e) r.reason = e.down;
      else if (typeof e === 'object') {
        r.state = 'completed';
        r.since = e.completedAt;
        r.reason = 'completed under an earlier tend';
        r.exits.push({ time: e.completedAt, exit: { kind: 'exited', code: 0 } });
      }
      this.records.set(inst.id, r);
    }
    // what a wanted service depends on is wanted too (autostart: false or not)
    const up = insts.filter((i) => this.records.get(i.id)!.want === 'up').map((i) => i.service);
    for (const dep of dependencyClosure(this.store, up)) {
      for (const d of this.instancesOf(dep)) {
        // a task resting in scheduled that has not run well yet runs for its dependents now
        if ((d.want === 'down' && d.state === 'stopped') || (d.state === 'scheduled' && !ranOk(d)))
          this.request(d, 'start requested', 'dependency');
      }
    }
    this.kick();
  }

  /** The concurrency limits in force (status says what a pending instance waits for). */
  get currentLimits(): Limits {
    return this.limits;
  }

  /** The concurrency limits (settings.pools, settings.max_parallel); a reload may change them. */
  setLimits(limits: Limits): void {
    this.limits = { ...limits };
    this.kick();
  }

  /** Removes a stopped instance from the store. */
  remove(id: string): void {
    const i = this.records.get(id);
    if (i && isAlive(i.state)) throw new InvariantError(`remove of live instance ${id}`);
    this.records.delete(id);
    this.retiring.delete(id);
    this.forgetRemoval(id);
    this.kick();
  }

  /** `id` is no removal to wait for any more (gone, or declared again): InstanceRecord.afterRemoved. */
  private forgetRemoval(id: string): void {
    for (const r of this.records.values()) {
      if (r.afterRemoved.includes(id)) r.afterRemoved = r.afterRemoved.filter((x) => x !== id);
    }
  }

  /**
   * Reload: the instances left the config. They are stopped (dependents first, as `stop`) and
   * forgotten once stopped; `onGone` is told each id then (at once for those not running).
   */
  retire(ids: string[], onGone: (id: string) => void): void {
    const gone = ids.map((id) => this.records.get(id)).filter((i) => i !== undefined);
    this.stop(gone);
    for (const i of gone) {
      if (isAlive(i.state)) this.retiring.set(i.id, onGone);
      else {
        this.remove(i.id);
        onGone(i.id);
      }
    }
  }

  /**
   * What a new process spec (command, env, ...) does to an instance: a live one wanted up
   * restarts, a completed one wanted up runs again, any other takes it at its next start.
   */
  processChange(i: Instance): ProcessChange {
    if (isAlive(i.state) && wantsUp(i)) return 'restart';
    if (i.state === 'completed' && wantsUp(i)) return 'run again';
    return 'next start';
  }

  /**
   * Reload: the config's new spec of an instance in the store. `processChanged`: what shapes its
   * process differs (the Supervisor then decides, see processChange); otherwise the new policy,
   * probes and dependencies apply in place, and changed probes restart against the live process.
   * An instance still stopping after a removal that is declared again comes back.
   */
  replaceSpec(inst: InstanceSpec, processChanged: boolean): void {
    const i = this.records.get(inst.id);
    if (!i) throw new InvariantError(`replaceSpec of unknown instance ${inst.id}`);
    const back = this.retiring.delete(inst.id);
    // declared again while it stopped: what its removal held back waits for it no more
    if (back) this.forgetRemoval(inst.id);
    const probes = (s: InstanceSpec): string => JSON.stringify([s.spec.readiness, s.spec.liveness]);
    const probesChanged = probes(i.inst) !== probes(inst);
    const wasTask = hasSchedule(i.inst);
    i.inst = inst;
    const change = processChanged ? this.processChange(i) : 'next start';
    if (wasTask !== hasSchedule(inst) && !back && change === 'next start') {
      // a schedule taken away ends it (a task made a service by the same edit starts, as a new
      // service would); one given to a resting oneshot runs it now, then on schedule
      if (i.state === 'scheduled' && inst.spec.type !== 'oneshot' && inst.spec.autostart) {
        this.apply(i, 'cancel', 'its schedule was removed by a reload');
        this.request(i, 'made a service by a reload');
      } else if (i.state === 'scheduled') {
        i.want = 'down';
        this.apply(i, 'cancel', 'its schedule was removed by a reload');
      } else if (wantsUp(i) && !inProgress(i.state))
        this.request(i, 'given a schedule by a reload: runs now, then on schedule', 'restart');
      else if (i.state === 'stopped' && !inst.spec.autostart && hasSchedule(inst)) {
        // resting with autostart off: its schedule starts paused, as when tend starts with it
        // (tend enable resumes it; it said "scheduled again" and nothing was): into scheduled
        // through a start cancelled at once
        i.paused = true;
        this.request(i, 'given a schedule by a reload', 'start-up');
        this.apply(i, 'cancel', 'given a schedule by a reload');
      }
    } else if (back) this.start([i]);
    else if (change === 'restart') this.restart([i]);
    else if (change === 'run again') this.request(i, 'changed by reload: runs again');
    else if (probesChanged) this.reprobe(i);
    this.kick();
  }

  onChange(fn: ChangeListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves the names a user typed (service, replica set, instance id, `all`) to instances. */
  resolve(names: string[]): { found: Instance[]; unknown: string[] } {
    const found = new Map<string, Instance>();
    const unknown: string[] = [];
    for (const n of names) {
      if (n === 'all') {
        for (const i of this.records.values()) found.set(i.id, i);
        continue;
      }
      const exact = this.records.get(n);
      const set = instancesOf(this.store, n);
      if (exact) found.set(exact.id, exact);
      else if (set.length) for (const i of set) found.set(i.id, i);
      else unknown.push(n);
    }
    return { found: [...found.values()], unknown };
  }

  handle(id: string): ProcessHandle | undefined {
    return this.runs.handle(id);
  }

  /**
   * Wants the instances up, with their dependencies; returns the dependencies it also started.
   * A task resting in `scheduled` runs now. `trigger`: why (`tend history`); `reason`: the journal's words.
   */
  start(targets: readonly Instance[], trigger: Trigger = 'run', reason = 'start requested'): Instance[] {
    const extra = this.startDependencies(targets);
    for (const t of this.mine(targets)) this.request(t, reason, trigger);
    this.kick();
    return extra;
  }

  /**
   * What `targets` depend on (transitively) is wanted up: stopped, failed or unwanted ones start,
   * a task resting after a failed run runs again. Returns those started that were not going.
   */
  private startDependencies(targets: readonly Instance[], atRestOnly = false): Instance[] {
    const names = new Set(targets.map((t) => t.inst.service));
    const extra: Instance[] = [];
    for (const dep of dependencyClosure(this.store, names)) {
      // one asked for is started as asked, not as another's dependency (`tend start all`)
      if (names.has(dep)) continue;
      for (const d of this.instancesOf(dep)) {
        if ((d.state === 'completed' && wantsUp(d)) || ranOk(d)) continue;
        // atRestOnly: one on its way (pending, backoff, running...) is left as it goes
        if (atRestOnly && inProgress(d.state) && d.want !== 'down') continue;
        if (d.want === 'down' || d.state === 'failed' || d.state === 'stopped' || d.state === 'scheduled') extra.push(d);
        this.request(d, 'start requested', 'dependency');
      }
    }
    return extra;
  }

  /** Wants it up; at rest it goes to pending afresh, still stopping it starts once stopped. */
  private request(i: InstanceRecord, reason = 'start requested', trigger?: Trigger): void {
    i.asked = { at: this.deps.clock.now(), spawns: i.spawns };
    if (i.state === 'stopping') i.want = 'restart';
    else if (i.want !== 'restart') i.want = 'up';
    if (trigger && !inProgress(i.state)) i.trigger = trigger;
    this.apply(i, 'request', reason);
  }

  /**
   * Ends the runs of tasks without touching what is wanted (`tend stop` of a task with a schedule,
   * overlap replace): a live run is stopped (stop signal, then SIGKILL), a waiting one is dropped;
   * the task then rests in `scheduled`. `failed`: a non-scheduled oneshot ends failed. Returns
   * those that had a run.
   */
  endRuns(targets: readonly Instance[], reason: string, failed = true): Instance[] {
    const ended: Instance[] = [];
    for (const t of this.mine(targets)) {
      if (!inProgress(t.state) || t.state === 'stopping' || t.endRun) continue;
      t.endRun = { reason, failed };
      ended.push(t);
    }
    this.kick();
    return ended;
  }

  /** `tend approve`: releases the run waiting for approval; false when none waits. `who`: uid and pid. */
  approve(target: Instance, who: string): boolean {
    const i = this.records.get(target.id);
    if (i?.state !== 'pending' || !gateWait(i)) return false;
    i.approved = true;
    this.note(i.id, 'approve', `approved by ${who}`);
    this.kick();
    return true;
  }

  /** `tend reject`: the run waiting for approval fails (and its waiting dependents with it); false when none waits. */
  reject(target: Instance, who: string): boolean {
    const i = this.records.get(target.id);
    if (i?.state !== 'pending' || !gateWait(i)) return false;
    this.note(i.id, 'reject', `rejected by ${who}`);
    this.apply(i, 'reject', `rejected by ${who}`);
    this.kick();
    return true;
  }

  /** `tend disable` / `enable`: pauses a schedule (or marks an autostart service off) until tend restarts. */
  setPaused(target: Instance, paused: boolean): void {
    const i = this.records.get(target.id);
    if (!i || i.paused === paused) return;
    i.paused = paused;
    this.note(i.id, paused ? 'disable' : 'enable', paused ? 'disabled until tend enable (or a restart of tend)' : 'enabled');
  }

  /** A task's last run, read back from its history by a tend started again (only when it has none). */
  restoreLastRun(id: string, run: RunResult): void {
    const i = this.records.get(id);
    if (i && i.lastRun === null) i.lastRun = run;
  }

  /** The scheduler's word on a task's next run (shown by status); not a state change. */
  setNextRun(id: string, at: number | null): void {
    const i = this.records.get(id);
    if (i) i.nextRunAt = at;
  }

  /** Wants the instances down, dependents first; returns the dependents it also stops. */
  stop(targets: readonly Instance[]): Instance[] {
    const names = new Set(targets.map((t) => t.inst.service));
    const extra: Instance[] = [];
    for (const dep of dependentClosure(this.store, names)) {
      if (names.has(dep)) continue; // asked for itself
      for (const d of this.instancesOf(dep)) {
        if (d.want !== 'down' && d.state !== 'stopped') extra.push(d);
        d.want = 'down';
      }
    }
    for (const t of this.mine(targets)) t.want = 'down';
    this.kick();
    return extra;
  }

  /** The one restart path: live ones are wanted anew (stopped, then started), the others started. */
  restart(targets: readonly Instance[]): void {
    const idle: InstanceRecord[] = [];
    const live: InstanceRecord[] = [];
    for (const t of this.mine(targets)) {
      // a live run ends as it began (its trigger in the history); the next one's is `restart`
      if (isAlive(t.state)) {
        t.want = 'restart';
        t.asked = { at: this.deps.clock.now(), spawns: t.spawns };
        live.push(t);
      } else idle.push(t);
    }
    if (idle.length) this.start(idle, 'restart'); // with its dependencies, like start
    // a live one starts again once stopped, with its dependencies at rest wanted up as start
    // wants them: one resting after a failed run (a task) would hold it in pending until its next
    // good run. One on its way is left as it goes (a reload of web does not pull a crash-looping
    // db out of its backoff, nor reset its start limit).
    if (live.length) this.startDependencies(live, true);
    this.kick();
  }

  /** Sends a signal to an instance's main process. */
  signal(i: Instance, signal: string): boolean {
    const h = this.runs.handle(i.id);
    if (!h || !isAlive(i.state)) return false;
    h.signal(signal);
    this.note(i.id, 'signal', `${signal} sent to pid ${h.pid}`);
    return true;
  }

  /**
   * Adopts a live process of an earlier daemon as a running instance; `prior` is what that daemon
   * recorded of it (spawn count, start time) and whether its output is lost (its pipes went with
   * that daemon): said by status and why until the next run.
   */
  adopt(
    i: Instance,
    handle: ProcessHandle,
    exitOf: (cb: (e: Exit) => void) => void,
    prior: {
      spawns?: number;
      restarts?: number;
      startedAt?: number;
      outputLost?: boolean;
      ready?: boolean;
      trigger?: Trigger;
    } = {},
  ): void {
    const r = this.records.get(i.id);
    if (!r) throw new InvariantError(`adopt of unknown instance ${i.id}`);
    // one that had not passed readiness is adopted starting, and its readiness is checked again
    // (it was counted ready at once); a readiness fd went with the earlier tend: taken as ready
    const kind = r.inst.spec.readiness?.check.kind;
    const starting = prior.ready === false && kind !== undefined && kind !== 'fd';
    const adopt = {
      pid: handle.pid,
      spawns: prior.spawns,
      restarts: prior.restarts,
      startedAt: prior.startedAt,
      outputLost: prior.outputLost,
      trigger: prior.trigger,
    };
    const why = `adopted pid ${handle.pid} from an earlier daemon${starting ? ' (not ready yet: readiness checked again)' : ''}`;
    this.apply(r, 'adopt', why, { adopt, handle, exitOf, to: starting ? 'starting' : undefined });
  }

  /** True when no instance has a live process. */
  quiet(): boolean {
    for (const i of this.records.values()) if (isAlive(i.state)) return false;
    return true;
  }

  /** SIGKILL to every instance that still has processes (shutdown bound reached), each journaled with `why`. */
  killAll(why: string): void {
    for (const i of this.records.values()) {
      const h = this.runs.handle(i.id);
      if (h && (isAlive(i.state) || h.alive())) {
        h.signalAll('SIGKILL');
        this.note(i.id, 'kill', `SIGKILL sent: ${why}`);
      }
    }
  }

  /** Runs the planner soon (coalesced): after every event and command. */
  kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.reconcile();
    });
  }

  /** One pass: plan, apply, repeat until nothing changes; then sleep until the next deadline. */
  reconcile(): void {
    for (let round = 0; round < 100; round++) {
      const p = plan(this.store, this.deps.clock.now(), this.limits);
      if (p.actions.length === 0) {
        this.arm(p.wakeAt);
        return;
      }
      for (const a of p.actions) {
        const i = this.records.get(a.id);
        if (!i) continue; // forgotten by an earlier action of this round
        try {
          const data = a.kind === 'stop' ? { end: a.end, notReady: a.notReady } : {};
          this.apply(i, a.kind, 'reason' in a ? a.reason : a.kind === 'spawn' ? spawnWord(i) : 'spawned', data);
        } catch (e) {
          if (e instanceof InvariantError) throw e;
          // the world refused (a signal, a cgroup write): journal it, never die of it
          this.note(a.id, 'error', `${a.kind} failed: ${(e as Error).message}`);
        }
      }
    }
    throw new InvariantError('reconcile did not converge in 100 rounds');
  }

  private arm(at: number | null): void {
    if (at === this.timerAt) return;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.timerAt = at;
    if (at !== null) {
      this.cancelTimer = this.deps.clock.setTimer(at, () => {
        this.timerAt = null;
        this.cancelTimer = null;
        this.reconcile();
      });
    }
  }

  /**
   * Applies one event: the table's cell gives the next state and its effect. The record is
   * brought up to date (book) before the journal and the listeners hear of it; what reaches
   * processes and probes (perform) comes after, so an event it causes at once comes in order.
   */
  private apply(i: InstanceRecord, event: EventKind, reason: string, data: EventData = {}): void {
    const from = i.state;
    // a run of a task that never started (cancelled, rejected, a dependency failed) ends in scheduled
    const rest = UNSTARTED_ENDS.has(event) && hasSchedule(i.inst) && i.want !== 'down' && from !== 'scheduled';
    const step = transition(from, event, data.to ?? (rest ? 'scheduled' : undefined));
    if (step === undefined) return;
    // a oneshot's run that a dependency's failure or a rejection ended: for dependents and its history
    if (UNSTARTED_ENDS.has(event) && event !== 'cancel' && i.inst.spec.type === 'oneshot' && step.state !== from) {
      i.unstartedEnd = { since: i.since, at: this.deps.clock.now(), reason, trigger: i.trigger };
      i.runs = { ...i.runs, failed: i.runs.failed + 1 };
    }
    const changed = step.state !== from || event === 'exit';
    if (changed) {
      i.state = step.state;
      i.since = this.deps.clock.now();
      i.reason = reason;
      i.deadline = null; // a deadline belongs to the state it was set in
    }
    book(i, step.effect, this.deps.clock.now(), data);
    if (changed) {
      this.note(i.id, 'state', `${from} -> ${step.state}: ${reason}`, step.state);
      for (const l of this.listeners) l(i, from);
      const gone = this.retiring.get(i.id);
      if (gone && !isAlive(i.state) && i.want === 'down') {
        this.remove(i.id);
        gone(i.id);
      }
    }
    this.perform(i, step.effect, data);
  }

  /** The world half of an effect: processes, signals, probes. */
  private perform(i: InstanceRecord, effect: Effect, data: EventData): void {
    switch (effect) {
      case 'launch': {
        const pid = this.runs.launch(i.inst);
        if (pid === null) return; // the spawn-error exit came or follows
        i.pid = pid;
        // (the spawn is booked already: a second or later one, judged as book.ts judged it)
        this.note(i.id, 'spawn', `pid ${pid}${i.spawns > 1 && spawnRestarts(i) ? ` (restart ${i.restarts})` : ''}`);
        return this.runs.watchReadiness(i.inst);
      }
      case 'take-over':
        this.runs.takeOver(i.id, data.handle!, data.exitOf!);
        return i.state === 'starting' ? this.runs.watchReadiness(i.inst) : this.runs.watchLiveness(i.inst);
      case 'watch':
        this.runs.stopProbes(i.id);
        return this.runs.watchLiveness(i.inst);
      case 'term':
        this.runs.stopProbes(i.id);
        this.runs.stopSignal(i.id, i.inst.spec.stopSignal);
        this.note(i.id, 'stop', `${i.inst.spec.stopSignal} sent (${i.reason})`);
        return;
      case 'kill':
        this.runs.signalAll(i.id, 'SIGKILL');
        this.note(i.id, 'kill', `SIGKILL sent: still running ${i.inst.spec.stopTimeout}ms after the stop signal`);
        return;
      case 'fresh':
      case 'exited':
      case 'none':
        return;
    }
  }

  private onReady(id: string): void {
    const i = this.records.get(id);
    if (i?.state !== 'starting') return;
    this.apply(i, 'ready', i.inst.spec.readiness ? 'ready' : 'started');
    this.kick();
  }

  /** A liveness result; failure_threshold failures in a row are the `unhealthy` event. */
  private onLiveness(id: string, ok: boolean, message: string): void {
    const i = this.records.get(id);
    if (i?.state !== 'running') return;
    if (ok) {
      i.livenessFailures = 0;
      return;
    }
    i.livenessFailures++;
    i.lastProbeFailure = message;
    // read at each result: a reload may change the threshold in place
    if (i.livenessFailures < (i.inst.spec.liveness?.failureThreshold ?? 1) || i.want !== 'up') return;
    this.note(i.id, 'restart', `liveness failed ${i.livenessFailures} times in a row: ${message}`);
    this.apply(i, 'unhealthy', 'restart');
    this.kick();
  }

  /**
   * What a service said over sd_notify (or its readiness fd, as READY=1): READY=1 is its
   * readiness when that is `notify` or `fd`; STATUS= is shown by status and why; MAINPID= is
   * recorded; STOPPING=1 is journaled; EXTEND_TIMEOUT_USEC= while stopping moves the SIGKILL,
   * while starting the start_timeout (the watchdog's part is in Runs).
   */
  private onNotify(id: string, fields: Record<string, string>): void {
    const i = this.records.get(id);
    if (!i || !isAlive(i.state)) return;
    if (fields.STATUS !== undefined) i.statusText = fields.STATUS.slice(0, MAX_STATUS) || null;
    const main = fields.MAINPID !== undefined ? Number(fields.MAINPID) : NaN;
    if (Number.isInteger(main) && main > 0 && main !== i.mainPid) {
      i.mainPid = main;
      this.note(i.id, 'notify', `MAINPID=${main}`);
    }
    if (fields.STOPPING === '1') this.note(i.id, 'notify', 'the service says it is stopping (STOPPING=1)');
    const ext = extendMs(fields);
    if (ext !== undefined && i.state === 'stopping' && i.deadline !== null) {
      const at = this.deps.clock.now() + ext;
      if (at > i.deadline) {
        i.deadline = at;
        this.note(i.id, 'notify', `stop timeout extended by ${ext}ms (EXTEND_TIMEOUT_USEC)`);
        this.kick();
      }
    }
    // while starting it moves start_timeout, as systemd's TimeoutStartSec=
    const bound = i.inst.spec.startTimeout;
    if (ext !== undefined && i.state === 'starting' && bound !== undefined && i.startedAt !== null) {
      const at = this.deps.clock.now() + ext;
      if (at > readyBy(i, bound, i.startedAt)) {
        i.startExtendedTo = at;
        this.note(i.id, 'notify', `start timeout extended by ${ext}ms (EXTEND_TIMEOUT_USEC)`);
        this.kick();
      }
    }
    const kind = i.inst.spec.readiness?.check.kind;
    if (fields.READY === '1' && (kind === 'notify' || kind === 'fd')) this.onReady(id);
  }

  /** The watchdog went off: a liveness failure, so a restart through the exit policy. */
  private onWatchdogMissed(id: string, message: string): void {
    const i = this.records.get(id);
    if (i?.state !== 'running') return;
    i.lastProbeFailure = `watchdog: ${message}`;
    if (i.want !== 'up') return;
    this.note(i.id, 'restart', `watchdog: ${message}`);
    this.apply(i, 'unhealthy', `watchdog: ${message}`);
    this.kick();
  }

  /** Restarts the probes of a live instance after its probe specs changed in place (reload). */
  private reprobe(i: InstanceRecord): void {
    if (i.state === 'running') {
      this.runs.stopProbes(i.id);
      i.livenessFailures = 0;
      this.runs.watchLiveness(i.inst);
    } else if (i.state === 'starting' && !eventReadiness(i.inst)) {
      this.runs.stopProbes(i.id);
      this.runs.watchReadiness(i.inst);
    }
  }

  /** The main process ended (and, while stopping, every other one): the policy picks the state. */
  private onExit(id: string, exit: Exit): void {
    const i = this.records.get(id);
    if (!i) return;
    this.note(i.id, 'exit', describeExit(exit));
    const verdict = afterExit(i, exit, this.deps.clock.now(), this.random);
    this.apply(i, 'exit', verdict.reason, { to: verdict.state, exit: { exit, verdict } });
    this.kick();
  }

  /** The records of instances handed in from outside (views of ours). */
  private mine(list: readonly Instance[]): InstanceRecord[] {
    const out: InstanceRecord[] = [];
    for (const x of list) {
      const r = this.records.get(x.id);
      if (r) out.push(r);
    }
    return out;
  }

  private instancesOf(service: string): InstanceRecord[] {
    return this.mine(instancesOf(this.store, service));
  }

  private note(id: string, what: string, why: string, state?: State): void {
    this.deps.journal.add(id, what, why, state, this.deps.clock.now());
  }
}
