// The fence keys of a service as written (README "Sandboxing"): their value parsers, and the
// Fences a raw service builds into.
import { isAbsolute, normalize, resolve } from 'node:path';
import { CAPABILITIES, RLIMIT_BYTES, RLIMIT_NAMES, type Fences, type Rlimit, type RlimitName } from '../core/fences.js';
import { hint } from '../core/did-you-mean.js';
import { expected } from './describe.js';
import { parseSize } from './units.js';
import type { PathSeg } from './locate.js';

type Report = (message: string, path?: PathSeg[]) => void;

/** The largest limit tend passes on (2^53-1); `unlimited` is the kernel's infinity. */
const MAX_LIMIT = Number.MAX_SAFE_INTEGER;

/** One limit value: a number, a size for the byte limits, or `unlimited` (null). */
function limitValue(name: string, v: unknown, bad: Report, at: PathSeg[]): number | null | undefined {
  const words = RLIMIT_BYTES.has(name) ? 'an integer >= 0, a size like 512M, or unlimited' : 'an integer >= 0 or unlimited';
  if (v === 'unlimited' || v === 'infinity') return null;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_LIMIT) return v;
  if (typeof v === 'string' && RLIMIT_BYTES.has(name)) {
    try {
      const n = parseSize(v);
      if (n <= MAX_LIMIT) return n;
    } catch {
      // reported below
    }
  }
  bad(expected(words, v), at);
  return undefined;
}

/** `rlimits:` a mapping of prlimit names to a limit or `{soft, hard}`. */
export function parseRlimits(v: unknown, bad: Report): Partial<Record<RlimitName, Rlimit>> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    bad(expected(`a mapping of limits (${RLIMIT_NAMES.join(' ')})`, v));
    return undefined;
  }
  const out: Partial<Record<RlimitName, Rlimit>> = {};
  for (const [name, val] of Object.entries(v)) {
    if (!(RLIMIT_NAMES as readonly string[]).includes(name)) {
      bad(`unknown limit ${JSON.stringify(name)}; expected one of ${RLIMIT_NAMES.join(', ')}${hint(name, RLIMIT_NAMES)}`, [name]);
      continue;
    }
    if (typeof val === 'object' && val !== null && !Array.isArray(val)) {
      const o = val as Record<string, unknown>;
      const extra = Object.keys(o).filter((k) => k !== 'soft' && k !== 'hard');
      if (extra.length) {
        bad(`unknown key ${JSON.stringify(extra[0])}: a limit is a value or {soft, hard}${hint(extra[0]!, ['soft', 'hard'])}`, [
          name,
          extra[0]!,
        ]);
        continue;
      }
      if (o.soft === undefined || o.hard === undefined) {
        // said by name: "got a mapping" left the reader to guess which half was missing
        bad(`${o.soft === undefined ? 'soft' : 'hard'} is missing: a limit is a value or {soft, hard}`, [name]);
        continue;
      }
      const soft = limitValue(name, o.soft, bad, [name, 'soft']);
      const hard = limitValue(name, o.hard, bad, [name, 'hard']);
      if (soft === undefined || hard === undefined) continue;
      if (hard !== null && (soft === null || soft > hard)) {
        bad(`the soft limit is over the hard one (${soft ?? 'unlimited'} > ${hard})`, [name, 'soft']);
        continue;
      }
      out[name as RlimitName] = { soft, hard };
    } else {
      const n = limitValue(name, val, bad, [name]);
      if (n !== undefined) out[name as RlimitName] = { soft: n, hard: n };
    }
  }
  return out;
}

/** `capabilities:` CAP_NET_BIND_SERVICE or net_bind_service, each; the canonical names in order. */
export function parseCapabilities(v: unknown, bad: Report): string[] | undefined {
  if (!Array.isArray(v)) {
    bad(expected('a list of capabilities like CAP_NET_BIND_SERVICE', v));
    return undefined;
  }
  const names = new Set<string>();
  v.forEach((item, i) => {
    const name =
      typeof item === 'string'
        ? item
            .trim()
            .toUpperCase()
            .replace(/^(CAP_)?/, 'CAP_')
        : '';
    if ((CAPABILITIES as readonly string[]).includes(name)) names.add(name);
    else
      bad(expected('a capability like CAP_NET_BIND_SERVICE', item) + (typeof item === 'string' ? hint(name, CAPABILITIES) : ''), [
        i,
      ]);
  });
  return CAPABILITIES.filter((c) => names.has(c));
}

