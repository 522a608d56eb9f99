// GET /metrics: the Prometheus text exposition format 0.0.4, written by hand (a handful of
// families; a client library would be most of the daemon's code to load). Pure: samples in, text out.

/** The Content-Type of format 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What /metrics says of one instance (from its status row and its record). */
export interface InstanceSample {
  name: string;
  service: string;
  state: string;
  restarts: number;
  /** the last exit as a shell says it (signal: 128 + n); null before any */
  lastExitCode: number | null;
  /** user + system seconds of its processes; null when it has none */
  cpuSeconds: number | null;
  /** resident bytes of its processes; null when it has none */
  memoryBytes: number | null;
  /** bytes written to its log file since tend started */
  logBytes: number;
  /** unix seconds its current process started; null when it has none */
  startTime: number | null;
  /** a oneshot's runs since tend started (null: not a oneshot), the last good end and the next run (unix seconds) */
  task: { completed: number; failed: number; lastSuccess: number | null; nextRun: number | null } | null;
}

/** What /metrics says of the daemon. */
export interface DaemonSample {
  version: string;
  node: string;
  reloads: { applied: number; rejected: number };
  notifyDropped: Record<string, number>;
  /** how long the previous /metrics took to build, in seconds (null before the first) */
  lastScrapeSeconds: number | null;
}

/** A label value as the format escapes it: backslash, double quote, newline. */
export function escapeLabel(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** A sample value: integers as they are, others in full precision; NaN/Inf as the format spells them. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Label sets and state blocks already written, by instance (a scrape writes the same again). */
const labelCache = new Map<string, string>();
const stateCache = new Map<string, string>();
const CACHE_MAX = 20_000;

function labelsOf(i: InstanceSample): string {
  const key = `${i.name}\0${i.service}`;
  let l = labelCache.get(key);
  if (l === undefined) {
    if (labelCache.size > CACHE_MAX) labelCache.clear();
    l = `instance="${escapeLabel(i.name)}",service="${escapeLabel(i.service)}"`;
    labelCache.set(key, l);
  }
  return l;
}

/** The tend_service_state lines of one instance: one per state, 1 for the one it is in. */
function stateBlock(labels: string, state: string, states: readonly string[]): string {
  const key = `${labels}\0${state}`;
  let b = stateCache.get(key);
  if (b === undefined) {
    if (stateCache.size > CACHE_MAX) stateCache.clear();
    b = states.map((s) => `tend_service_state{${labels},state="${s}"} ${state === s ? 1 : 0}`).join('\n');
    stateCache.set(key, b);
  }
  return b;
}

/** Every family: its type and HELP text (docs/http.md lists them too). */
const FAMILIES = {
  tend_service_up: ['gauge', '1 when the instance is running (ready), else 0.'],
  tend_service_state: ['gauge', 'The state of the instance: 1 for the state it is in, 0 for the others.'],
  tend_service_restarts_total: [
    'counter',
    'Starts of the instance after its first, since tend started (not the new runs of a scheduled task).',
  ],
  tend_service_last_exit_code: ['gauge', 'Exit code of the last exit (killed by a signal: 128 + its number).'],
  tend_service_cpu_seconds_total: ['counter', 'User and system CPU seconds of the processes of the current run.'],
  tend_service_memory_bytes: ['gauge', 'Resident memory of the processes of the instance.'],
  tend_service_log_bytes_total: ['counter', 'Bytes written to the log file of the instance since tend started.'],
  tend_service_start_time_seconds: ['gauge', 'Unix time the current process of the instance started.'],
  tend_task_runs_total: [
    'counter',
    'Runs of a oneshot since tend started, by how they ended (a run that never started, rejected or its dependency failed, is failed; a retry is part of its run).',
  ],
  tend_task_last_success_time_seconds: ['gauge', 'Unix time the last run of a oneshot that completed ended (absent before one).'],
  tend_task_next_run_time_seconds: ['gauge', 'Unix time of the next scheduled run of a task (absent while paused).'],
  tend_reloads_total: ['counter', 'Config reloads since tend started, applied or rejected (a broken file).'],
  tend_notify_dropped_total: [
    'counter',
    'sd_notify messages dropped: from a pid of no service (foreign), or over 4 KiB (too_large).',
  ],
  tend_build_info: ['gauge', 'Always 1; the labels say which tend and which Node.js.'],
  tend_metrics_scrape_seconds: ['gauge', 'How long tend took to build the previous answer to /metrics.'],
} as const satisfies Record<string, readonly ['gauge' | 'counter', string]>;
type Family = keyof typeof FAMILIES;

/** The text of every family, HELP and TYPE first, one sample a line, ended by a newline. */
export function exposition(instances: readonly InstanceSample[], daemon: DaemonSample, states: readonly string[]): string {
  const out: string[] = [];
  const family = (name: Family): void => {
    const [type, help] = FAMILIES[name];
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  const labels = instances.map(labelsOf);
  /** A family with one sample an instance (none where `value` is null). */
  const each = (name: Family, value: (i: InstanceSample) => number | null): void => {
    family(name);
    instances.forEach((i, k) => {
      const v = value(i);
      if (v !== null) out.push(`${name}{${labels[k]}} ${num(v)}`);
    });
  };

  each('tend_service_up', (i) => (i.state === 'running' ? 1 : 0));
  family('tend_service_state');
  instances.forEach((i, k) => out.push(stateBlock(labels[k]!, i.state, states)));
  each('tend_service_restarts_total', (i) => i.restarts);
  each('tend_service_last_exit_code', (i) => i.lastExitCode);
  each('tend_service_cpu_seconds_total', (i) => i.cpuSeconds);
  each('tend_service_memory_bytes', (i) => i.memoryBytes);
  each('tend_service_log_bytes_total', (i) => i.logBytes);
  each('tend_service_start_time_seconds', (i) => i.startTime);
  family('tend_task_runs_total');
  instances.forEach((i, k) => {
    if (!i.task) return;
    out.push(`tend_task_runs_total{${labels[k]},result="completed"} ${i.task.completed}`);
    out.push(`tend_task_runs_total{${labels[k]},result="failed"} ${i.task.failed}`);
  });
  each('tend_task_last_success_time_seconds', (i) => i.task?.lastSuccess ?? null);
  each('tend_task_next_run_time_seconds', (i) => i.task?.nextRun ?? null);

  family('tend_reloads_total');
  out.push(
    `tend_reloads_total{result="applied"} ${daemon.reloads.applied}`,
    `tend_reloads_total{result="rejected"} ${daemon.reloads.rejected}`,
  );
  family('tend_notify_dropped_total');
  for (const [reason, n] of Object.entries(daemon.notifyDropped))
    out.push(`tend_notify_dropped_total{reason="${escapeLabel(reason)}"} ${n}`);
  family('tend_build_info');
  out.push(`tend_build_info{version="${escapeLabel(daemon.version)}",node="${escapeLabel(daemon.node)}"} 1`);
  if (daemon.lastScrapeSeconds !== null) {
    family('tend_metrics_scrape_seconds');
    out.push(`tend_metrics_scrape_seconds ${num(daemon.lastScrapeSeconds)}`);
  }
  out.push('');
  return out.join('\n');
}
