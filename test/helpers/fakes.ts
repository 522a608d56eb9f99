// Fakes for the pure tier: a spawner that records spawns and signals and lets the test end
// processes, a clock with manual time, a probe host the test answers, and spec builders with
// defaults. Specs are built by hand (no src/config), so these tests never depend on the loader.
import { type Instance, newInstance } from '../../src/core/instance.js';
import { Journal } from '../../src/core/journal.js';
import type { Clock, OutputSink, ProcessHandle, SpawnHooks, SpawnOptions, Spawner } from '../../src/core/spawner.js';
import type { Exit, InstanceSpec, ServiceSpec } from '../../src/core/types.js';
import type { ProbeHost } from '../../src/reconcile/supervisor.js';
import { Supervisor } from '../../src/reconcile/supervisor.js';

/** A ServiceSpec with every default a validated config would have; `over` wins. */
export function serviceSpec(name: string, over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name,
    command: ['sleep', '1000'],
    cwd: '/tmp',
    env: {},
    envFiles: [],
    tty: false,
    type: 'simple',
    autostart: true,
    restart: 'on-failure',
    backoff: { initial: 100, max: 30_000, factor: 2 },
    startLimit: { burst: 5, interval: 60_000 },
    stopSignal: 'SIGTERM',
    stopTimeout: 10_000,
    limits: {},
    logs: { maxSize: 10 * 1024 * 1024, keep: 5 },
    replicas: 1,
    dependsOn: {},
    ...over,
  };
}

/** One instance of a single-instance service. */
export function instanceSpec(name: string, over: Partial<ServiceSpec> = {}): InstanceSpec {
  return { id: name, service: name, spec: serviceSpec(name, over) };
}

/** The instances NAME.1..NAME.n of a replica set, sharing one spec. */
export function replicaSet(name: string, n: number, over: Partial<ServiceSpec> = {}): InstanceSpec[] {
  const spec = serviceSpec(name, { ...over, replicas: n });
  return Array.from({ length: n }, (_, k) => ({ id: `${name}.${k + 1}`, service: name, replica: k + 1, spec }));
}

/** A runtime record for planner tests: a fresh instance with `fields` laid over it. */
export function record(inst: InstanceSpec, fields: Partial<Instance> = {}): Instance {
  return { ...newInstance(inst, 0, fields.want === 'down' ? 'down' : 'up'), ...fields };
}

/** A store (Map by id, insertion order) of the given records. */
export function storeOf(...records: Instance[]): Map<string, Instance> {
  return new Map(records.map((r) => [r.id, r]));
}

/** An exit with code `c`, as a spawner reports it. */
export const code = (c: number) => ({ kind: 'exited' as const, code: c });

/** An exit by SIGTERM, as a spawner reports it. */
export const term = { kind: 'signaled' as const, signal: 'SIGTERM' };

/** Lets every queued microtask (the supervisor's coalesced kick, promise chains) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A clock that moves only when the test says so; timers fire in time order. */
export class FakeClock implements Clock {
  private timers: Array<{ at: number; seq: number; cb: () => void }> = [];
  private seq = 0;
  constructor(private t = 1_000_000) {}

  now(): number {
    return this.t;
  }

  setTimer(at: number, cb: () => void): () => void {
    const timer = { at, seq: this.seq++, cb };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Due times of the timers still armed, earliest first. */
  pending(): number[] {
    return this.timers.map((x) => x.at).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing each due timer at its own time, then settling. */
  async advance(ms: number): Promise<void> {
    await flush(); // what is already queued runs at the current time, as with a real clock
    const target = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.cb();
      await flush();
    }
    this.t = target;
    await flush();
  }
}

/** An OutputSink that drops everything. */
export const nullSink: OutputSink = { write: () => true, onDrain: () => {}, end: () => {} };

/** A pretend process: records signals; alive until the test ends it. */
export class FakeHandle implements ProcessHandle {
  /** signals to the main process only (`tend signal`) */
  readonly signals: string[] = [];
  /** signals to every process of the instance (not the SIGCONT after each stop signal: `conts`) */
  readonly signalsAll: string[] = [];
  /** SIGCONTs to every process of the instance (each stop signal is followed by one) */
  conts = 0;
  exited = false;
  /** processes left behind after the main one ended */
  lingering = false;
  private drainWaiters: Array<() => void> = [];
  constructor(
    readonly pid: number,
    private readonly log: SignalRecord[],
    private readonly id: string,
  ) {}
  signal(signal: string): void {
    this.signals.push(signal);
    this.log.push({ id: this.id, signal, all: false });
  }
  signalAll(signal: string): void {
    if (signal === 'SIGCONT') {
      this.conts++;
      return;
    }
    this.signalsAll.push(signal);
    this.log.push({ id: this.id, signal, all: true });
  }
  alive(): boolean {
    return !this.exited || this.lingering;
  }
  pids(): number[] {
    return this.alive() ? [this.pid] : [];
  }
  drained(): Promise<void> {
    if (!this.alive()) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }
  /** The processes left behind are gone now. */
  drain(): void {
    this.lingering = false;
    for (const w of this.drainWaiters.splice(0)) w();
  }
}

export interface SignalRecord {
  id: string;
  signal: string;
  all: boolean;
}

export interface SpawnRecord {
  id: string;
  inst: InstanceSpec;
  opts: SpawnOptions;
  hooks: SpawnHooks;
  handle: FakeHandle | undefined;
}

/** A Spawner that launches nothing: it records each spawn and lets the test end it. */
export class FakeSpawner implements Spawner {
  readonly spawns: SpawnRecord[] = [];
  /** every signal sent, in order, across all instances */
  readonly signals: SignalRecord[] = [];
  private failures = new Map<string, { message: string; sync: boolean }>();
  private nextPid = 1001;

