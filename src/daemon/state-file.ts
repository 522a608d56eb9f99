// The small file next to the socket, `<socket>.state`, that lets a restarted daemon carry on:
// where its cgroup subtree is, and per instance what was wanted (stopped on request, completed)
// and the process that runs (hash of its process spec, main pid, start time, spawn count).
// Trusted only when it is tend's own: a regular file of tend's uid that others cannot write,
// naming a cgroup tend made for this socket; used only in the boot it was written in. Written debounced, through a temp file opened
// O_EXCL | O_NOFOLLOW, renamed over the old one.
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, isAbsolute, normalize } from 'node:path';
import { findCgroup2Mount } from '../cgroup/mount.js';
import { subtreeName } from '../cgroup/tree.js';
import { type Instance, wantsUp } from '../core/instance.js';
import { TRIGGERS, type Trigger } from '../core/types.js';

/** What is kept of one instance: enough to adopt its process or bring back what was wanted. */
export interface StateRecord {
  /** processHash of the spec it ran (or completed) with */
  hash: string;
  want: 'up' | 'down';
  /** its main process, while one runs */
  pid: number | null;
  startedAt: number | null;
  spawns: number;
  /** of the spawns, those that restarted it (absent in files of tend before it: spawns - 1) */
  restarts?: number;
  /** a oneshot that completed: when */
  completedAt?: number;
  /** false while its process had not passed readiness (`starting`); absent: it had, or has none */
  ready?: false;
  /** why its live run started (`tend history` of an adopted run): absent without a process */
  trigger?: Trigger;
}

/** The whole file: who wrote it, when (boot), where its cgroups are, and each instance's record. */
export interface DaemonState {
  version: 2;
  pid: number;
  /** the kernel's boot id: a state from before a reboot has nothing left to carry on */
  boot?: string;
  cgroupRoot: string | null;
  instances: Record<string, StateRecord>;
}

/** `<socket>.state` */
export function stateFileOf(socket: string): string {
  return `${socket}.state`;
}

/**
 * What a start-up found: the state an earlier daemon left; or why it is ignored (not trusted) or
 * stale (from before a reboot); or nothing (no file).
 */
export interface PriorState {
  state?: DaemonState;
  ignored?: string;
  stale?: string;
}

/** This boot's id (/proc/sys/kernel/random/boot_id), or undefined. */
export function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The state an earlier daemon of `socket` left, checked: a regular file owned by `uid`, writable
 * by no one else, naming a cgroup subtree of this socket's (see trustedCgroupRoot). Anything else
 * is ignored with the reason, and nothing is adopted from it.
 */
export function readState(file: string, socket: string, uid: number = process.getuid?.() ?? 0): PriorState {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    return { ignored: code === 'ELOOP' ? `${file} is a symlink` : `cannot read ${file}: ${(e as Error).message}` };
  }
  let text: string;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ignored: `${file} is not a regular file` };
    if (st.uid !== uid) return { ignored: `${file} is owned by uid ${st.uid}, not by tend's uid ${uid}` };
    if (st.mode & 0o022) return { ignored: `${file} may be written by others (mode ${(st.mode & 0o777).toString(8)})` };
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const state = parseState(text);
  if (!state) return { ignored: `${file} is not a state file tend wrote` };
  const boot = bootId();
  if (state.boot !== undefined && boot !== undefined && state.boot !== boot)
    return { stale: `${file} is from before the last boot` };
  if (state.cgroupRoot !== null && !existsSync(state.cgroupRoot)) state.cgroupRoot = null; // removed since: nothing to adopt
  if (state.cgroupRoot !== null) {
    const why = trustedCgroupRoot(state.cgroupRoot, socket, uid);
    if (why) return { ignored: `${file} names the cgroup ${state.cgroupRoot}, which ${why}` };
  }
  return { state };
}

/**
 * Why `root` is not a cgroup subtree tend made for `socket` (undefined when it is): an absolute,
 * normalised path under the cgroup2 mount, named as CgroupTree names this socket's subtree, a
 * directory owned by tend's uid (cgroupfs gives a cgroup to the uid that made it).
 */
export function trustedCgroupRoot(root: string, socket: string, uid: number, mount = findCgroup2Mount()): string | undefined {
  if (!isAbsolute(root) || normalize(root) !== root || root.endsWith('/')) return 'is not a plain absolute path';
  if (mount === undefined || !root.startsWith(`${mount.replace(/\/+$/, '')}/`)) return 'is not under the cgroup2 mount';
  if (basename(root) !== subtreeName(socket)) return `is not named ${subtreeName(socket)} (the subtree of this socket)`;
  try {
    const st = lstatSync(root);
    if (!st.isDirectory()) return 'is not a directory';
    if (st.uid !== uid) return `is owned by uid ${st.uid}, not by tend's uid ${uid}`;
  } catch {
    return 'does not exist';
  }
  return undefined;
}

