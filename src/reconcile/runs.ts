// The live side of the loop: per instance the process handle of its current run, a token that
// tells a late exit or probe result of an earlier run from the current one, and its probes.
// What happens is handed back to the Supervisor as hooks; only current runs are heard.
import type { Instance } from '../core/instance.js';
import type { Clock, OutputSink, ProcessHandle, Spawner } from '../core/spawner.js';
import type { Exit, InstanceSpec } from '../core/types.js';
import { formatLimit } from '../core/describe.js';

/** Starts a readiness or liveness probe of an instance; returns its stop function. */
export interface ProbeHost {
  start(inst: InstanceSpec, kind: 'readiness' | 'liveness', onResult: (ok: boolean, message: string) => void): () => void;
}

export interface RunDeps {
  spawner: Spawner;
  clock: Clock;
  env(inst: InstanceSpec): Record<string, string>;
  output(inst: InstanceSpec): OutputSink;
  probes?: ProbeHost;
}

/** What the current run of an instance tells the Supervisor. */
export interface RunHooks {
  /** the instance as it is now (its state and spec decide how an exit is waited for) */
  instance(id: string): Instance | undefined;
  /** the main process ended, and while stopping every other process of it too */
  exited(id: string, exit: Exit): void;
  ready(id: string): void;
  readinessFailed(id: string, message: string): void;
  liveness(id: string, ok: boolean, message: string): void;
  /** the current run said something (sd_notify fields; the fd line is READY=1) */
  notified(id: string, fields: Record<string, string>): void;
  /** no WATCHDOG=1 came within `watchdog:` (or the service asked: WATCHDOG=trigger) */
  watchdogMissed(id: string, message: string): void;
  /** what an ended run left behind is still there (true), or is gone (false) */
  lingering(id: string, on: boolean): void;
}

/** The watchdog of a running run: when the next WATCHDOG=1 is due. */
interface Watchdog {
  at: number;
  cancel: () => void;
}

interface Live {
  handle: ProcessHandle | undefined;
  token: number;
  stopProbes: Array<() => void>;
  watchdog?: Watchdog;
}

/** EXTEND_TIMEOUT_USEC=N as milliseconds (undefined when absent or not a number). */
export function extendMs(fields: Record<string, string>): number | undefined {
  const v = fields.EXTEND_TIMEOUT_USEC;
  if (v === undefined || !/^\d{1,15}$/.test(v)) return undefined;
  return Math.ceil(Number(v) / 1000);
}

/** How long past stop_timeout a next run waits for what the last one left behind. */
const LINGER_GRACE_MS = 1000;

export class Runs {
  private live = new Map<string, Live>();
  /** instances whose last run's leftovers hold the next run back: the mark of that wait */
  private lingers = new Map<string, number>();
  private lingerMark = 0;
  private token = 0;

  constructor(
    private readonly deps: RunDeps,
    private readonly hooks: RunHooks,
  ) {}

  handle(id: string): ProcessHandle | undefined {
    return this.live.get(id)?.handle;
  }

  /** Whether what the last run of `id` left behind still holds its next run back. */
  lingering(id: string): boolean {
    return this.lingers.has(id);
  }

  /** Spawns a new run; its pid, or null when the spawn failed (the spawn-error exit follows). */
  launch(inst: InstanceSpec): number | null {
    const id = inst.id;
    const token = ++this.token;
    const live: Live = { handle: undefined, token, stopProbes: [] };
    this.live.set(id, live);
    const kind = inst.spec.readiness?.check.kind;
    const talks = kind === 'fd' || kind === 'notify' || inst.spec.watchdog !== undefined;
    const handle = this.deps.spawner.spawn(
      inst,
      { env: this.deps.env(inst) },
      {
        output: this.deps.output(inst),
        exit: (exit) => this.onExit(id, token, exit),
        notify: talks ? (fields) => this.onNotify(id, token, fields) : undefined,
      },
    );
    if (!handle) return null;
    live.handle = handle;
    return handle.pid;
  }

  /** The live process of an earlier daemon becomes the current run. */
  takeOver(id: string, handle: ProcessHandle, exitOf: (cb: (e: Exit) => void) => void): void {
    const token = ++this.token;
    this.live.set(id, { handle, token, stopProbes: [] });
    const spec = this.hooks.instance(id)?.inst.spec;
    const talks = spec?.readiness?.check.kind === 'notify' || spec?.watchdog !== undefined;
    const unlisten = talks ? handle.listen?.((fields) => this.onNotify(id, token, fields)) : undefined;
    exitOf((e) => {
      unlisten?.();
      this.onExit(id, token, e);
    });
  }

  /** Polls the readiness probe; without one the run is ready at once (fd, notify: READY=1 says it). */
  watchReadiness(inst: InstanceSpec): void {
    const live = this.live.get(inst.id);
    const readiness = inst.spec.readiness;
    if (!live || readiness?.check.kind === 'fd' || readiness?.check.kind === 'notify') return;
    if (!readiness) return this.hooks.ready(inst.id);
    if (!this.deps.probes) return;
    const token = live.token;
    live.stopProbes.push(
      this.deps.probes.start(inst, 'readiness', (ok, message) => {
        if (!this.current(inst.id, token)) return;
        if (ok) this.hooks.ready(inst.id);
        else this.hooks.readinessFailed(inst.id, message);
      }),
    );
  }

