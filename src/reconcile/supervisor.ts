// The reconcile loop: one mutable store, one thread. Commands change what is wanted; exits,
// probe results and timers become transitions; after each, plan() says what to do next.
// Processes are reached only through the Spawner interface.
import { describeExit } from '../core/describe.js';
import { InvariantError } from '../core/errors.js';
import { type Instance, isAlive, newInstance } from '../core/instance.js';
import type { Journal } from '../core/journal.js';
import type { Clock, OutputSink, ProcessHandle, Spawner } from '../core/spawner.js';
import { type EventKind, transition } from '../core/state-machine.js';
import type { Exit, InstanceSpec, State } from '../core/types.js';
import { dependencyClosure, dependentClosure, instancesOf } from './deps.js';
import { type Action, plan } from './plan.js';
import { afterExit } from './policy.js';

/** Starts a readiness or liveness probe of an instance; returns its stop function. */
export interface ProbeHost {
  start(
    inst: InstanceSpec,
    kind: 'readiness' | 'liveness',
    onResult: (ok: boolean, message: string) => void,
  ): () => void;
}

export interface SupervisorDeps {
  spawner: Spawner;
  clock: Clock;
  journal: Journal;
  env(inst: InstanceSpec): Record<string, string>;
  output(inst: InstanceSpec): OutputSink;
  probes?: ProbeHost;
  random?: () => number;
}

export type ChangeListener = (i: Instance, from: State) => void;

interface Live {
  handle: ProcessHandle | undefined;
  token: number;
  stopProbes: Array<() => void>;
}

export class Supervisor {
  readonly store = new Map<string, Instance>();
  private live = new Map<string, Live>();
  private listeners = new Set<ChangeListener>();
  private scheduled = false;
  private cancelTimer: (() => void) | null = null;
  private timerAt: number | null = null;
  private token = 0;
  private readonly random: () => number;

  constructor(private readonly deps: SupervisorDeps) {
    this.random = deps.random ?? Math.random;
  }

  /** Adds instances (initial load or reload); autostart ones are wanted up. */
  add(insts: InstanceSpec[], want?: (i: InstanceSpec) => 'up' | 'down'): void {
    const now = this.deps.clock.now();
    for (const inst of insts) {
      if (this.store.has(inst.id)) throw new InvariantError(`duplicate instance ${inst.id}`);
      const w = want ? want(inst) : inst.spec.autostart ? 'up' : 'down';
      this.store.set(inst.id, newInstance(inst, now, w));
    }
    // what a wanted service depends on is wanted too (autostart: false or not)
    const up = insts.filter((i) => this.store.get(i.id)!.want === 'up').map((i) => i.service);
    for (const dep of dependencyClosure(this.store, up)) {
      for (const d of instancesOf(this.store, dep)) if (d.want === 'down' && d.state === 'stopped') this.request(d);
    }
    this.kick();
  }

