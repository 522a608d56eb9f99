// What `tend check` says of a service's fences on this machine (README "Sandboxing"): the keys
// that need root when tend is not root, a hard limit above tend's own, user namespaces turned
// off, a root_dir that is not there; and, said by the daemon's journal too, a limits.nofile past
// what can be set and capabilities tend does not hold.
import { readFileSync, statSync } from 'node:fs';
import { CAPABILITIES, FENCE_KEYS, RLIMIT_NAMES, type Fences } from '../core/fences.js';
import type { ServiceSpec } from '../core/types.js';
import type { PathSeg } from './locate.js';

/** The rows of /proc/self/limits in resource order (RLIMIT_CPU = 0 ...), by prlimit name. */
const LIMITS_ROWS = [
  'cpu',
  'fsize',
  'data',
  'stack',
  'core',
  'rss',
  'nproc',
  'nofile',
  'memlock',
  'as',
  'locks',
  'sigpending',
  'msgqueue',
  'nice',
  'rtprio',
  'rttime',
];

/** tend's own hard limits (null: unlimited), from /proc/self/limits. */
export function ownHardLimits(text = readText('/proc/self/limits')): Map<string, number | null> {
  const out = new Map<string, number | null>();
  const rows = text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '');
  rows.forEach((row, i) => {
    const name = LIMITS_ROWS[i];
    const hard = row.slice(26).trim().split(/\s+/)[1]; // "Limit" is 26 wide: soft, hard, units
    if (name && hard !== undefined) out.set(name, hard === 'unlimited' ? null : Number(hard));
  });
  return out;
}

/**
 * Why: `limits.nofile` is set in the child as asked where the kernel lets it, else the soft limit
 * goes up to the hard one it has (tend's own): the service runs with fewer files than the config
 * says. What `tend check` and the journal (once per service) say then, or undefined. With
 * CAP_SYS_RESOURCE (root, unless a container dropped it) the hard limit may go up to the
 * kernel's fs.nr_open; without, not past tend's own.
 */
export function nofileWarning(
  nofile: number,
  canRaise = hasBit(own().effective, CAPABILITIES.indexOf('CAP_SYS_RESOURCE')),
  hard = own().nofile,
  nrOpen = own().nrOpen,
): string | undefined {
  if (hard === undefined || hard === null) return undefined; // unknown, or unlimited
  if (canRaise) {
    if (nrOpen === undefined || nofile <= nrOpen) return undefined;
    return `limits.nofile ${nofile} is over the kernel's fs.nr_open (${nrOpen}): the service gets ${Math.min(nofile, hard)} open files`;
  }
  if (nofile <= hard) return undefined;
  return `limits.nofile ${nofile} is over tend's own hard limit (${hard}), which only CAP_SYS_RESOURCE (root) can raise: the service gets ${hard} open files`;
}

/**
 * Why: a service keeps only the capabilities it names, and only those tend holds itself (its
 * bounding set: a container may have dropped some); one tend lacks the service runs without, with
 * no error. The ones asked that tend lacks, in capability order; none when tend's set is unknown.
 */
export function capabilitiesLacking(asked: readonly string[], bounding = own().bounding): string[] {
  if (bounding === undefined) return [];
  return asked.filter((name) => {
    const bit = (CAPABILITIES as readonly string[]).indexOf(name);
    return bit >= 0 && !hasBit(bounding, bit);
  });
}

/**
 * What `tend check` and the journal say of the capabilities of `f` that tend lacks, or undefined.
 * None with `user_namespace`: the first process of a user namespace holds every capability there.
 */
export function capabilitiesWarning(f: Fences | undefined, bounding?: bigint): string | undefined {
  if (f?.capabilities === undefined || f.userNamespace) return undefined;
  const lacking = capabilitiesLacking(f.capabilities, bounding);
  if (lacking.length === 0) return undefined;
  return `capabilities ${lacking.join(', ')} not held by tend (not in its bounding set): the service runs without ${lacking.length === 1 ? 'it' : 'them'}`;
}

/**
 * What `tend check` and the journal say of an oom_score_adjust that tend may not set, or undefined:
 * below tend's own (the kernel's floor is the value a privileged process last set, which tend's
 * own is at or above) without CAP_SYS_RESOURCE (a non-root tend, or root in a container that
 * dropped it; the kernel asks for it in the first user namespace, so user_namespace does not
 * help). The service then starts with tend's own, as systemd does ("assuming containerized
 * execution").
 */
