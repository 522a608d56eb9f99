// Everything after YAML: a plain value (from a full parse or from cached blocks) checked against
// the schema and across services, and built into a Spec.
import { dirname, resolve } from 'node:path';
import type { ServiceSpec, Spec } from '../core/types.js';
import { hint } from '../core/did-you-mean.js';
import { MAX_SOCKET_PATH_BYTES as MAX_SOCKET_PATH } from '../core/limits.js';
import { buildService, buildSettings } from './build.js';
import { checkBounds } from './bounds.js';
import { checkDeps, readDeps, type DepEntry } from './deps.js';
import { expected } from './describe.js';
import { readEnvFiles } from './files.js';
import { MAX_INSTANCES, MAX_SERVICES } from './limits.js';
import type { Problems } from './problems.js';
import { PROBE_FORMS, TOP_KEYS, getSchemas, type RawService, type RawSettings } from './schema.js';
import { checkTask } from './tasks.js';

export { MAX_SOCKET_PATH };
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** How validate learns what only the YAML source knows. */
export interface SourceFacts {
  /** service names in file order */
  order(services: Record<string, unknown>): string[];
  /** the umask as written (octal digits), see umaskSource in load.ts */
  umask(name: string, value: unknown): unknown;
}

/** Everything after YAML: the schema, cross-service checks, building the Spec; `cache` holds zod results. */
export function validate(
  raw: unknown,
  file: string,
  problems: Problems,
  cache: Map<string, RawService>,
  facts: SourceFacts,
): Spec {
  const absFile = resolve(file);
  const dir = dirname(absFile);
  if (!isPlainObject(raw)) {
    problems.add([], expected('a mapping with settings and services', raw));
    problems.throwIfAny();
  }
  const top = raw as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!(TOP_KEYS as readonly string[]).includes(key)) problems.unknownKey([], key, TOP_KEYS);

  const { settings: settingsSchema } = getSchemas();
  const settingsResult = settingsSchema.safeParse(top.settings, { reportInput: true });
  if (!settingsResult.success) problems.addIssues(['settings'], settingsResult.error.issues);
  const settings = buildSettings(settingsResult.data as RawSettings | undefined, dir);

  const rawServices = top.services;
  const services: ServiceSpec[] = [];
  const graph = new Map<string, { deps: DepEntry[]; type: unknown }>();
  if (!isPlainObject(rawServices) || Object.keys(rawServices).length === 0) {
    problems.add(['services'], expected('a mapping of service names to services, at least one', rawServices));
  } else {
    const count = Object.keys(rawServices).length;
    if (count > MAX_SERVICES) {
      problems.add(['services'], `${count} services, over the limit of ${MAX_SERVICES}`, { key: true });
    }
    for (const name of facts.order(rawServices)) {
      const value = rawServices[name];
      const at = ['services', name];
      if (!NAME.test(name)) {
        problems.add(at, expected('a service name matching [a-z0-9][a-z0-9_-]{0,62}', name), { key: true });
      }
      if (!isPlainObject(value)) {
        problems.add(at, expected('a mapping with at least a command', value));
        graph.set(name, { deps: [], type: undefined });
        continue;
      }
      graph.set(name, { deps: readDeps(value.depends_on), type: value.type });
      const input = { ...value, umask: facts.umask(name, value.umask) };
      if (input.umask === undefined) delete input.umask;
      checkProbeForms(value, at, problems);
      const env = readEnvFiles(value.env_file, file, dir, at, problems);
      const result = parseService(cache, input);
      if (!result.success) problems.addIssues(at, result.error.issues);
      else {
        const svc = result.data;
        const b = svc.backoff;
        if (b?.initial !== undefined && b.max !== undefined && b.max < b.initial) {
          problems.add(
            [...at, 'backoff', 'max'],
            expected(`at least backoff.initial (${b.initial}ms)`, (value.backoff as Record<string, unknown>).max),
          );
        }
        const schedule = checkTask(value, svc, at, settings, problems);
        const built = buildService(name, svc, dir, env.vars, env.files, schedule, settings.logs);
        checkBounds(built, new Set(Object.keys(svc.env ?? {})), at, problems);
        checkFences(built, at, problems);
        services.push(built);
      }
    }
  }
  const instances = services.reduce((n, s) => n + s.replicas, 0);
  if (instances > MAX_INSTANCES) {
    problems.add(
      ['services'],
      `${instances} instances in all (replicas summed over the services), over the limit of ${MAX_INSTANCES}`,
      { key: true },
    );
  }
  checkDeps(graph, problems);

  const exitWith = isPlainObject(top.settings) ? top.settings.exit_with : undefined;
  if (typeof exitWith === 'string' && exitWith !== '' && isPlainObject(rawServices) && !Object.hasOwn(rawServices, exitWith)) {
    const names = Object.keys(rawServices);
    problems.add(['settings', 'exit_with'], `unknown service ${JSON.stringify(exitWith)}${hint(exitWith, names)}`);
  } else if (typeof exitWith === 'string' && services.some((s) => s.name === exitWith && s.schedule !== undefined)) {
    // a task with a schedule rests in `scheduled` between runs: it never ends for good
    problems.add(
      ['settings', 'exit_with'],
      `${exitWith} is a task with a schedule: it never ends for good (it rests in scheduled between runs), so tend would never exit with it`,
    );
  }
  const notifyBytes = settings.notifySocket === undefined ? 0 : Buffer.byteLength(settings.notifySocket);
  if (notifyBytes > MAX_SOCKET_PATH) {
    problems.add(
      ['settings', 'notify_socket'],
      `notify socket ${settings.notifySocket} is ${notifyBytes} bytes, over the ${MAX_SOCKET_PATH}-byte limit of Unix sockets; set a shorter one`,
    );
  }
  const socketBytes = Buffer.byteLength(settings.socket);
  if (settingsResult.success && socketBytes > MAX_SOCKET_PATH) {
    problems.add(
      ['settings', 'socket'],
      `socket path ${settings.socket} is ${socketBytes} bytes, over the ${MAX_SOCKET_PATH}-byte limit of Unix sockets; set a shorter settings.socket`,
    );
  }
  problems.throwIfAny();
  return { file: absFile, dir, settings, services };
}