/** The state of a state file's text (version 1, of tends before 0.2, has only live instances). */
function parseState(text: string): DaemonState | undefined {
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof s !== 'object' || s === null) return undefined;
  const o = s as Record<string, unknown>;
  if ((o.version !== 1 && o.version !== 2) || typeof o.instances !== 'object' || o.instances === null) return undefined;
  if (o.cgroupRoot !== null && typeof o.cgroupRoot !== 'string') return undefined;
  const instances: Record<string, StateRecord> = Object.create(null) as Record<string, StateRecord>;
  for (const [id, r] of Object.entries(o.instances as Record<string, unknown>)) {
    const rec = record(r);
    if (rec) instances[id] = rec;
  }
  const state: DaemonState = { version: 2, pid: typeof o.pid === 'number' ? o.pid : 0, cgroupRoot: o.cgroupRoot, instances };
  if (typeof o.boot === 'string') state.boot = o.boot;
  return state;
}

/** One instance's record, checked field by field (a version-1 record: live, wanted up). */
function record(r: unknown): StateRecord | undefined {
  if (typeof r !== 'object' || r === null) return undefined;
  const x = r as Record<string, unknown>;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null);
  if (typeof x.hash !== 'string') return undefined;
  const rec: StateRecord = {
    hash: x.hash,
    want: x.want === 'down' ? 'down' : 'up',
    pid: num(x.pid),
    startedAt: num(x.startedAt),
    spawns: num(x.spawns) ?? 0,
  };
  const restarts = typeof x.restarts === 'number' && Number.isSafeInteger(x.restarts) && x.restarts >= 0 ? x.restarts : null;
  if (restarts !== null) rec.restarts = restarts;
  const done = num(x.completedAt);
  if (done !== null) rec.completedAt = done;
  if (x.ready === false) rec.ready = false;
  if ((TRIGGERS as readonly unknown[]).includes(x.trigger)) rec.trigger = x.trigger as Trigger;
  return rec;
}

/** Writes the state file: a fresh temp file (never through a link someone left), renamed over it. */
export function writeState(file: string, state: DaemonState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  let fd: number;
  try {
    fd = openSync(tmp, flags, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    unlinkSync(tmp); // left by a tend of the same pid, or planted: the name goes, not what it names
    fd = openSync(tmp, flags, 0o600);
  }
  try {
    writeSync(fd, JSON.stringify(state));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** What is worth keeping of an instance: a live process, a want other than its autostart, a completion. */
export function recordOf(i: Instance, hash: string): StateRecord | undefined {
  const want = wantsUp(i) ? 'up' : 'down';
  const completed = i.state === 'completed';
  if (i.pid === null && !completed && (want === 'up') === i.inst.spec.autostart) return undefined;
  const rec: StateRecord = {
    hash,
    want,
    pid: i.pid,
    startedAt: i.pid === null ? null : (i.startedAt ?? Date.now()),
    spawns: i.spawns,
    restarts: i.restarts,
  };
  if (completed) rec.completedAt = i.since;
  if (i.state === 'starting') rec.ready = false;
  if (i.pid !== null) rec.trigger = i.trigger;
  return rec;
}

/** Keeps the state file in step with the store, at most one write per `delayMs`. */
export function stateWriter(
  file: string,
  snapshot: () => { cgroupRoot: string | null; live: Iterable<Instance>; hash: (i: Instance) => string },
  delayMs = 50,
) {
  let timer: NodeJS.Timeout | undefined;
  const boot = bootId();
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    const { cgroupRoot, live, hash } = snapshot();
    // an own-key record: an id such as `__proto__` stays a record, not a prototype
    const instances: Record<string, StateRecord> = Object.create(null) as Record<string, StateRecord>;
    for (const i of live) {
      const rec = recordOf(i, hash(i));
      if (rec) instances[i.id] = rec;
    }
    try {
      writeState(file, { version: 2, pid: process.pid, boot, cgroupRoot, instances });
    } catch {
      /* the folder went away: a restarted tend just won't find it */
    }
  };
  return {
    touch(): void {
      if (!timer) timer = setTimeout(flush, delayMs);
    },
    flush,
    remove(): void {
      clearTimeout(timer);
      timer = undefined;
      rmSync(file, { force: true });
    },
  };
}