  spawn(inst: InstanceSpec, opts: SpawnOptions, hooks: SpawnHooks): ProcessHandle | undefined {
    const fail = this.failures.get(inst.id);
    if (fail) {
      this.failures.delete(inst.id);
      this.spawns.push({ id: inst.id, inst, opts, hooks, handle: undefined });
      const exit: Exit = { kind: 'spawn-error', message: fail.message };
      if (fail.sync) hooks.exit(exit);
      else queueMicrotask(() => hooks.exit(exit));
      return undefined;
    }
    const handle = new FakeHandle(this.nextPid++, this.signals, inst.id);
    this.spawns.push({ id: inst.id, inst, opts, hooks, handle });
    return handle;
  }

  /** The next spawn of `id` fails with `message` (reported inside spawn() when `sync`). */
  failNext(id: string, message: string, sync = false): void {
    this.failures.set(id, { message, sync });
  }

  /** Ids in spawn order. */
  order(): string[] {
    return this.spawns.map((s) => s.id);
  }

  count(id: string): number {
    return this.spawns.filter((s) => s.id === id).length;
  }

  /** The latest spawn of `id`; throws when there is none. */
  last(id: string): SpawnRecord {
    const r = this.spawns.filter((s) => s.id === id).at(-1);
    if (!r) throw new Error(`fake spawner: ${id} was never spawned (spawned: ${this.order().join(', ') || 'none'})`);
    return r;
  }

  /** Ends the main process of the latest spawn of `id` (`lingering`: its children live on). */
  exit(id: string, exit: Exit, opts: { lingering?: boolean } = {}): void {
    const r = this.last(id);
    if (!r.handle) throw new Error(`fake spawner: ${id} has no live handle`);
    if (r.handle.exited) throw new Error(`fake spawner: ${id} (pid ${r.handle.pid}) already exited`);
    r.handle.exited = true;
    r.handle.lingering = opts.lingering ?? false;
    r.hooks.exit(exit);
  }

  /** A message of the latest spawn of `id`: a line on its notification fd (READY=1), or sd_notify fields. */
  notify(id: string, fields: Record<string, string> = { READY: '1' }): void {
    const n = this.last(id).hooks.notify;
    if (!n) throw new Error(`fake spawner: ${id} was spawned without a notify hook`);
    n(fields);
  }

  /** Signals sent to `id` in order, as "SIGTERM" (all processes) or "main:SIGHUP". */
  signalsOf(id: string): string[] {
    return this.signals.filter((s) => s.id === id).map((s) => (s.all ? s.signal : `main:${s.signal}`));
  }
}

export interface ProbeRecord {
  id: string;
  kind: 'readiness' | 'liveness';
  onResult: (ok: boolean, message: string) => void;
  stopped: boolean;
}

/** A ProbeHost whose results the test hands in. */
export class FakeProbes implements ProbeHost {
  readonly started: ProbeRecord[] = [];
  start(inst: InstanceSpec, kind: 'readiness' | 'liveness', onResult: (ok: boolean, message: string) => void): () => void {
    const r: ProbeRecord = { id: inst.id, kind, onResult, stopped: false };
    this.started.push(r);
    return () => {
      r.stopped = true;
    };
  }
  /** The latest probe of that kind for `id`. */
  last(id: string, kind: 'readiness' | 'liveness'): ProbeRecord {
    const r = this.started.filter((p) => p.id === id && p.kind === kind).at(-1);
    if (!r) throw new Error(`fake probes: no ${kind} probe was started for ${id}`);
    return r;
  }
  /** Reports one result of the latest probe (even a stopped one: a late result must be ignored). */
  report(id: string, kind: 'readiness' | 'liveness', ok: boolean, message = ok ? 'ok' : 'failed'): void {
    this.last(id, kind).onResult(ok, message);
  }
}

/** A Supervisor wired to fakes, with no jitter unless `random` is given. */
export function harness(opts: { random?: () => number; start?: number } = {}) {
  const spawner = new FakeSpawner();
  const clock = new FakeClock(opts.start);
  const journal = new Journal();
  const probes = new FakeProbes();
  const sup = new Supervisor({
    spawner,
    clock,
    journal,
    env: (inst) => ({ TEND_INSTANCE: inst.id }),
    output: () => nullSink,
    probes,
    random: opts.random ?? (() => 0),
  });
  /** The record of `id`; throws when unknown. */
  const get = (id: string): Instance => {
    const i = sup.store.get(id);
    if (!i) throw new Error(`no instance ${id}`);
    return i;
  };
  /** State of each id, for one-line assertions. */
  const states = (...ids: string[]): Record<string, string> => Object.fromEntries(ids.map((id) => [id, get(id).state]));
  /** Journal lines as "id what: why". */
  const lines = (): string[] => journal.last().map((e) => `${e.service} ${e.what}: ${e.why}`);
  /** `tend start|stop|restart` of the instances `ids`, then what the loop does about it. */
  const command = async (verb: 'start' | 'stop' | 'restart', ...ids: string[]): Promise<void> => {
    sup[verb](ids.map(get));
    await flush();
  };
  /** Ends the main process of `id` (see FakeSpawner.exit), then what the loop does about it. */
  const exited = async (id: string, exit: Exit, opts: { lingering?: boolean } = {}): Promise<void> => {
    spawner.exit(id, exit, opts);
    await flush();
  };
  return { sup, spawner, clock, journal, probes, get, states, lines, command, exited };
}

/** A harness with `specs` added and the loop's first pass run (the autostart instances spawned). */
export async function supervising(specs: InstanceSpec[], opts: { random?: () => number; start?: number } = {}) {
  const h = harness(opts);
  h.sup.add(specs);
  await flush();
  return h;
}
