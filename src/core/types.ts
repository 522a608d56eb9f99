// The shared vocabulary of tend: the validated spec, states, exits and runtime records.
// Nothing here imports anything of tend; every other folder imports from here.
import type { Fences } from './fences.js';

export type { Fences };

/** The lifecycle states (docs/states.md). */
export const STATES = [
  'pending',
  'starting',
  'running',
  'stopping',
  'stopped',
  'backoff',
  'completed',
  'failed',
  'scheduled',
] as const;
export type State = (typeof STATES)[number];

export type RestartPolicy = 'always' | 'on-failure' | 'never';
export type ServiceType = 'simple' | 'oneshot';
export type DependCondition = 'started' | 'healthy' | 'completed';

/** When a task runs, as plain data (what the Spec holds; src/tasks/schedule.ts compiles it). */
export type ScheduleSpec =
  /** `expr` as written, trimmed (5 fields or a nickname); `timezone` an IANA name, absent = local time */
  | { kind: 'cron'; expr: string; timezone?: string }
  /** `@every D` or `every: D`: `ms` after the end of the last run */
  | { kind: 'every'; ms: number };

/** What to do with a run that falls due while another is running. */
export type Overlap = 'skip' | 'queue' | 'replace';

/** Why a run of a oneshot started (`tend history`). */
export const TRIGGERS = ['schedule', 'run', 'start-up', 'dependency', 'restart'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** A probe, readiness or liveness. Durations are milliseconds. */
export type ProbeCheck =
  | { kind: 'exec'; command: string | string[] }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'http'; url: string }
  | { kind: 'log'; pattern: string }
  | { kind: 'fd'; fd: number }
  /** systemd's notify protocol: READY=1 on NOTIFY_SOCKET (readiness only) */
  | { kind: 'notify' };

export interface ProbeSpec {
  check: ProbeCheck;
  interval: number;
  timeout: number;
  initialDelay: number;
  /** failures in a row before a liveness probe restarts the service */
  failureThreshold: number;
}

export interface Limits {
  memory?: number; // bytes
  cpu?: number; // cores, e.g. 0.5
  pids?: number;
  nofile?: number;
}

/** One declared service after validation: every default filled, every path absolute. */
export interface ServiceSpec {
  name: string;
  command: string | string[];
  cwd: string;
  /** env as written in the file (env_file merged under it), without the daemon's own env */
  env: Record<string, string>;
  envFiles: string[];
  user?: string | number;
  group?: string | number;
  umask?: number;
  tty: boolean;
  type: ServiceType;
  autostart: boolean;
  restart: RestartPolicy;
  backoff: { initial: number; max: number; factor: number };
  startLimit: { burst: number; interval: number };
  stopSignal: string; // e.g. "SIGTERM"
  stopTimeout: number;
  /**
   * ms: a run not ready this long after its spawn is stopped and counts as a failed start (the
   * restart policy, backoff and start_limit apply); absent: it may stay starting for good
   */
  startTimeout?: number;
  readiness?: ProbeSpec;
  liveness?: ProbeSpec;
  /** ms: a WATCHDOG=1 (sd_notify) is due within this while running, else it is restarted */
  watchdog?: number;
  limits: Limits;
  /** mode: the log files' permission bits (default 0640) */
  logs: { maxSize: number; keep: number; mode: number };
  replicas: number;
  dependsOn: Record<string, DependCondition>;
  /** rlimits, clean_env, capabilities, namespaces...: absent when none is set */
  fences?: Fences;
  // tasks (oneshot only; absent when not written)
  /** when it runs by itself (`schedule`, `every`); with one it rests in `scheduled` */
  schedule?: ScheduleSpec;
  /** a run due while one is running (default skip) */
  overlap?: Overlap;
  /** a run that lasts longer is stopped and fails (ms) */
  timeout?: number;
  /** a run missed while tend was down runs once at start-up */
  catchUp?: boolean;
  /** each run waits in pending for `tend approve` */
  approval?: boolean;
  /** the pool of settings.pools it counts against */
  pool?: string;
  /**
   * made by `tend run NAME -- CMD`, not declared in the config: its env is the whole environment
   * of the caller (tend's own is not under it), a reload leaves it alone, it goes at shutdown
   */
  transient?: true;
}

export interface Settings {
  socket: string; // absolute
  logDir: string; // absolute
  shutdownTimeout: number;
  echo: boolean;
  /** `settings.log_format: json`: the echo and tend's own lines on stdout/stderr as JSON objects (absent: text) */
  logFormat?: 'json';
  watch: boolean;
  exitWith?: string;
  /** at most this many oneshot instances live at once */
  maxParallel?: number;
  /** at most N live instances of each pool */
  pools?: Record<string, number>;
  /** `settings.http`: where the read-only HTTP endpoints listen (off when absent) */
  http?: { host: string; port: number };
  /** `settings.notify_socket`: "/abs/path" or "@abstract" (default: an abstract name per socket) */
  notifySocket?: string;
  /** `settings.logs`: the rotation of every service that does not set its own (each key apart) */
  logs?: Partial<ServiceSpec['logs']>;
}

/** A whole validated config file. `services` keeps the file's order. */
export interface Spec {
  file: string; // absolute path of the config
  dir: string;
  settings: Settings;
  services: ServiceSpec[];
}

/** One process slot: a service, or one replica of it ("web.2"). */
export interface InstanceSpec {
  id: string;
  service: string;
  replica?: number;
  spec: ServiceSpec;
}

/** How a process ended, or failed to begin. One type for every path (execa-style). */
export type Exit =
  | { kind: 'exited'; code: number }
  | { kind: 'signaled'; signal: string }
  | { kind: 'spawn-error'; message: string }
  /** an adopted process ended: it is not our child, so its status cannot be known */
  | { kind: 'lost' };

/** A line of the journal (`tend events`). */
export interface JournalEntry {
  time: string; // ISO-8601
  service: string; // instance id, or "tend"
  what: string; // short verb: spawn, exit, stop, kill, state, reload, probe, error ...
  why: string;
  state?: State;
}
