// The live side of the loop: per instance the process handle of its current run, a token that
// tells a late exit or probe result of an earlier run from the current one, and its probes.
// What happens is handed back to the Supervisor as hooks; only current runs are heard.
import type { Instance } from '../core/instance.js';
import type { Clock, OutputSink, ProcessHandle, Spawner } from '../core/spawner.js';
import type { Exit, InstanceSpec } from '../core/types.js';

/** Starts a readiness or liveness probe of an instance; returns its stop function. */
export interface ProbeHost {
  start(
    inst: InstanceSpec,
    kind: 'readiness' | 'liveness',
    onResult: (ok: boolean, message: string) => void,
  ): () => void;
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
}

interface Live {
  handle: ProcessHandle | undefined;
  token: number;
  stopProbes: Array<() => void>;
}

export class Runs {
  private live = new Map<string, Live>();
  private token = 0;

  constructor(
    private readonly deps: RunDeps,
    private readonly hooks: RunHooks,
  ) {}

  handle(id: string): ProcessHandle | undefined {
    return this.live.get(id)?.handle;
  }

  /** Spawns a new run; its pid, or null when the spawn failed (the spawn-error exit follows). */
  launch(inst: InstanceSpec): number | null {
    const id = inst.id;
    const token = ++this.token;
    const live: Live = { handle: undefined, token, stopProbes: [] };
    this.live.set(id, live);
    const useFd = inst.spec.readiness?.check.kind === 'fd';
    const handle = this.deps.spawner.spawn(inst, { env: this.deps.env(inst) }, {
      output: this.deps.output(inst),
      exit: (exit) => this.onExit(id, token, exit),
      notify: useFd ? () => this.current(id, token) && this.hooks.ready(id) : undefined,
    });
    if (!handle) return null;
    live.handle = handle;
    return handle.pid;
  }

  /** The live process of an earlier daemon becomes the current run. */
  takeOver(id: string, handle: ProcessHandle, exitOf: (cb: (e: Exit) => void) => void): void {
    const token = ++this.token;
    this.live.set(id, { handle, token, stopProbes: [] });
    exitOf((e) => this.onExit(id, token, e));
  }

  /** Polls the readiness probe; without one the run is ready at once (fd: the notify line). */
  watchReadiness(inst: InstanceSpec): void {
    const live = this.live.get(inst.id);
    const readiness = inst.spec.readiness;
    if (!live || readiness?.check.kind === 'fd') return;
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

  /** Polls the liveness probe, if there is one. */
  watchLiveness(inst: InstanceSpec): void {
    const live = this.live.get(inst.id);
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
  }

  /** A signal to every process of the current run. */
  signalAll(id: string, signal: string): void {
    this.live.get(id)?.handle?.signalAll(signal);
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
    if (handle && handle.alive()) {
      // the main process is gone; what it left behind goes with it (systemd does the same)
      const spec = i.inst.spec;
      handle.signalAll(spec.stopSignal);
      this.deps.clock.setTimer(this.deps.clock.now() + spec.stopTimeout, () => {
        if (handle.alive()) handle.signalAll('SIGKILL'); // only this run's leftovers (see process.ts)
      });
    }
    this.finish(id, live, exit);
  }

  private finish(id: string, live: Live, exit: Exit): void {
    if (this.live.get(id) !== live) return;
    this.live.delete(id);
    this.hooks.exited(id, exit);
  }
}
