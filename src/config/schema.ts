// The zod shape of tend.yaml (snake_case, as written). Defaults are filled later, in build.ts.
import * as z from 'zod';
import { ValueError, expected } from './describe.js';
import { hint } from '../core/did-you-mean.js';
import { parseCommand, parseFd, parseFileMode, parseHttpUrl, parseRegex, parseTcp } from './forms.js';
import { parseDuration, parseId, parseSignal, parseSize, parseUmask } from './units.js';
import { setOwn } from './env-file.js';
import { parseAbsolutePaths, parseCapabilities, parseCpuAffinity, parseHostname, parseRlimits } from './fences.js';
import { MAX_INSTANCES, MAX_TIMER_MS } from './limits.js';
import type { PathSeg } from './locate.js';

/** Prefix of the message an unknown-keys issue carries: the allowed keys follow, comma-separated. */
export const UNKNOWN_KEYS = 'unknown-keys:';

/** The enumerations of docs/config.md, used by the schema and its messages. */
export const RESTART_POLICIES = ['always', 'on-failure', 'never'] as const;
export const SERVICE_TYPES = ['simple', 'oneshot'] as const;
export const DEPEND_CONDITIONS = ['started', 'healthy', 'completed'] as const;
export const PROBE_FORMS = ['exec', 'tcp', 'http', 'log', 'fd', 'notify'] as const;
export const OVERLAPS = ['skip', 'queue', 'replace'] as const;

type Report = (message: string, path?: PathSeg[]) => void;

/** A value checked by a hand-written parser that may report several problems. */
function custom<T>(fn: (v: unknown, bad: Report) => T | undefined) {
  return z.unknown().transform((v, ctx): T => {
    let failed = false;
    const out = fn(v, (message, path = []) => {
      failed = true;
      ctx.issues.push({ code: 'custom', message, input: v, path });
    });
    return failed ? z.NEVER : (out as T);
  });
}

/** A value checked by one of the throwing parsers of units.ts / forms.ts. */
function from<T>(parse: (v: unknown) => T, check?: (out: T, v: unknown) => string | undefined) {
  return custom<T>((v, bad) => {
    try {
      const out = parse(v);
      const problem = check?.(out, v);
      if (problem) bad(problem);
      return out;
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      bad(e.message, e.path);
      return undefined;
    }
  });
}

const positive = (words: string) => (n: number, v: unknown) => (n > 0 ? undefined : expected(words, v));
const positiveDuration = () => from(parseDuration, positive('a duration > 0')).optional();
const positiveSize = () => from(parseSize, positive('a size > 0')).optional();
const size = () => from(parseSize).optional();

/** What a timer can wait for: a longer duration would fire at once (and a probe run in a loop). */
const TIMER_WORDS = `a duration of at most 24 days (576h), the longest a timer waits`;
const timerBound = (n: number, v: unknown) => (n > MAX_TIMER_MS ? expected(TIMER_WORDS, v) : undefined);
/** A duration a timer waits for (probe interval, backoff, stop_timeout...): at most MAX_TIMER_MS. */
const timer = () => from(parseDuration, timerBound).optional();
const positiveTimer = () => from(parseDuration, (n, v) => (n > 0 ? timerBound(n, v) : expected('a duration > 0', v))).optional();
const bool = () => z.boolean({ error: (iss) => expected('true or false', iss.input) }).optional();
const text = () =>
  z
    .string({ error: (iss) => expected('a string', iss.input) })
    .min(1, { error: (iss) => expected('a non-empty string', iss.input) })
    .optional();
const int = (min: number) => {
  const error = (iss: { input?: unknown }) => expected(`an integer >= ${min}`, iss.input);
  return z.int({ error }).min(min, { error }).optional();
};
/** An integer from min to max; `why` names what the maximum is. */
const intUpTo = (min: number, max: number, why: string) => {
  const error = (iss: { input?: unknown }) => expected(`an integer >= ${min}`, iss.input);
  const over = (iss: { input?: unknown }) => expected(`an integer <= ${max} (${why})`, iss.input);
  return z.int({ error }).min(min, { error }).max(max, { error: over }).optional();
};
/** An integer from min to max, both ends said in the message. */
const intRange = (min: number, max: number) => {
  const error = (iss: { input?: unknown }) => expected(`an integer from ${min} to ${max}`, iss.input);
  return z.int({ error }).min(min, { error }).max(max, { error }).optional();
};
/** One of `values`; `others` maps what other tools call a value (compose's `restart: no`) to tend's, for the hint. */
const oneOf = <T extends readonly [string, ...string[]]>(values: T, others: Record<string, T[number]> = {}) =>
  z
    .enum(values, {
      error: (iss) => {
        const said = typeof iss.input === 'string' || typeof iss.input === 'boolean' ? String(iss.input) : undefined;
        const other = said === undefined ? undefined : Object.hasOwn(others, said) ? others[said] : undefined;
        const tip =
          other !== undefined ? ` (did you mean "${other}"?)` : typeof iss.input === 'string' ? hint(iss.input, values) : '';
        return expected(`one of ${values.join(', ')}`, iss.input) + tip;
      },
    })
    .optional();

