// What a command's daemon handler may use. Handlers live beside their command's words and printer
// (and so in the one-shot CLI's bundle): they reach the daemon only through these interfaces, and
// import daemon-side classes as types only, so no daemon code rides along into dist/tend.cjs.
import type { Instance } from '../core/instance.js';
import type { Journal } from '../core/journal.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import type { LogLine, ReloadResult, StatusRow } from '../control/wire.js';
import type { RunRecord } from '../tasks/history.js';
import type { LogsWhere } from './logs.js';
import type { EventsWhere } from './events.js';

/** The daemon's task scheduler, as the task commands use it (src/daemon/tasks.ts). */
export interface TaskControl {
  /** the last `n` runs of the instances, oldest first (from log_dir/ID.runs) */
  history(ids: readonly string[], n: number): Promise<Array<RunRecord & { instance?: string }>>;
  /** an instance was enabled or disabled: its schedule is looked at again */
  touch(id: string): void;
  /** `tend run`: a run now, or by the task's overlap while one is going (skipped: refused, with why) */
  run(i: Instance): {
    how: 'now' | 'queued' | 'replaced' | 'skipped';
    also: Instance[];
    why: string;
    /** a queued run (or one replacing the going one): resolves with why if it is dropped before it starts (tend stop) */
    dropped?: Promise<string>;
  };
  /** resolves once the schedules of the config last set are planned (each task knows its next run) */
  settled(): Promise<void>;
  /** `tend stop` of a task: its queued run (overlap: queue) is dropped too; true when there was one */
  dropQueued(i: Instance, why: string): boolean;
}

/** What `tend run NAME -- CMD` asks of the daemon: a transient service (src/daemon/transient.ts). */
export interface TransientRequest {
  name: string;
  /** the argv, exec'd directly */
  command: string[];
  /** absolute: where the caller ran it */
  cwd: string;
  /** the caller's environment: the whole environment of the service */
  env: Record<string, string>;
  /** who asked, in the journal's words (`uid 1000 (pid 4242)`) */
  by: string;
}

/** The daemon's transient services. */
export interface TransientControl {
  /** Adds the service (wanted up) and returns its instance; throws TendError on a name taken. */
  add(req: TransientRequest): Instance;
}

/** What the daemon (daemon.ts) hands the command handlers. */
export interface DaemonContext {
  sup: Supervisor;
  journal: Journal;
  now(): number;
  /** fills cpu and memory of the rows (summed over each instance's processes) */
  usage(rows: StatusRow[], insts: Instance[]): Promise<void>;
  logs: {
    /** log_dir, where every log file is */
    dir: string;
    /** the last n (at most 100) lines the instance printed since tend started, from memory: a failed start, `why` */
    tail(id: string, n: number): LogLine[];
    /** resolves once the instance's output pipes have closed, or after timeoutMs */
    ended(id: string, timeoutMs: number): Promise<void>;
    /**
     * where the log files of `targets` are, once what they printed so far is in them; with
     * `mark`, where in them the lines followers get from now on begin (`tend logs -f`)
     */
    where(targets: readonly Instance[], mark: boolean): Promise<LogsWhere>;
    /**
     * Calls fn with each new line of `id` until the returned function is called. Build each
     * LogLine once per line and hand the same object to every follower (they never change it):
     * with many followers, decoding and dating each line per follower is most of the daemon's work.
     */
    follow(id: string, fn: (l: LogLine) => void): () => void;
  };
  /** the journal on disk (log_dir/tend.events), once what the journal holds is in it; with `mark`, where the entries followers get from now on begin */
  journalWhere(mark: boolean): Promise<EventsWhere>;
  reload(dryRun: boolean): Promise<ReloadResult>;
  shutdown(): void;
  /** settings.shutdown_timeout in ms: how long the shutdown the daemon was asked for may take (shutdown tells the client) */
  shutdownTimeoutMs?(): number;
  /** settings.exit_with: the service whose end for good ends tend (a failed start of it says so) */
  exitWith?(): string | undefined;
  /** the latest config problem (a broken reload), shown by status */
  configProblem(): string | undefined;
  shuttingDown(): boolean;
  tasks: TaskControl;
  /** `tend run NAME -- CMD` (absent in a daemon that cannot add services) */
  transient?: TransientControl;
  /** the config file it runs (absolute); '' without one (`tend run NAME -- CMD` in a folder without a config) */
  configFile?(): string;
  /** resolves once start-up is over (every declared instance is in the store); the socket answers before */
  startedUp?(): Promise<void>;
}

/** Where an instance stood when a new run of it was asked for (`tend restart`, `tend start` of a task at rest). */
export interface RunMark {
  spawns: number;
  /** its state's `since`: a change with no spawn is the asked run ending before it started */
  since: number;
}

/** The daemon's context plus the daemon-side helpers handlers share (src/daemon/commands.ts). */
export interface CommandContext extends DaemonContext {
  /**
   * The instances `names` mean (`all`, a replica set, an instance); none given: every instance,
   * or a bad_request when `required`. Throws unknown_service naming the known ones.
   */
  resolve(names: readonly string[] | undefined, required?: boolean): Instance[];
  /**
   * Waits until each target is started (or failed); resolves the failed ones. `before`: where each
   * stood when a new run was asked for (beforeRun): its run must be a new one. A task with a
   * schedule is started when its run is over (`tend start` of a task waits for the run), unless
   * `taskRunning`: then once its run has gone SETTLE_MS, as a oneshot (`tend wait`: a catch-up run
   * of 20 minutes is no part of the stack being up).
   */
  waitStarted(
    targets: Instance[],
    timeoutMs: number,
    signal: AbortSignal,
    before?: Map<string, RunMark>,
    taskRunning?: boolean,
  ): Promise<Instance[]>;
  /** Waits until each target has stopped. */
  waitStopped(targets: Instance[], timeoutMs: number, signal: AbortSignal): Promise<void>;
  /**
   * Waits until the run of `target` just asked for is over (no run on its way or going); with
   * `afterSpawns`, until a run launched after that many spawns is over (a queued run).
   */
  waitRun(target: Instance, signal: AbortSignal, afterSpawns?: number): Promise<void>;
  /** One status row; cpu and memory are filled by `usage`. */
  statusRow(i: Instance, now: number): StatusRow;
  /** The `why` paragraph of one instance. */
  explain(i: Instance, now: number): string;
  /** A signal name from a name or number; throws with the reason. */
  parseSignal(v: unknown): string;
}