// ---- the schema of one service, cached by input ----------------------------------------------

/** The input as a cache key: JSON, with the numbers JSON cannot say (.inf, .nan) spelled out. */
function inputKey(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? `\u0000${x}` : x));
}

/** A service through zod, or its result from `cache` (a reload revalidates none of the unchanged). */
function parseService(
  cache: Map<string, RawService>,
  input: Record<string, unknown>,
): { success: true; data: RawService } | { success: false; error: { issues: Parameters<Problems['addIssues']>[1] } } {
  const key = inputKey(input);
  const hit = cache.get(key);
  if (hit) return { success: true, data: hit };
  const result = getSchemas().service.safeParse(input, { reportInput: true });
  if (!result.success) return { success: false, error: { issues: result.error.issues } };
  if (cache.size > 20_000) cache.clear();
  cache.set(key, result.data as RawService);
  return { success: true, data: result.data as RawService };
}

/** An object read from YAML: a mapping (not a list, not null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Fences that cannot go together. */
function checkFences(svc: ServiceSpec, at: string[], problems: Problems): void {
  const f = svc.fences;
  if (!f) return;
  if (f.userNamespace && (svc.user !== undefined || svc.group !== undefined)) {
    const key = svc.user !== undefined ? 'user' : 'group';
    problems.add(
      [...at, key],
      `${key} cannot go with user_namespace: the service runs as root inside its user namespace (tend's own user outside)`,
    );
  }
  if (f.rlimits?.nofile && svc.limits.nofile !== undefined) {
    problems.add([...at, 'rlimits', 'nofile'], 'limits.nofile is set too; set one of them');
  }
}

/** A probe needs exactly one of exec | tcp | http | log | fd. */
/** A probe needs exactly one of exec | tcp | http | log | fd | notify. */
function checkProbeForms(value: Record<string, unknown>, at: string[], problems: Problems): void {
  for (const which of ['readiness', 'liveness']) {
    if (value[which] === 'notify' && which === 'liveness') {
      // READY=1 comes once; the protocol's liveness is the watchdog
      problems.add([...at, which], 'notify is a readiness form only; for liveness use watchdog: DURATION (WATCHDOG=1 pings)');
      continue;
    }
    const probe = value[which];
    if (!isPlainObject(probe)) continue;
    const forms = PROBE_FORMS.filter((f) => probe[f] !== undefined);
    if (forms.length === 1 && which === 'liveness' && (forms[0] === 'fd' || forms[0] === 'notify')) {
      // the notification fd says "ready" once; it cannot tell that a process went bad later
      const instead = forms[0] === 'fd' ? 'exec, tcp, http or log' : 'watchdog: DURATION (WATCHDOG=1 pings)';
      problems.add([...at, which, forms[0]], `${forms[0]} is a readiness form only; for liveness use ${instead}`);
      continue;
    }
    if (forms.length === 1) continue;
    const got = forms.length === 0 ? 'none' : forms.join(' and ');
    const what = forms.length === 0 ? 'one of' : 'exactly one of';
    problems.add([...at, which], `expected ${what} ${PROBE_FORMS.join(', ')}; got ${got}`);
  }
}