export function oomWarning(f: Fences | undefined, effective?: bigint, mine?: number): string | undefined {
  const v = f?.oomScoreAdjust;
  // asked at each spawn: /proc is read only for a service that sets it
  if (v === undefined) return undefined;
  const caps = effective ?? own().effective;
  mine ??= ownOomScoreAdj();
  if (caps === undefined || v >= mine || hasBit(caps, CAP_SYS_RESOURCE)) return undefined;
  return `oom_score_adjust ${v} is below tend's own (${mine}), which needs CAP_SYS_RESOURCE, which tend lacks here: the service runs with tend's own`;
}

/** tend's own oom_score_adj (0 when it cannot be read). */
function ownOomScoreAdj(): number {
  const n = Number.parseInt(readText('/proc/self/oom_score_adj'), 10);
  return Number.isFinite(n) ? n : 0;
}

/** What tend may give a service: its own capability sets and nofile hard limit, and fs.nr_open. */
interface Own {
  bounding: bigint | undefined;
  effective: bigint | undefined;
  /** the CPUs tend may run on, as /proc says them (`0-1`) */
  cpus: string | undefined;
  nofile: number | null | undefined;
  nrOpen: number | undefined;
}

let ownRead: Own | undefined;

/** Read once: the daemon asks at each spawn of a service with nofile or capabilities, and they do not change. */
function own(): Own {
  if (ownRead) return ownRead;
  const status = readText('/proc/self/status');
  const set = (name: string): bigint | undefined => {
    const hex = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1];
    return hex === undefined ? undefined : BigInt(`0x${hex}`);
  };
  ownRead = {
    bounding: set('CapBnd'),
    effective: set('CapEff'),
    cpus: /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1],
    nofile: ownHardLimits().get('nofile'),
    nrOpen: Number(readText('/proc/sys/fs/nr_open').trim()) || undefined,
  };
  return ownRead;
}

const hasBit = (caps: bigint | undefined, bit: number): boolean => caps !== undefined && ((caps >> BigInt(bit)) & 1n) === 1n;

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The keys that make a namespace: refused without root unless the service has user_namespace. */
const NAMESPACE_KEYS: (keyof Fences)[] = [
  'privateTmp',
  'readOnlyPaths',
  'inaccessiblePaths',
  'rootDir',
  'hostname',
  'network',
  'privatePids',
];

/** Why user namespaces cannot be made by a non-root user here, or undefined. */
function userNamespacesOff(): string | undefined {
  if (readText('/proc/sys/kernel/unprivileged_userns_clone').trim() === '0') return 'kernel.unprivileged_userns_clone is 0';
  if (readText('/proc/sys/user/max_user_namespaces').trim() === '0') return 'user.max_user_namespaces is 0';
  return undefined;
}

/**
 * The warnings of svc's fences; `uid` is who runs tend, `notifySocket` settings.notify_socket
 * (undefined: the default abstract socket; `@name` one of its own). Each names a fence that
 * would fail the start, or do nothing.
 */
