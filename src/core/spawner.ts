// The seams between the reconcile loop and the world: processes (Spawner) and time (Clock).
// reconcile/ reaches processes only through these, so its tests use fakes.
import { setTimerAt } from './timer.js';
import type { Exit, InstanceSpec } from './types.js';
import type { DirectPath } from '../sys/addon.js';

export type Stream = 'stdout' | 'stderr';

/** Where a process's output goes. `write` returning false means "pause the pipe until drain". */
export interface OutputSink {
  /**
   * Bytes a process printed; false asks the reader to pause until onDrain. `chunk` is valid only
   * during the call (the reader reuses its buffer): a sink copies what it keeps.
   */
  write(stream: Stream, chunk: Buffer): boolean;
  onDrain(cb: () => void): void;
  /** a process's pipes are attached: its output is coming until end() */
  begin?(): void;
  /** the sink's native direct path, which its pipes' readers write through while it is on (logs/sink.ts) */
  direct?(): DirectPath | undefined;
  /** the process's pipes are closed: flush partial lines */
  end(): void;
}

export interface SpawnHooks {
  /** the main process ended (its exit status was reaped; its output may still be coming): called exactly once */
  exit(exit: Exit): void;
  /**
   * the service said something: a line on the notification fd (readiness `fd:`) is `{READY: '1'}`;
   * a message on the notify socket (readiness `notify`, `watchdog:`) is its sd_notify(3) fields
   */
  notify?(fields: Record<string, string>): void;
  output: OutputSink;
}

/** A live service instance as the spawner sees it. */
export interface ProcessHandle {
  readonly pid: number;
  /** signal the main process only (`tend signal`) */
  signal(signal: string): void;
  /** signal every process of the instance: its cgroup, else its process group */
  signalAll(signal: string): void;
  /** true while any process of the instance is alive (cgroup populated / group alive) */
  alive(): boolean;
  /** resolves when every process of the instance is gone */
  drained(): Promise<void>;
  /** pids of every process of the instance (cgroup.procs, else the leader) */
  pids(): number[];
  /**
   * CPU seconds used in the instance's cgroup since it was made (cpu.stat `usage_usec`: exited
   * processes included); absent without a cgroup, undefined when it cannot be read
   */
  cpuSeconds?(): number | undefined;
  /**
   * an adopted process (spawned by an earlier daemon) says sd_notify messages to `notify` from
   * now on (until the returned function is called); absent where it cannot
   */
  listen?(notify: (fields: Record<string, string>) => void): () => void;
}

export interface SpawnOptions {
  /** the full environment of the process (daemon env + env_file + env + TEND_*) */
  env: Record<string, string>;
}

export interface Spawner {
  /** Starts an instance. A failure to start is reported through hooks.exit as a spawn-error. */
  spawn(inst: InstanceSpec, opts: SpawnOptions, hooks: SpawnHooks): ProcessHandle | undefined;
}

export interface Clock {
  now(): number;
  setTimer(at: number, cb: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // setTimerAt: a time past setTimeout's 24.8 days is reached in steps (a schedule's next run)
  setTimer: (at, cb) => setTimerAt(at, cb),
};