/** The highest CPU number the kernel's affinity mask takes (CPU_SETSIZE - 1). */
const MAX_CPU = 1023;

/** `cpu_affinity:` a list of CPUs, or a string like "0-3,6"; sorted, each once. */
export function parseCpuAffinity(v: unknown, bad: Report): number[] | undefined {
  const words = `CPU numbers 0..${MAX_CPU}: a list, or a string like "0-3,6"`;
  const cpus = new Set<number>();
  const one = (n: unknown, at: PathSeg[]): void => {
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_CPU) cpus.add(n);
    else bad(expected(words, n), at);
  };
  if (typeof v === 'number') one(v, []);
  else if (Array.isArray(v) && v.length) v.forEach((n, i) => one(n, [i]));
  else if (typeof v === 'string' && /^\s*\d+(-\d+)?(\s*,\s*\d+(-\d+)?)*\s*$/.test(v)) {
    for (const part of v.split(',')) {
      const [a, b] = part.trim().split('-').map(Number) as [number, number | undefined];
      if (b !== undefined && b < a) bad(expected(words, v));
      for (let c = a; c <= (b ?? a) && c <= MAX_CPU + 1; c++) one(c, []);
    }
  } else bad(expected(words, v));
  return [...cpus].sort((a, b) => a - b);
}

/** `read_only_paths:` / `inaccessible_paths:` absolute paths (as the service sees them), normalized. */
export function parseAbsolutePaths(v: unknown, bad: Report): string[] | undefined {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) {
    bad(expected('an absolute path or a list of them', v));
    return undefined;
  }
  const out: string[] = [];
  list.forEach((p, i) => {
    if (typeof p === 'string' && isAbsolute(p) && !p.includes('\0')) out.push(normalize(p).replace(/(.)\/$/, '$1'));
    else bad(expected('an absolute path', p), typeof v === 'string' ? [] : [i]);
  });
  return out;
}

/** `hostname:` what sethostname takes: 1..64 letters, digits, dots and dashes. */
export function parseHostname(v: unknown, bad: Report): string | undefined {
  if (typeof v === 'string' && /^[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$/.test(v)) return v;
  bad(expected('a hostname (letters, digits, dots and dashes; at most 64)', v));
  return undefined;
}

/** The fence keys of a service, after zod. */
export interface RawFences {
  rlimits?: Partial<Record<RlimitName, Rlimit>>;
  clean_env?: boolean;
  no_new_privileges?: boolean;
  capabilities?: string[];
  nice?: number;
  oom_score_adjust?: number;
  cpu_affinity?: number[];
  private_tmp?: boolean;
  read_only_paths?: string[];
  inaccessible_paths?: string[];
  root_dir?: string;
  hostname?: string;
  network?: 'host' | 'none';
  private_pids?: boolean;
  user_namespace?: boolean;
}

/** The Fences of a raw service (root_dir made absolute against the config folder); undefined when none. */
export function buildFences(raw: RawFences, dir: string): Fences | undefined {
  const f: Fences = {};
  if (raw.rlimits && Object.keys(raw.rlimits).length) f.rlimits = raw.rlimits;
  if (raw.clean_env) f.cleanEnv = true;
  if (raw.no_new_privileges) f.noNewPrivileges = true;
  if (raw.capabilities) f.capabilities = raw.capabilities;
  if (raw.nice !== undefined) f.nice = raw.nice;
  if (raw.oom_score_adjust !== undefined) f.oomScoreAdjust = raw.oom_score_adjust;
  if (raw.cpu_affinity?.length) f.cpuAffinity = raw.cpu_affinity;
  if (raw.private_tmp) f.privateTmp = true;
  if (raw.read_only_paths) f.readOnlyPaths = raw.read_only_paths;
  if (raw.inaccessible_paths) f.inaccessiblePaths = raw.inaccessible_paths;
  if (raw.root_dir !== undefined) f.rootDir = resolve(dir, raw.root_dir);
  if (raw.hostname !== undefined) f.hostname = raw.hostname;
  if (raw.network === 'none') f.network = 'none';
  if (raw.private_pids) f.privatePids = true;
  if (raw.user_namespace) f.userNamespace = true;
  return Object.keys(f).length ? f : undefined;
}
