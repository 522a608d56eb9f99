// The native addon (native/tend.c) behind a typed API, with safe fallbacks when it is not built:
// then nothing is reaped but our own children, peers cannot be checked, and `nativeError` says why.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { signalName } from '../core/signals.js';

/** How a reaped orphan ended. */
export interface OrphanStatus {
  code?: number;
  signal?: string;
}

/** One zombie reaped by reapOrphans. */
export interface Reaped {
  pid: number;
  status: OrphanStatus;
}

/** The kernel-checked identity of a unix socket's peer. */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

interface Addon {
  setChildSubreaper(): boolean;
  reapOrphans(owned: Int32Array | number[], procScan?: boolean): Array<{ pid: number; code?: number; signo?: number }>;
  getPeerCred(fd: number): PeerCred;
  spawn(file: string, argv: string[], env: string[], cwd: string | null, fds: number[], opts: NativeSpawnSetup): number;
  pipe(): [number, number];
  setPipeSize?(fd: number, bytes: number): number;
  frameLines?(chunk: Buffer, done: number, prefix: Buffer, out: Buffer | null, head: number): number;
  openPty?(cols: number, rows: number): [number, number, number];
  trimMalloc?(): boolean;
}

/** Where the addon lives: same relative place from src/spawn and dist/spawn. */
export const addonPath = fileURLToPath(
  new URL('../../native/build/Release/tend_native.node', import.meta.url),
);

function load(): { addon?: Addon; error?: string } {
  try {
    return { addon: createRequire(import.meta.url)(addonPath) as Addon };
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { error: `native addon not loaded from ${addonPath} (${why}); run npm run build:native` };
  }
}

const loaded = load();

/** Why the addon is missing (undefined when it loaded). Callers print it once as a warning. */
export const nativeError: string | undefined = loaded.error;

/** True when the addon loaded. */
export const nativeAvailable = loaded.addon !== undefined;

/** True when the addon can spawn (an addon built before spawn() existed cannot). */
export const nativeSpawnAvailable = typeof loaded.addon?.spawn === 'function';


/** Makes orphaned descendants reparent to us (prctl PR_SET_CHILD_SUBREAPER); false without the addon. */
export function setChildSubreaper(): boolean {
  return loaded.addon?.setChildSubreaper() ?? false;
}

/** How reapOrphans finds our children. */
export interface ReapOptions {
  /** scan every /proc/<pid>/stat instead of /proc/self/task/<tid>/children (the fallback path) */
  procScan?: boolean;
}

/**
 * Reaps our zombie children that are not in `owned` (pids child_process or node-pty still wait
 * for). See native/tend.c for why this never steals an exit status. Without the addon: [].
 */
export function reapOrphans(owned: Int32Array | number[] | Iterable<number>, opts: ReapOptions = {}): Reaped[] {
  if (!loaded.addon) return [];
  const list = owned instanceof Int32Array || Array.isArray(owned) ? owned : Int32Array.from(owned);
  return loaded.addon.reapOrphans(list, opts.procScan === true).map((r) => ({
    pid: r.pid,
    status:
      r.signo !== undefined
        ? { signal: signalName(r.signo) ?? `SIG${r.signo}` }
        : { code: r.code ?? 0 },
  }));
}

/**
 * SO_PEERCRED of a connected unix socket fd (from node: `(socket as any)._handle.fd`).
 * Throws with the reason when the fd is not a socket or the addon is missing.
 */
export function getPeerCred(fd: number): PeerCred {
  if (!loaded.addon) throw new Error(`getPeerCred: ${nativeError}`);
  return loaded.addon.getPeerCred(fd);
}

/** What the child does to itself before it execs (see spawn_process in native/tend.c). */
export interface NativeSpawnSetup {
  /** a new session and process group */
  setsid?: boolean;
  /** join this cgroup (its cgroup.procs file) first, so nothing it forks escapes */
  cgroupProcs?: string;
  /** be born in it (clone3 CLONE_INTO_CGROUP: no migration wait); only for ServiceCgroup.fresh */
  cgroupFresh?: boolean;
  /** RLIMIT_NOFILE (soft and hard; the hard limit caps it when unprivileged) */
  nofile?: number;
  umask?: number;
  /** make fd 0 (a pty slave, see openPty) the controlling terminal of the new session */
  ctty?: boolean;
  /** switch user last (groups as login sets them) */
  uid?: number;
  gid?: number;
}

/** What spawnNative needs. */
export interface NativeSpawnOptions extends NativeSpawnSetup {
  /** full environment of the child */
  env: Record<string, string>;
  cwd?: string;
  /** fd i of the child is a dup of fds[i]; -1 opens /dev/null */
  fds: number[];
}

/**
 * vfork (or clone3 into the cgroup) + exec of `file` (a path, not searched in PATH) with `argv`, the
 * child setting itself up with system calls only (no fork of node, no helper exec). Returns the
 * pid; throws an Error with .code ("ENOENT", ...) on failure. Nothing in node waits for this
 * pid: the reaper must hand its status to a NativeChildren.
 */