export function fenceWarnings(
  svc: ServiceSpec,
  warn: (path: PathSeg[], message: string) => void,
  uid: number,
  notifySocket?: string,
): void {
  const f = svc.fences;
  if (!f) return;
  const base: PathSeg[] = ['services', svc.name];
  if (svc.readiness?.check.kind === 'notify') {
    // an abstract socket belongs to a network namespace; a path must be in the service's view
    if (f.network === 'none' && (notifySocket === undefined || notifySocket.startsWith('@')))
      warn(
        [...base, 'readiness'],
        "readiness notify cannot reach tend from network: none: the notify socket is an abstract one, which belongs to tend's network; set settings.notify_socket to a path",
      );
    if (f.privateTmp && notifySocket !== undefined && (notifySocket === '/tmp' || notifySocket.startsWith('/tmp/')))
      warn(
        [...base, 'readiness'],
        `readiness notify cannot reach tend's socket ${notifySocket} from a private /tmp; set settings.notify_socket outside /tmp`,
      );
  }
  if (f.cpuAffinity) {
    const { cpus } = own();
    const allowed = cpus === undefined ? undefined : cpuSet(cpus);
    const not = allowed ? f.cpuAffinity.filter((c) => !allowed.has(c)) : [];
    if (not.length)
      warn(
        [...base, 'cpu_affinity'],
        `cpu_affinity ${not.join(', ')}: not ${not.length === 1 ? 'a CPU' : 'CPUs'} tend may run on here (${cpus})${not.length === f.cpuAffinity.length ? ': the start fails' : ''}`,
      );
  }
  rlimitWarnings(f, base, warn, uid);
  if (f.rootDir !== undefined) {
    let dir = false;
    try {
      dir = statSync(f.rootDir).isDirectory();
    } catch {
      // reported below
    }
    if (!dir) warn([...base, 'root_dir'], `root_dir ${f.rootDir} is not a directory on this machine`);
  }
  if (f.network === 'none') {
    // tend probes from its own network namespace: a service alone in its own cannot be reached
    for (const which of ['readiness', 'liveness'] as const) {
      const kind = svc[which]?.check.kind;
      if (kind === 'tcp' || kind === 'http')
        warn(
          [...base, which, kind],
          `a ${kind} probe cannot reach a service with network: none (tend probes from its own network); use an fd, log or exec probe`,
        );
    }
  }
  const lacking = capabilitiesWarning(f);
  if (lacking) warn([...base, 'capabilities'], lacking);
  // a tend that is not root holds no capability
  const oom = oomWarning(f, uid === 0 ? undefined : 0n);
  if (oom) warn([...base, 'oom_score_adjust'], oom);
  if (uid === 0) return;
  const needs = (k: keyof Fences, why: string): void =>
    warn([...base, FENCE_KEYS[k]], `${FENCE_KEYS[k]} needs root (${why}); tend runs as uid ${uid}`);
  if (f.userNamespace) {
    const off = userNamespacesOff();
    if (off) warn([...base, 'user_namespace'], `user_namespace is refused on this machine without root (${off})`);
  } else {
    for (const k of NAMESPACE_KEYS)
      if (f[k] !== undefined) needs(k, 'CAP_SYS_ADMIN to make its namespace; or set user_namespace: true');
    if (f.capabilities) needs('capabilities', 'CAP_SETPCAP to cut the bounding set');
  }
  if (f.nice !== undefined && f.nice < 0) needs('nice', 'CAP_SYS_NICE for a negative nice value');
}

/** CAP_SYS_RESOURCE: raises hard resource limits. */
const CAP_SYS_RESOURCE = 24;

/**
 * rlimits the start cannot set: a hard limit over tend's own without CAP_SYS_RESOURCE (a non-root
 * tend, or root in a container that dropped it), and nofile past the kernel's fs.nr_open (no one).
 */
function rlimitWarnings(f: Fences, base: PathSeg[], warn: (path: PathSeg[], message: string) => void, uid: number): void {
  if (!f.rlimits) return;
  const { effective, nrOpen } = own();
  const raises = uid === 0 && (effective === undefined || hasBit(effective, CAP_SYS_RESOURCE));
  const limits = ownHardLimits();
  for (const name of RLIMIT_NAMES) {
    const want = f.rlimits[name]?.hard;
    if (want === undefined) continue;
    if (name === 'nofile' && nrOpen !== undefined && (want === null || want > nrOpen)) {
      warn(
        [...base, 'rlimits', name],
        `rlimits.nofile ${want ?? 'unlimited'} is over the kernel's fs.nr_open (${nrOpen}): the start fails`,
      );
      continue;
    }
    if (raises || !limits.has(name)) continue;
    const have = limits.get(name)!;
    if (have !== null && (want === null || want > have)) {
      const who = uid === 0 ? 'CAP_SYS_RESOURCE, which tend lacks here' : 'root';
      warn(
        [...base, 'rlimits', name],
        `rlimits.${name} needs ${who}: its hard limit ${want ?? 'unlimited'} is over tend's own (${have})`,
      );
    }
  }
}

/** The CPUs of a list like `0-3,6` (Cpus_allowed_list), or undefined when it cannot be read. */
function cpuSet(list: string): Set<number> | undefined {
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) return undefined;
    for (let c = a; c <= (b ?? a); c++) out.add(c);
  }
  return out;
}
