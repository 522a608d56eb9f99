// The fences of a service (README "Sandboxing"): what of systemd's sandboxing tend applies
// between clone and exec, with the names of its keys, and the words status and `why` show.

/** The PATH of a clean_env service that sets none (systemd's). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Every RLIMIT by its prlimit(1) name. */
export const RLIMIT_NAMES = [
  'as',
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
] as const;
export type RlimitName = (typeof RLIMIT_NAMES)[number];

/** The limits counted in bytes (a size like `512M` reads as one). */
export const RLIMIT_BYTES: ReadonlySet<string> = new Set(['as', 'core', 'data', 'fsize', 'memlock', 'msgqueue', 'rss', 'stack']);

/** One resource limit; null is unlimited. */
export interface Rlimit {
  soft: number | null;
  hard: number | null;
}

/** The capabilities by number, as capabilities(7) lists them (CAP_CHOWN is 0). */
export const CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/** What fences a service in; a key is absent when that fence is off. Paths are absolute. */
export interface Fences {
  rlimits?: Partial<Record<RlimitName, Rlimit>>;
  /** only PATH, HOME/USER/LOGNAME, TERM (tty), TEND_* and the service's own env */
  cleanEnv?: boolean;
  noNewPrivileges?: boolean;
  /** canonical names (CAP_...), in capability order; [] drops them all */
  capabilities?: string[];
  nice?: number;
  oomScoreAdjust?: number;
  cpuAffinity?: number[];
  privateTmp?: boolean;
  /** as the service sees them (inside root_dir) */
  readOnlyPaths?: string[];
  inaccessiblePaths?: string[];
  rootDir?: string;
  hostname?: string;
  network?: 'none';
  privatePids?: boolean;
  userNamespace?: boolean;
}

/** The keys of Fences as written in tend.yaml, in the order of the README. */
export const FENCE_KEYS: Record<keyof Fences, string> = {
  rlimits: 'rlimits',
  cleanEnv: 'clean_env',
  noNewPrivileges: 'no_new_privileges',
  capabilities: 'capabilities',
  nice: 'nice',
  oomScoreAdjust: 'oom_score_adjust',
  cpuAffinity: 'cpu_affinity',
  privateTmp: 'private_tmp',
  readOnlyPaths: 'read_only_paths',
  inaccessiblePaths: 'inaccessible_paths',
  rootDir: 'root_dir',
  hostname: 'hostname',
  network: 'network',
  privatePids: 'private_pids',
  userNamespace: 'user_namespace',
};

/** A limit as prlimit prints it: `1024`, `unlimited`, `1024:4096` when soft and hard differ. */
export function formatRlimit(l: Rlimit): string {
  const one = (n: number | null): string => (n === null ? 'unlimited' : String(n));
  return l.soft === l.hard ? one(l.soft) : `${one(l.soft)}:${one(l.hard)}`;
}

/** The fences as `tend status --json` shows them: the config's keys and values; undefined when none. */
export function fencesJson(f: Fences | undefined): Record<string, unknown> | undefined {
  if (!f) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, yaml] of Object.entries(FENCE_KEYS) as [keyof Fences, string][]) {
    if (f[k] !== undefined) out[yaml] = f[k];
  }
  return Object.keys(out).length ? out : undefined;
}

/** One line for `why`: `rlimits nofile=1024 core=0, clean_env, capabilities CAP_NET_BIND_SERVICE, ...`. */
export function describeFences(f: Fences | undefined): string | undefined {
  if (!f) return undefined;
  const parts: string[] = [];
  for (const [k, yaml] of Object.entries(FENCE_KEYS) as [keyof Fences, string][]) {
    const v = f[k];
    if (v === undefined) continue;
    if (v === true) parts.push(yaml);
    else if (k === 'rlimits') {
      const limits = Object.entries(v as Record<string, Rlimit>).map(([n, l]) => `${n}=${formatRlimit(l)}`);
      parts.push(`rlimits ${limits.join(' ')}`);
    } else if (Array.isArray(v)) parts.push(`${yaml} ${v.length ? v.join(' ') : '(none)'}`);
    else parts.push(`${yaml} ${v}`);
  }
  return parts.length ? parts.join(', ') : undefined;
}
