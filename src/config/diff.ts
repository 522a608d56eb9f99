// What changed between two specs, for hot reload: which instances to add, remove, restart, update.
import { createHash } from 'node:crypto';
import type { InstanceSpec, ScheduleSpec, ServiceSpec, Spec } from '../core/types.js';
import { FENCE_KEYS, type Fences } from '../core/fences.js';
import { expandInstances } from './instances.js';

/** The fields whose change means the process must be restarted (stop_signal is not one; watchdog sets WATCHDOG_USEC). */
export const PROCESS_FIELDS = [
  'command',
  'env',
  'cwd',
  'user',
  'group',
  'umask',
  'tty',
  'limits',
  'fences',
  'type',
  'watchdog',
  'replica',
] as const;
type ProcessField = (typeof PROCESS_FIELDS)[number];

/** Fields that never count as an in-place change: identity, and replica count (seen as added/removed ids). */
const IGNORED = new Set<keyof ServiceSpec>(['name', 'replicas']);

function processValue(inst: InstanceSpec, f: ProcessField): unknown {
  return f === 'replica' ? inst.replica : inst.spec[f];
}

/** JSON with object keys sorted at every level and undefined members dropped. */
function canonical(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
}

/** r[k] when k is r's own key: env names and service names may be `constructor` or `toString`. */
function own(r: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(r, k) ? r[k] : undefined;
}

/** Deep equality of JSON-like values, an undefined member counting as absent (as canonical does). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], bb[i])) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  // own keys only: an env named "constructor" must not meet Object.prototype.constructor
  for (const k of Object.keys(ra)) if (ra[k] !== undefined && !same(ra[k], own(rb, k))) return false;
  for (const k of Object.keys(rb)) if (rb[k] !== undefined && own(ra, k) === undefined) return false;
  return true;
}

/** True when nothing that shapes the process differs (what equal processHash values say, cheaper). */
function sameProcess(a: InstanceSpec, b: InstanceSpec): boolean {
  for (const f of PROCESS_FIELDS) if (!same(processValue(a, f), processValue(b, f))) return false;
  return true;
}

const hashes = new WeakMap<InstanceSpec, string>(); // specs are never changed once built

/** A sha1 over everything that shapes the running process: equal hashes mean no restart is needed. */
export function processHash(inst: InstanceSpec): string {
  let h = hashes.get(inst);
  if (h === undefined) {
    const picked: Record<string, unknown> = {};
    for (const f of PROCESS_FIELDS) picked[f] = processValue(inst, f);
    h = createHash('sha1').update(canonical(picked)).digest('hex');
    hashes.set(inst, h);
  }
  return h;
}

/** The fence keys that differ, as written: `['private_tmp', 'rlimits.nofile']`. */
function changedFences(a: Fences, b: Fences): string[] {
  const out: string[] = [];
  for (const [k, yaml] of Object.entries(FENCE_KEYS) as [keyof Fences, string][]) {
    if (same(a[k], b[k])) continue;
    if (k !== 'rlimits') {
      out.push(yaml);
      continue;
    }
    const ra = (a.rlimits ?? {}) as Record<string, unknown>;
    const rb = (b.rlimits ?? {}) as Record<string, unknown>;
    for (const n of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort())
      if (!same(ra[n], rb[n])) out.push(`rlimits.${n}`);
  }
  return out;
}

/** The process fields that differ, with env, limits and rlimits named per key: `['command', 'env.PORT']`. */
export function changedFields(a: InstanceSpec, b: InstanceSpec): string[] {
  const out: string[] = [];
  for (const f of PROCESS_FIELDS) {
    const va = processValue(a, f);
    const vb = processValue(b, f);
    if (f === 'fences') {
      if (!same(va, vb)) out.push(...changedFences((va ?? {}) as Fences, (vb ?? {}) as Fences));
    } else if (f === 'env' || f === 'limits') {
      const ra = (va ?? {}) as Record<string, unknown>;
      const rb = (vb ?? {}) as Record<string, unknown>;
      const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
      for (const k of keys) if (!same(own(ra, k), own(rb, k))) out.push(`${f}.${k}`);
    } else if (!same(va, vb)) out.push(f);
  }
  return out;
}