/** A strict mapping; null (a key with everything under it commented out) counts as absent. */
function mapping<S extends z.core.$ZodLooseShape>(shape: S) {
  const keys = Object.keys(shape).join(',');
  const obj = z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? UNKNOWN_KEYS + keys : expected('a mapping', iss.input)),
  });
  return z.preprocess((v) => (v === null ? undefined : v), obj.optional());
}

/** Makes null (a key left empty) count as absent. */
function orNull<S extends z.ZodType>(schema: S) {
  return z.preprocess((v) => (v === null ? undefined : v), schema.optional());
}

const ENV_KEY = /^[^=\0]+$/;

function envMap(v: unknown, bad: Report): Record<string, string> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    bad(expected('a mapping of NAME: value', v));
    return undefined;
  }
  const out: Record<string, string> = Object.create(null); // `__proto__` is a variable name too
  for (const [k, val] of Object.entries(v)) {
    if (!ENV_KEY.test(k)) bad(expected('a variable name without "="', k), [k]);
    else if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') setOwn(out, k, String(val));
    else bad(expected('a string, number or boolean', val), [k]);
  }
  return out;
}

function pathList(v: unknown, bad: Report): string[] | undefined {
  const words = 'a path or a list of paths';
  if (typeof v === 'string' && v !== '') return [v];
  if (!Array.isArray(v) || v.length === 0) {
    bad(expected(words, v));
    return undefined;
  }
  v.forEach((item, i) => {
    if (typeof item !== 'string' || item === '') bad(expected('a path', item), [i]);
  });
  return v as string[];
}

function dependsOn(v: unknown, bad: Report): Record<string, (typeof DEPEND_CONDITIONS)[number]> | undefined {
  const out: Record<string, (typeof DEPEND_CONDITIONS)[number]> = {};
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      if (typeof item === 'string' && item !== '') setOwn(out, item, 'started');
      else bad(expected('a service name', item), [i]);
    });
    return out;
  }
  if (typeof v !== 'object' || v === null) {
    bad(expected('a mapping of service: condition, or a list of services', v));
    return undefined;
  }
  for (const [k, cond] of Object.entries(v)) {
    if ((DEPEND_CONDITIONS as readonly unknown[]).includes(cond)) setOwn(out, k, cond as (typeof DEPEND_CONDITIONS)[number]);
    else {
      const h = typeof cond === 'string' ? hint(cond, DEPEND_CONDITIONS) : '';
      bad(expected(`one of ${DEPEND_CONDITIONS.join(', ')}`, cond) + h, [k]);
    }
  }
  return out;
}

/** settings.pools: `{NAME: N}`, a pool name as a service name is written, N >= 1. */
function poolSizes(v: unknown, bad: Report): Record<string, number> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    bad(expected('a mapping of pool names to sizes, like {backups: 2}', v));
    return undefined;
  }
  const out: Record<string, number> = Object.create(null);
  for (const [k, n] of Object.entries(v)) {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(k)) bad(expected('a pool name matching [a-z0-9][a-z0-9_-]{0,62}', k), [k]);
    else if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) bad(expected('an integer >= 1', n), [k]);
    else setOwn(out, k, n);
  }
  return out;
}

/** `readiness: notify` is short for the form `{notify: true}` (liveness: refused by checkProbeForms). */
function notifyForm(v: unknown): unknown {
  return v === 'notify' ? { notify: true } : v;
}

/** `settings.notify_socket`: a path, or `@name` for an abstract socket. */
function parseNotifyAddress(v: unknown): string {
  const words = 'a socket path, or @name for an abstract socket';
  if (typeof v !== 'string' || v === '' || v === '@') throw new ValueError(expected(words, v));
  return v;
}

