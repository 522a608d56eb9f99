// The shared vocabulary of tend: the validated spec, states, exits and runtime records.
// Nothing here imports anything of tend; every other folder imports from here.

/** The lifecycle states of SPEC §2. */
export const STATES = [
  'pending',
  'starting',
  'running',
  'stopping',
  'stopped',
  'backoff',
  'completed',
  'failed',
] as const;
export type State = (typeof STATES)[number];

export type RestartPolicy = 'always' | 'on-failure' | 'never';
export type ServiceType = 'simple' | 'oneshot';
export type DependCondition = 'started' | 'healthy' | 'completed';

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
  readiness?: ProbeSpec;
  liveness?: ProbeSpec;
  /** ms: a WATCHDOG=1 (sd_notify) is due within this while running, else it is restarted */
  watchdog?: number;
  limits: Limits;
  logs: { maxSize: number; keep: number };
  replicas: number;
  dependsOn: Record<string, DependCondition>;
}

export interface Settings {
  socket: string; // absolute
  logDir: string; // absolute
  shutdownTimeout: number;
  echo: boolean;
  watch: boolean;
  exitWith?: string;
  /** `settings.http`: where the read-only HTTP endpoints listen (off when absent) */
  http?: { host: string; port: number };
  /** `settings.notify_socket`: "/abs/path" or "@abstract" (default: an abstract name per socket) */
  notifySocket?: string;
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