  /** Polls the liveness probe, if there is one, and arms the watchdog, if there is one. */
  watchLiveness(inst: InstanceSpec): void {
    const live = this.live.get(inst.id);
    if (live && inst.spec.watchdog !== undefined) this.armWatchdog(inst.id, live, inst.spec.watchdog);
    if (!live || !inst.spec.liveness || !this.deps.probes) return;
    const token = live.token;
    live.stopProbes.push(
      this.deps.probes.start(inst, 'liveness', (ok, message) => {
        if (this.current(inst.id, token)) this.hooks.liveness(inst.id, ok, message);
      }),
    );
  }

  stopProbes(id: string): void {
    const live = this.live.get(id);
    if (!live) return;
    for (const s of live.stopProbes) s();
    live.stopProbes = [];
    live.watchdog?.cancel();
    live.watchdog = undefined;
  }

  /** A message of the current run: the watchdog's part here, the rest to the Supervisor. */
  private onNotify(id: string, token: number, fields: Record<string, string>): void {
    const live = this.live.get(id);
    if (!live || live.token !== token) return;
    const ms = this.hooks.instance(id)?.inst.spec.watchdog;
    if (live.watchdog && ms !== undefined) {
      const now = this.deps.clock.now();
      if (fields.WATCHDOG === '1') this.armWatchdog(id, live, ms);
      const ext = extendMs(fields);
      if (ext !== undefined && now + ext > live.watchdog.at) this.armWatchdog(id, live, ext);
      if (fields.STOPPING === '1') {
        live.watchdog.cancel();
        live.watchdog = undefined;
      }
      if (fields.WATCHDOG === 'trigger') {
        live.watchdog?.cancel();
        live.watchdog = undefined;
        this.hooks.watchdogMissed(id, 'the service asked for it (WATCHDOG=trigger)');
      }
    }
    this.hooks.notified(id, fields);
  }

  /** (Re)arms the watchdog: a WATCHDOG=1 is due within `ms`. */
  private armWatchdog(id: string, live: Live, ms: number): void {
    live.watchdog?.cancel();
    const at = this.deps.clock.now() + ms;
    const dog: Watchdog = {
      at,
      cancel: this.deps.clock.setTimer(at, () => {
        if (live.watchdog !== dog || !this.current(id, live.token)) return;
        live.watchdog = undefined;
        this.hooks.watchdogMissed(id, `no WATCHDOG=1 within ${formatLimit(ms)}`);
      }),
    };
    live.watchdog = dog;
  }

  /** A signal to every process of the current run. */
  signalAll(id: string, signal: string): void {
    this.live.get(id)?.handle?.signalAll(signal);
  }

  /** The stop signal to every process of the current run, then SIGCONT (see stopHandle). */
  stopSignal(id: string, signal: string): void {
    const h = this.live.get(id)?.handle;
    if (h) stopHandle(h, signal);
  }

  private current(id: string, token: number): boolean {
    return this.live.get(id)?.token === token;
  }

  private onExit(id: string, token: number, exit: Exit): void {
    const live = this.live.get(id);
    const i = this.hooks.instance(id);
    if (!live || live.token !== token || !i) return;
    this.stopProbes(id);
    const handle = live.handle;
    // While stopping, the service is stopped only when every process of it is gone.
    if (i.state === 'stopping' && handle && handle.alive()) {
      void handle.drained().then(() => this.finish(id, live, exit));
      return;
    }
    if (handle?.alive()) {
      // the main process is gone; what it left behind goes with it (systemd does the same), and
      // the next run waits for it to be gone (a leftover holding a port would fail it)
      const spec = i.inst.spec;
      stopHandle(handle, spec.stopSignal);
      this.deps.clock.setTimer(this.deps.clock.now() + spec.stopTimeout, () => {
        if (handle.alive()) handle.signalAll('SIGKILL'); // only this run's leftovers (see process.ts)
      });
      // bounded: what a leftover forked after the exit is not in its list, and the cgroup may
      // never empty; past stop_timeout and a grace second the next run goes anyway
      const mark = ++this.lingerMark;
      this.lingers.set(id, mark);
      const done = (): void => {
        if (this.lingers.get(id) !== mark) return; // a newer run's leftovers, or already done
        this.lingers.delete(id);
        this.hooks.lingering(id, false);
      };
      this.hooks.lingering(id, true);
      void handle.drained().then(done);
      this.deps.clock.setTimer(this.deps.clock.now() + spec.stopTimeout + LINGER_GRACE_MS, done);
    }
    this.finish(id, live, exit);
  }

  private finish(id: string, live: Live, exit: Exit): void {
    if (this.live.get(id) !== live) return;
    this.live.delete(id);
    this.hooks.exited(id, exit);
  }
}

/**
 * The stop signal to every process of a handle, then SIGCONT, as systemd and s6 do: a stopped
 * (SIGSTOPped, ^Z'd) process keeps a signal pending until it runs again, so without it a stopped
 * service, the one a liveness probe restarts, waited its whole stop_timeout for SIGKILL.
 */
export function stopHandle(h: { signalAll(signal: string): void }, signal: string): void {
  h.signalAll(signal);
  if (signal !== 'SIGCONT' && signal !== 'SIGKILL') h.signalAll('SIGCONT');
}