/** A spec key as written in tend.yaml: `startLimit` -> `start_limit`, `envFiles` -> `env_file`, `logDir` -> `log_dir`. */
export function yamlKey(k: string): string {
  return k === 'envFiles' ? 'env_file' : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The service fields outside the process ones that differ (restart, probes, deps, ...), named as
 * in the file one level down: `['readiness.interval', 'depends_on.db', 'restart']`.
 */
export function inPlaceFields(a: ServiceSpec, b: ServiceSpec): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof ServiceSpec)[]);
  for (const k of keys) {
    if (IGNORED.has(k) || (PROCESS_FIELDS as readonly string[]).includes(k)) continue;
    const va = withDefault(k, a[k]);
    const vb = withDefault(k, b[k]);
    if (same(va, vb)) continue;
    if (k === 'schedule') {
      out.push(...scheduleKeys(a.schedule, b.schedule));
      continue;
    }
    const name = yamlKey(k);
    if (!isRecord(va) || !isRecord(vb) || k === 'envFiles') {
      out.push(name);
      continue;
    }
    for (const sk of new Set([...Object.keys(va), ...Object.keys(vb)])) {
      if (same(own(va, sk), own(vb, sk))) continue;
      if (sk === 'check') {
        // a probe's form is its key in the file: readiness.tcp, liveness.exec
        const kinds = new Set([own(va, 'check'), own(vb, 'check')].map((c) => (c as { kind: string }).kind));
        for (const kind of kinds) out.push(`${name}.${kind}`);
      } else out.push(`${name}.${k === 'dependsOn' ? sk : yamlKey(sk)}`);
    }
  }
  return out;
}

/** A task key left out reads as its default: removing `every:` does not change `overlap` or `catch_up`. */
function withDefault(k: keyof ServiceSpec, v: unknown): unknown {
  if (k === 'overlap') return v ?? 'skip';
  if (k === 'catchUp') return v ?? false;
  return v;
}

/** The keys of the file behind a change of schedule: `every`, `schedule` (the cron line), `timezone`. */
function scheduleKeys(a: ScheduleSpec | undefined, b: ScheduleSpec | undefined): string[] {
  const key = (x: ScheduleSpec): string => (x.kind === 'every' ? 'every' : 'schedule');
  if (a === undefined || b === undefined || a.kind !== b.kind) {
    return [...new Set([a, b].filter((x) => x !== undefined).map(key))];
  }
  if (a.kind === 'every') return ['every'];
  const out: string[] = [];
  if (a.expr !== (b as typeof a).expr) out.push('schedule');
  if (a.timezone !== (b as typeof a).timezone) out.push('timezone');
  return out;
}

/** The reload plan over instance ids: added, removed, changed (restart), inPlace (update only), unchanged. */
export function diffSpecs(
  old: Spec,
  next: Spec,
): {
  added: string[];
  removed: string[];
  changed: { id: string; fields: string[] }[];
  inPlace: string[];
  unchanged: string[];
} {
  const before = new Map(expandInstances(old).map((i) => [i.id, i]));
  const after = expandInstances(next);
  const afterIds = new Set(after.map((i) => i.id));
  const result = {
    added: [] as string[],
    removed: [...before.keys()].filter((id) => !afterIds.has(id)),
    changed: [] as { id: string; fields: string[] }[],
    inPlace: [] as string[],
    unchanged: [] as string[],
  };
  for (const inst of after) {
    const prev = before.get(inst.id);
    if (!prev) result.added.push(inst.id);
    else if (!sameProcess(prev, inst)) result.changed.push({ id: inst.id, fields: changedFields(prev, inst) });
    else if (inPlaceFields(prev.spec, inst.spec).length > 0) result.inPlace.push(inst.id);
    else result.unchanged.push(inst.id);
  }
  return result;
}