function build() {
  const probe = mapping({
    exec: from(parseCommand).optional(),
    tcp: from(parseTcp).optional(),
    http: from(parseHttpUrl).optional(),
    log: from(parseRegex).optional(),
    fd: from(parseFd).optional(),
    notify: z.literal(true, { error: (iss) => expected('true', iss.input) }).optional(),
    interval: positiveTimer(),
    timeout: positiveTimer(),
    initial_delay: timer(),
    failure_threshold: int(1),
  });
  // a service's log rotation, and settings.logs: the same keys, the defaults of every service's
  const logsSchema = mapping({ max_size: size(), keep: int(0), mode: from(parseFileMode).optional() });
  const service = mapping({
    command: from(parseCommand),
    cwd: text(),
    env: orNull(custom(envMap)),
    env_file: orNull(custom(pathList)),
    user: from(parseId).optional(),
    group: from(parseId).optional(),
    umask: from(parseUmask).optional(),
    tty: bool(),
    type: oneOf(SERVICE_TYPES),
    autostart: bool(),
    // what docker compose says for two of them (and YAML 1.1's false)
    restart: oneOf(RESTART_POLICIES, { no: 'never', false: 'never', 'unless-stopped': 'always' }),
    backoff: mapping({
      initial: timer(),
      max: timer(),
      factor: z
        .number({ error: (iss) => expected('a number >= 1', iss.input) })
        .min(1, { error: (iss) => expected('a number >= 1', iss.input) })
        .optional(),
    }),
    start_limit: mapping({ burst: int(1), interval: positiveDuration() }),
    stop_signal: from(parseSignal).optional(),
    stop_timeout: timer(),
    start_timeout: positiveTimer(),
    readiness: z.preprocess(notifyForm, probe),
    liveness: z.preprocess(notifyForm, probe),
    watchdog: positiveTimer(),
    limits: mapping({
      memory: positiveSize(),
      cpu: z
        .number({ error: (iss) => expected('a number of cores > 0', iss.input) })
        .positive({ error: (iss) => expected('a number of cores > 0', iss.input) })
        .optional(),
      pids: int(1),
      nofile: int(1),
    }),
    logs: logsSchema,
    replicas: intUpTo(1, MAX_INSTANCES, 'the limit of instances in all'),
    depends_on: orNull(custom(dependsOn)),
    // the fences (README "Sandboxing"; config/fences.ts)
    rlimits: orNull(custom(parseRlimits)),
    clean_env: bool(),
    no_new_privileges: bool(),
    capabilities: orNull(custom(parseCapabilities)),
    nice: intRange(-20, 19),
    oom_score_adjust: intRange(-1000, 1000),
    cpu_affinity: orNull(custom(parseCpuAffinity)),
    private_tmp: bool(),
    read_only_paths: orNull(custom(parseAbsolutePaths)),
    inaccessible_paths: orNull(custom(parseAbsolutePaths)),
    root_dir: text(),
    hostname: orNull(custom(parseHostname)),
    network: oneOf(['host', 'none'] as const),
    private_pids: bool(),
    user_namespace: bool(),
    // tasks (oneshot): schedule and every are checked with timezone in config/tasks.ts
    schedule: text(),
    timezone: text(),
    every: positiveDuration(),
    overlap: oneOf(OVERLAPS),
    timeout: positiveTimer(),
    catch_up: bool(),
    approval: bool(),
    pool: text(),
  });
  const settings = mapping({
    socket: text(),
    log_dir: text(),
    shutdown_timeout: timer(),
    echo: bool(),
    log_format: oneOf(['text', 'json'] as const),
    watch: bool(),
    exit_with: text(),
    max_parallel: int(1),
    pools: orNull(custom(poolSizes)),
    http: from(parseTcp).optional(),
    notify_socket: from(parseNotifyAddress).optional(),
    logs: logsSchema,
  });
  return { settings, service };
}

let schemas: ReturnType<typeof build> | undefined;

/** The zod schemas, built on first use (keeps importing this module cheap). */
export function getSchemas(): ReturnType<typeof build> {
  schemas ??= build();
  return schemas;
}

/** What zod hands back: snake_case, parsed values, no defaults yet. */
export type RawSettings = NonNullable<z.output<ReturnType<typeof build>['settings']>>;
export type RawService = NonNullable<z.output<ReturnType<typeof build>['service']>>;
export type RawProbe = NonNullable<RawService['readiness']>;

/** The keys a top-level file may have. */
export const TOP_KEYS = ['settings', 'services'] as const;