  /** Removes a stopped instance from the store (reload). */
  remove(id: string): void {
    const i = this.store.get(id);
    if (i && isAlive(i.state)) throw new InvariantError(`remove of live instance ${id}`);
    this.store.delete(id);
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
        for (const i of this.store.values()) found.set(i.id, i);
        continue;
      }
      const exact = this.store.get(n);
      const set = instancesOf(this.store, n);
      if (exact) found.set(exact.id, exact);
      else if (set.length) for (const i of set) found.set(i.id, i);
      else unknown.push(n);
    }
    return { found: [...found.values()], unknown };
  }

  handle(id: string): ProcessHandle | undefined {
    return this.live.get(id)?.handle;
  }

  /** Wants the instances up, with their dependencies; returns the dependencies it also started. */
  start(targets: Instance[]): Instance[] {
    const names = new Set(targets.map((t) => t.inst.service));
    const extra: Instance[] = [];
    for (const dep of dependencyClosure(this.store, names)) {
      for (const d of instancesOf(this.store, dep)) {
        if (d.state === 'completed' && d.want === 'up') continue;
        if (d.want !== 'up' || d.state === 'failed' || d.state === 'stopped') extra.push(d);
        this.request(d);
      }
    }
    for (const t of targets) this.request(t);
    this.kick();
    return extra;
  }

  private request(i: Instance): void {
    i.want = 'up';
    // still stopping: start again once the old process is gone
    i.restartPending = i.state === 'stopping';
    if (i.state === 'stopped' || i.state === 'completed' || i.state === 'failed' || i.state === 'backoff') {
      i.starts = [];
      i.failuresInRow = 0;
      i.nextStartAt = null;
      this.apply(i, 'request', undefined, 'start requested');
    }
  }

  /** Wants the instances down, dependents first; returns the dependents it also stops. */
  stop(targets: Instance[]): Instance[] {
    const names = new Set(targets.map((t) => t.inst.service));
    const extra: Instance[] = [];
    for (const dep of dependentClosure(this.store, names)) {
      for (const d of instancesOf(this.store, dep)) {
        if (d.want === 'up' && d.state !== 'stopped') extra.push(d);
        d.want = 'down';
        d.restartPending = false;
      }
    }
    for (const t of targets) {
      t.want = 'down';
      t.restartPending = false;
    }
    this.kick();
    return extra;
  }

  /** Stop then start: running ones are stopped first, the others just started. */
  restart(targets: Instance[]): void {
    const idle: Instance[] = [];
    for (const t of targets) {
      if (isAlive(t.state)) {
        t.want = 'up';
        t.restartPending = true;
      } else {
        idle.push(t);
      }
    }
    if (idle.length) this.start(idle); // with its dependencies, like start
    this.kick();
  }

  /** Sends a signal to an instance's main process. */
  signal(i: Instance, signal: string): boolean {
    const h = this.live.get(i.id)?.handle;
    if (!h || !isAlive(i.state)) return false;
    h.signal(signal);
    this.note(i.id, 'signal', `${signal} sent to pid ${h.pid}`);
    return true;
  }

  /** Asks every liveness failure etc. to restart an instance (used by probes). */
  requestRestart(i: Instance, why: string): void {
    if (i.want !== 'up' || i.restartPending) return;
    i.restartPending = true;
    this.note(i.id, 'restart', why);
    this.kick();
  }

  /** True when no instance has a live process. */
  quiet(): boolean {
    for (const i of this.store.values()) if (isAlive(i.state)) return false;
    return true;
  }

  /** SIGKILL to every instance that still has processes (shutdown bound reached). */
  killAll(): void {
    for (const i of this.store.values()) {
      const h = this.live.get(i.id)?.handle;
      if (h && (isAlive(i.state) || h.alive())) h.signalAll('SIGKILL');
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
      const now = this.deps.clock.now();
      const p = plan(this.store, now);
      if (p.actions.length === 0) {
        this.arm(p.wakeAt);
        return;
      }
      for (const a of p.actions) {
        try {
          this.act(a, now);
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

  private act(a: Action, now: number): void {
    const i = this.store.get(a.id)!;
    switch (a.kind) {
      case 'spawn':
        return this.spawn(i, now);
      case 'stop': {
        this.apply(i, 'stop', undefined, a.reason);
        i.stopDeadline = now + i.inst.spec.stopTimeout;
        i.killed = false;
        const live = this.live.get(i.id);
        this.stopProbes(live);
        live?.handle?.signalAll(i.inst.spec.stopSignal);
        this.note(i.id, 'stop', `${i.inst.spec.stopSignal} sent (${a.reason})`);
        return;
      }
      case 'kill': {
        i.killed = true;
        this.live.get(i.id)?.handle?.signalAll('SIGKILL');
        this.note(i.id, 'kill', `SIGKILL sent: still running ${i.inst.spec.stopTimeout}ms after the stop signal`);
        return;
      }
      case 'cancel':
        return this.apply(i, 'cancel', undefined, a.reason);
      case 'dep-failed':
        return this.apply(i, 'dep-failed', undefined, a.reason);
    }
  }

  private spawn(i: Instance, now: number): void {
    const spec = i.inst.spec;
    const restart = i.spawns > 0;
    i.spawns++;
    i.starts = i.starts.filter((t) => now - t < spec.startLimit.interval);
    i.starts.push(now);
    i.startedAt = now;
    i.nextStartAt = null;
    i.livenessFailures = 0;
    i.lastProbeFailure = null;
    this.apply(i, 'spawn', undefined, restart ? 'restarted' : 'spawned');
    const token = ++this.token;
    const live: Live = { handle: undefined, token, stopProbes: [] };
    this.live.set(i.id, live);
    const useFd = spec.readiness?.check.kind === 'fd';
    const handle = this.deps.spawner.spawn(i.inst, { env: this.deps.env(i.inst) }, {
      output: this.deps.output(i.inst),
      exit: (exit) => this.onExit(i.id, token, exit),
      notify: useFd ? () => this.onReady(i.id, token) : undefined,
    });
    if (!handle) return; // the spawn-error exit follows
    live.handle = handle;
    i.pid = handle.pid;
    this.note(i.id, 'spawn', `pid ${handle.pid}${restart ? ` (restart ${i.spawns - 1})` : ''}`);
    if (!useFd) this.startReadiness(i, live);
  }

  /** Polls the readiness probe (or, without one, is ready at once). */
  private startReadiness(i: Instance, live: Live): void {
    const token = live.token;
    if (!i.inst.spec.readiness) return this.onReady(i.id, token);
    if (!this.deps.probes) return;
    live.stopProbes.push(
      this.deps.probes.start(i.inst, 'readiness', (ok, message) => {
        if (this.live.get(i.id)?.token !== token) return;
        if (ok) this.onReady(i.id, token);
        else i.lastProbeFailure = message;
      }),
    );
  }

  /** Adopts a live process of an earlier daemon as a running instance. */
  adopt(i: Instance, handle: ProcessHandle, exitOf: (cb: (e: Exit) => void) => void): void {
    const token = ++this.token;
    this.live.set(i.id, { handle, token, stopProbes: [] });
    i.pid = handle.pid;
    i.startedAt = this.deps.clock.now();
    i.spawns = Math.max(1, i.spawns);
    this.apply(i, 'adopt', undefined, `adopted pid ${handle.pid} from an earlier daemon`);
    exitOf((e) => this.onExit(i.id, token, e));
    this.startLiveness(i, token);
  }

  private onReady(id: string, token: number): void {
    const live = this.live.get(id);
    const i = this.store.get(id);
    if (!i || !live || live.token !== token || i.state !== 'starting') return;
    this.stopProbes(live);
    i.lastProbeFailure = null;
    this.apply(i, 'ready', undefined, i.inst.spec.readiness ? 'ready' : 'started');
    this.startLiveness(i, token);
    this.kick();
  }

  /** Restarts the probes of a live instance after its probe specs changed in place (reload). */
  reprobe(i: Instance): void {
    const live = this.live.get(i.id);
    if (!live) return;
    if (i.state === 'running') {
      this.stopProbes(live);
      i.livenessFailures = 0;
      this.startLiveness(i, live.token);
    } else if (i.state === 'starting' && i.inst.spec.readiness?.check.kind !== 'fd') {
      this.stopProbes(live);
      this.startReadiness(i, live);
    }
  }

  private startLiveness(i: Instance, token: number): void {
    const live = this.live.get(i.id)!;
    if (!i.inst.spec.liveness || !this.deps.probes) return;
    const threshold = i.inst.spec.liveness.failureThreshold;
    live.stopProbes.push(
      this.deps.probes.start(i.inst, 'liveness', (ok, message) => {
        if (this.live.get(i.id)?.token !== token || i.state !== 'running') return;
        if (ok) {
          i.livenessFailures = 0;
          return;
        }
        i.livenessFailures++;
        i.lastProbeFailure = message;
        if (i.livenessFailures >= threshold) {
          this.requestRestart(i, `liveness failed ${i.livenessFailures} times in a row: ${message}`);
        }
      }),
    );
  }

  private stopProbes(live: Live | undefined): void {
    if (!live) return;
    for (const s of live.stopProbes) s();
    live.stopProbes = [];
  }

  private onExit(id: string, token: number, exit: Exit): void {
    const live = this.live.get(id);
    if (!live || live.token !== token) return;
    const i = this.store.get(id)!;
    this.stopProbes(live);
    const handle = live.handle;
    // While stopping, the service is stopped only when every process of it is gone.
    if (i.state === 'stopping' && handle && handle.alive()) {
      void handle.drained().then(() => this.finishExit(i, live, exit));
      return;
    }
    if (handle && handle.alive()) {
      // the main process is gone; what it left behind goes with it (systemd does the same)
      const spec = i.inst.spec;
      handle.signalAll(spec.stopSignal);
      this.deps.clock.setTimer(this.deps.clock.now() + spec.stopTimeout, () => {
        if (handle.alive()) handle.signalAll('SIGKILL'); // only this run's leftovers (see process.ts)
      });
    }
    this.finishExit(i, live, exit);
  }

  private finishExit(i: Instance, live: Live, exit: Exit): void {
    if (this.live.get(i.id) !== live) return;
    this.live.delete(i.id);
    const now = this.deps.clock.now();
    i.pid = null;
    i.stopDeadline = null;
    i.exits.push({ time: now, exit });
    if (i.exits.length > 10) i.exits.shift();
    this.note(i.id, 'exit', describeExit(exit));
    const v = afterExit(i, exit, now, this.random);
    i.nextStartAt = v.nextStartAt;
    i.failuresInRow = v.failuresInRow;
    this.apply(i, 'exit', v.state, v.reason);
    if (i.restartPending && i.want === 'up') {
      i.restartPending = false;
      i.starts = [];
      i.failuresInRow = 0;
      this.apply(i, 'request', undefined, 'restart requested');
    }
    this.kick();
  }

  private note(id: string, what: string, why: string, state?: State): void {
    this.deps.journal.add(id, what, why, state, this.deps.clock.now());
  }

  /** Applies one transition of the table, records it and tells the listeners. */
  private apply(i: Instance, event: EventKind, to: State | undefined, reason: string): void {
    const from = i.state;
    const next = transition(from, event, to);
    if (next === undefined) return;
    i.state = next;
    i.since = this.deps.clock.now();
    i.reason = reason;
    if (next !== from || event === 'exit') {
      this.note(i.id, 'state', `${from} -> ${next}: ${reason}`, next);
    }
    for (const l of this.listeners) l(i, from);
  }
}
