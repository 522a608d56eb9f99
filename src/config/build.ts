// Turns a zod-checked raw service/settings into the camelCase ServiceSpec/Settings, defaults filled.
import { resolve } from 'node:path';
import type { Limits, ProbeSpec, ScheduleSpec, ServiceSpec, Settings } from '../core/types.js';
import type { RawProbe, RawService, RawSettings } from './schema.js';
import { buildFences } from './fences.js';

/** The defaults of docs/config.md, in milliseconds and bytes. */
export const DEFAULTS = {
  socket: '.tend/tend.sock',
  logDir: '.tend/logs',
  shutdownTimeout: 30_000,
  backoff: { initial: 100, max: 30_000, factor: 2 },
  startLimit: { burst: 5, interval: 60_000 },
  stopSignal: 'SIGTERM',
  stopTimeout: 10_000,
  probe: { interval: 1000, timeout: 1000, initialDelay: 0, failureThreshold: 3 },
  logs: { maxSize: 10 * 1024 * 1024, keep: 5, mode: 0o640 },
} as const;

/** Settings with defaults, paths made absolute against the config folder. */
export function buildSettings(raw: RawSettings | undefined, dir: string): Settings {
  const s: Settings = {
    socket: resolve(dir, raw?.socket ?? DEFAULTS.socket),
    logDir: resolve(dir, raw?.log_dir ?? DEFAULTS.logDir),
    shutdownTimeout: raw?.shutdown_timeout ?? DEFAULTS.shutdownTimeout,
    echo: raw?.echo ?? true,
    watch: raw?.watch ?? true,
  };
  if (raw?.log_format === 'json') s.logFormat = 'json';
  if (raw?.exit_with !== undefined) s.exitWith = raw.exit_with;
  if (raw?.max_parallel !== undefined) s.maxParallel = raw.max_parallel;
  if (raw?.pools !== undefined) s.pools = { ...raw.pools };
  if (raw?.http !== undefined) s.http = raw.http;
  if (raw?.logs !== undefined) {
    const l: NonNullable<Settings['logs']> = {};
    if (raw.logs.max_size !== undefined) l.maxSize = raw.logs.max_size;
    if (raw.logs.keep !== undefined) l.keep = raw.logs.keep;
    if (raw.logs.mode !== undefined) l.mode = raw.logs.mode;
    s.logs = l;
  }
  if (raw?.notify_socket !== undefined) {
    const a = raw.notify_socket;
    s.notifySocket = a.startsWith('@') ? a : resolve(dir, a);
  }
  return s;
}

function buildProbe(raw: RawProbe | undefined): ProbeSpec | undefined {
  if (!raw) return undefined;
  const check: ProbeSpec['check'] | undefined =
    raw.exec !== undefined
      ? { kind: 'exec', command: raw.exec }
      : raw.tcp !== undefined
        ? { kind: 'tcp', host: raw.tcp.host, port: raw.tcp.port }
        : raw.http !== undefined
          ? { kind: 'http', url: raw.http }
          : raw.log !== undefined
            ? { kind: 'log', pattern: raw.log }
            : raw.fd !== undefined
              ? { kind: 'fd', fd: raw.fd }
              : raw.notify !== undefined
                ? { kind: 'notify' }
                : undefined;
  if (!check) return undefined; // reported by the loader (exactly one form)
  return {
    check,
    interval: raw.interval ?? DEFAULTS.probe.interval,
    timeout: raw.timeout ?? DEFAULTS.probe.timeout,
    initialDelay: raw.initial_delay ?? DEFAULTS.probe.initialDelay,
    failureThreshold: raw.failure_threshold ?? DEFAULTS.probe.failureThreshold,
  };
}

/**
 * One ServiceSpec; `fileEnv` is the merged env_file content, `envFiles` their absolute paths;
 * `schedule` checked by config/tasks.ts; `logs`: settings.logs, under the service's own.
 */
export function buildService(
  name: string,
  raw: RawService,
  dir: string,
  fileEnv: Record<string, string>,
  envFiles: string[],
  schedule?: ScheduleSpec,
  logs: Settings['logs'] = {},
): ServiceSpec {
  const type = raw.type ?? 'simple';
  const fences = buildFences(raw, dir);
  const limits: Limits = {};
  if (raw.limits?.memory !== undefined) limits.memory = raw.limits.memory;
  if (raw.limits?.cpu !== undefined) limits.cpu = raw.limits.cpu;
  if (raw.limits?.pids !== undefined) limits.pids = raw.limits.pids;
  if (raw.limits?.nofile !== undefined) limits.nofile = raw.limits.nofile;
  const spec: ServiceSpec = {
    name,
    command: raw.command,
    // under root_dir, cwd is a path inside it (its / when not given)
    cwd: fences?.rootDir !== undefined ? resolve('/', raw.cwd ?? '/') : resolve(dir, raw.cwd ?? '.'),
    env: { ...fileEnv, ...(raw.env ?? {}) },
    envFiles,
    tty: raw.tty ?? false,
    type,
    autostart: raw.autostart ?? true,
    restart: raw.restart ?? (type === 'oneshot' ? 'never' : 'on-failure'),
    backoff: {
      initial: raw.backoff?.initial ?? DEFAULTS.backoff.initial,
      max: raw.backoff?.max ?? DEFAULTS.backoff.max,
      factor: raw.backoff?.factor ?? DEFAULTS.backoff.factor,
    },
    startLimit: {
      burst: raw.start_limit?.burst ?? DEFAULTS.startLimit.burst,
      interval: raw.start_limit?.interval ?? DEFAULTS.startLimit.interval,
    },
    stopSignal: raw.stop_signal ?? DEFAULTS.stopSignal,
    stopTimeout: raw.stop_timeout ?? DEFAULTS.stopTimeout,
    limits,
    logs: {
      maxSize: raw.logs?.max_size ?? logs.maxSize ?? DEFAULTS.logs.maxSize,
      keep: raw.logs?.keep ?? logs.keep ?? DEFAULTS.logs.keep,
      mode: raw.logs?.mode ?? logs.mode ?? DEFAULTS.logs.mode,
    },
    replicas: raw.replicas ?? 1,
    dependsOn: { ...(raw.depends_on ?? {}) },
  };
  if (raw.user !== undefined) spec.user = raw.user;
  if (raw.group !== undefined) spec.group = raw.group;
  if (raw.umask !== undefined) spec.umask = raw.umask;
  if (fences) spec.fences = fences;
  const readiness = buildProbe(raw.readiness);
  if (readiness) spec.readiness = readiness;
  const liveness = buildProbe(raw.liveness);
  if (liveness) spec.liveness = liveness;
  if (schedule) {
    spec.schedule = schedule;
    spec.overlap = raw.overlap ?? 'skip';
    spec.catchUp = raw.catch_up ?? false;
  }
  if (raw.timeout !== undefined) spec.timeout = raw.timeout;
  if (raw.approval) spec.approval = true;
  if (raw.pool !== undefined) spec.pool = raw.pool;
  if (raw.watchdog !== undefined) spec.watchdog = raw.watchdog;
  if (raw.start_timeout !== undefined) spec.startTimeout = raw.start_timeout;
  return spec;
}