export function spawnNative(file: string, argv: string[], o: NativeSpawnOptions): number {
  if (!loaded.addon) throw new Error(`spawnNative: ${nativeError}`);
  const env: string[] = [];
  for (const k in o.env) env.push(`${k}=${o.env[k]}`);
  const { setsid, cgroupProcs, cgroupFresh, ctty, nofile, umask, uid, gid } = o;
  return loaded.addon.spawn(file, argv, env, o.cwd ?? null, o.fds, { setsid, cgroupProcs, cgroupFresh, ctty, nofile, umask, uid, gid });
}

/** True when the addon can open a pty (tty services then do without node-pty). */
export const nativePtyAvailable = typeof loaded.addon?.openPty === 'function';

/**
 * A new pseudo-terminal of cols x rows: [master, slave, master2 (a dup of master, to read what a
 * tty.ReadStream left behind: see open_pty in native/tend.c)], all O_CLOEXEC. Throws the reason.
 */
export function openPtyNative(cols: number, rows: number): [number, number, number] {
  if (!loaded.addon?.openPty) throw new Error(`openPty: ${nativeError ?? 'the addon is older than openPty'}`);
  return loaded.addon.openPty(cols, rows);
}

/** The pipe buffer of a service's output pipes (the kernel default is 64 KiB). */
export const OUTPUT_PIPE_BYTES = 256 * 1024;

/** A pipe whose both ends are O_CLOEXEC: [read, write], its buffer OUTPUT_PIPE_BYTES. */
export function pipeNative(): [number, number] {
  if (!loaded.addon) throw new Error(`pipeNative: ${nativeError}`);
  const p = loaded.addon.pipe();
  setPipeSize(p[0], OUTPUT_PIPE_BYTES);
  return p;
}

/**
 * Grows a pipe's buffer (F_SETPIPE_SZ; see native/tend.c for why). Returns the size the kernel
 * gave, or -1 when it refused or the addon is missing: the pipe then keeps its size.
 */
export function setPipeSize(fd: number, bytes: number): number {
  return loaded.addon?.setPipeSize?.(fd, bytes) ?? -1;
}

/**
 * Where the exit statuses of natively spawned children go: the spawner registers each pid as it
 * spawns it (in the same synchronous step, so the reaper cannot see it first), the reaper's
 * onReap hands every reaped pid to `dispatch`, which calls and forgets the pid's callback.
 */
export class NativeChildren {
  readonly #waiting = new Map<number, (s: OrphanStatus) => void>();

  watch(pid: number, onExit: (s: OrphanStatus) => void): void {
    this.#waiting.set(pid, onExit);
  }

  /** True when `r` was one of ours (its callback has run). */
  dispatch(r: Reaped): boolean {
    const cb = this.#waiting.get(r.pid);
    if (!cb) return false;
    this.#waiting.delete(r.pid);
    cb(r.status);
    return true;
  }

  get size(): number {
    return this.#waiting.size;
  }
}

/**
 * The log hot path in C (see frame_lines in native/tend.c): copies the whole lines of
 * chunk[0, done) to out at head, a prefix before each but the first; with out null, counts them.
 * Undefined without the addon (log-frame.ts then does it in JS).
 */
export const frameLines = loaded.addon?.frameLines;

/** Our live and zombie children (any thread's), from /proc: PID 1 waits for these at shutdown. */
export function childPids(): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const s of readFileSync(`/proc/self/task/${tid}/children`, 'utf8').split(' ')) {
        const pid = Number(s);
        if (s !== '' && Number.isInteger(pid)) out.push(pid);
      }
    } catch {
      // thread gone, or kernel without CONFIG_PROC_CHILDREN
    }
  }
  return out;
}

/** A running reaper, from startReaper. */
export interface Reaper {
  /** orphans reaped so far */
  readonly reaped: number;
  /** reap now (also what each SIGCHLD does); returns what it reaped */
  reapNow(): Reaped[];
  stop(): void;
}

/**
 * Reaps orphans on every SIGCHLD. Node delivers SIGCHLD to JS listeners alongside libuv's own
 * child watcher (both are uv_signal handles; libuv fans the signal out to all of them), so
 * node's 'exit' events keep working. Bursts are coalesced into one scan per event-loop turn
 * (setImmediate), which loses nothing: each scan reaps every zombie present. `owned` is asked
 * at each scan and must hold every pid spawned by child_process/node-pty until its 'exit'.
 */
export function startReaper(
  owned: () => Iterable<number>,
  onReap?: (r: Reaped) => void,
  opts: ReapOptions = {},
): Reaper {
  let count = 0;
  let scheduled: NodeJS.Immediate | undefined;
  let stopped = false;
  const reapNow = (): Reaped[] => {
    scheduled = undefined;
    const got = reapOrphans(owned(), opts);
    count += got.length;
    if (onReap) for (const r of got) onReap(r);
    return got;
  };
  const onSigchld = (): void => {
    if (stopped || scheduled) return;
    scheduled = setImmediate(reapNow);
  };
  if (loaded.addon) {
    process.on('SIGCHLD', onSigchld);
    reapNow(); // zombies that exited before we listened
  }
  return {
    get reaped() {
      return count;
    },
    reapNow,
    stop() {
      stopped = true;
      process.off('SIGCHLD', onSigchld);
      if (scheduled) clearImmediate(scheduled);
      scheduled = undefined;
    },
  };
}

/** Gives the C heap's free pages back to the kernel (glibc malloc_trim); false when nothing was or could be. */
export function trimMalloc(): boolean {
  return loaded.addon?.trimMalloc?.() ?? false;
}
