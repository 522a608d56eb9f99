// The native addon (native/*.c) behind a typed API. It is built from this tree (npm ci builds
// it) and required: every process tend starts goes through it, and so do the orphan reaper and
// the control socket's peer check. `tend up` refuses to start without it (addonError says why);
// elsewhere a call throws that reason.
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { signalName } from '../core/signals.js';

/** How a child ended: an exit code, or the signal that killed it. */
export interface ExitStatus {
  code?: number;
  signal?: string;
}

/** One zombie child reaped by reap(). */
export interface Reaped {
  pid: number;
  status: ExitStatus;
}

/** The kernel-checked identity of a unix socket's peer. */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/**
 * What the child does to itself between clone and exec, in this order (native/child.c): its own
 * session, join the cgroup, its fds, the controlling terminal, its user namespace's maps, nice,
 * oom_score_adj, affinity, the mounts, chroot, hostname, lo, chdir, RLIMIT_NOFILE, the other
 * limits, umask, the bounding set, groups, gid, uid, ambient capabilities, no_new_privs, default
 * signals, exec. The namespaces are made by the clone. Read in one place by the addon (FIELDS,
 * spawn.c); a fence left out is off.
 */
export interface SpawnRequest {
  /** a path (PATH is not searched) */
  file: string;
  /** argv[0] included; not empty */
  argv: string[];
  /** the full environment of the child */
  env: Record<string, string>;
  cwd?: string;
  /** fd i of the child is a dup of fds[i]; -1 opens /dev/null. Every other fd is closed. */
  fds: number[];
  /** a new session and process group */
  setsid?: boolean;
  /** make fd 0 (a pty slave, see openPty) the controlling terminal of the new session */
  ctty?: boolean;
  /** join this cgroup (its cgroup.procs file) first, so nothing it forks escapes */
  cgroupProcs?: string;
  /** be born in it (clone3 CLONE_INTO_CGROUP: no migration wait); only for ServiceCgroup.fresh */
  cgroupFresh?: boolean;
  /** RLIMIT_NOFILE (soft and hard; the hard limit caps it when unprivileged) */
  nofile?: number;
  umask?: number;
  /** switch user last (groups as login sets them; gid: the user's unless given) */
  uid?: number;
  gid?: number;
  // --- the fences (README "Sandboxing"); a failing one fails the spawn, naming its step
  /** "NAME SOFT HARD" by prlimit name, -1 unlimited; strict (a refused one fails the spawn) */
  rlimits?: string[];
  noNewPrivs?: boolean;
  /** capability numbers kept in the bounding set, and ambient ones for a non-root uid; [] drops all */
  capabilities?: number[];
  nice?: number;
  oomScoreAdj?: number;
  cpus?: number[];
  /** own user namespace: root inside is tend's uid/gid outside */
  userns?: boolean;
  /** own pid namespace, the child its pid 1 */
  pidns?: boolean;
  /** own network namespace, lo up */
  netns?: boolean;
  /** own UTS namespace with this hostname */
  hostname?: string;
  /** own mount namespace (with any of these four): a fresh /proc mounted here */
  procAt?: string;
  /** [source, target]: source bind-mounted over target */
  privateTmp?: [string, string];
  /** bind-remounted read-only, with every mount under them */
  readOnly?: string[];
  /** an empty read-only tmpfs over a directory, /dev/null over a file */
  inaccessible?: string[];
  /** chroot here after the mounts */
  root?: string;
}

/** One datagram read from a notify socket: the kernel-checked sender pid (0: none given). */
export interface NotifyDatagram {
  pid: number;
  /** its length in bytes */
  size: number;
  /** its text; null when it was over NOTIFY_MAX_BYTES (dropped) */
  data: string | null;
}

/** sd_notify messages larger than this are dropped (systemd reads the same 4 KiB). */
export const NOTIFY_MAX_BYTES = 4096;

interface Addon {
  setChildSubreaper(): boolean;
  reap(only: Int32Array | number[] | null, procScan?: boolean): Array<{ pid: number; code?: number; signo?: number }>;
  getPeerCred(fd: number): PeerCred;
  spawn(req: Omit<SpawnRequest, 'env'> & { env: string[] }): number;
  pipe(): [number, number];
  setPipeSize(fd: number, bytes: number): number;
  frameLines: typeof frameLines;
  openPty(cols: number, rows: number): [number, number, number];
  readerOpen(
    fd: number,
    buf: Buffer,
    onData: (n: number) => boolean,
    sibling?: unknown,
    direct?: unknown,
    stream?: 0 | 1,
  ): unknown;
  readerResume(handle: unknown): void;
  directOpen(onEvent: (kind: number) => void, stats: Float64Array, tailLines: number, tailBytes: number): unknown;
  directOn(handle: unknown, fd: number, room: number, partOut?: Buffer | null, partErr?: Buffer | null): void;
  directSync(handle: unknown, withTail: boolean): Buffer | null;
  directOff(handle: unknown): [Buffer | null, Buffer | null];
  directLeft(handle: unknown): Buffer | null;
  directClose(handle: unknown): void;
  trimMalloc(): boolean;
  dropCodePages(): number;
  reduceMemory(): void;
  notifyOpen(address: string, onMessages: (msgs: NotifyDatagram[]) => void): unknown;
  notifyClose(handle: unknown): void;
  notifySend(address: string, text: string): void;
  procStat(pid: number | Held, out: Float64Array): boolean;
  readPids(path: string | Held, out: Int32Array): number;
}

/** Where the addon lives: same relative place from src/sys and dist/sys. */
export const addonPath = fileURLToPath(new URL('../../native/build/Release/tend_native.node', import.meta.url));

/** tend-init (native/init.c), built beside the addon: pid 1 of a private_pids service's namespace. */
export const initPath = fileURLToPath(new URL('../../native/build/Release/tend-init', import.meta.url));

function load(): { addon?: Addon; error?: string } {
  try {
    return { addon: createRequire(import.meta.url)(addonPath) as Addon };
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { error: `the native addon is not loaded from ${addonPath} (${why}); run npm run build:native` };
  }
}

const loaded = load();

/** Why the addon did not load (undefined when it did): `tend up` prints it and exits 2. */
export const addonError: string | undefined = loaded.error;

function addon(): Addon {
  if (!loaded.addon) throw new Error(addonError);
  return loaded.addon;
}

/** Makes orphaned descendants reparent to us (prctl PR_SET_CHILD_SUBREAPER). */
export function setChildSubreaper(): boolean {
  return addon().setChildSubreaper();
}

/** How reap finds every child. */
export interface ReapOptions {
  /** find them in every /proc/<pid>/stat (ppid us, state Z) instead of waitpid(-1) until none is left (native/reap.c) */
  procScan?: boolean;
}

/**
 * Reaps zombie children: those in `only`, or every one (undefined). See native/reap.c for why a
 * list exists: a host of other children must not lose their exit statuses to us.
 */
export function reap(only: Int32Array | number[] | undefined, opts: ReapOptions = {}): Reaped[] {
  return addon()
    .reap(only ?? null, opts.procScan === true)
    .map((r) => ({
      pid: r.pid,
      status: r.signo !== undefined ? { signal: signalName(r.signo) ?? `SIG${r.signo}` } : { code: r.code ?? 0 },
    }));
}

/** SO_PEERCRED of a connected unix socket fd (from node: `(socket as any)._handle.fd`). */
export function getPeerCred(fd: number): PeerCred {
  return addon().getPeerCred(fd);
}

/**
 * vfork (or clone3 into the cgroup) + the child's set-up + exec (native/spawn.c, child.c).
 * Returns the pid; throws an Error with .code ("ENOENT", ...) and .step (the set-up step that
 * failed) otherwise. Nothing in node waits for this pid: the caller's reaper must (spawn/children.ts).
 */
export function spawnProcess(req: SpawnRequest): number {
  const env: string[] = [];
  for (const k in req.env) env.push(`${k}=${req.env[k]}`);
  return addon().spawn({ ...req, env });
}

/**
 * A new pseudo-terminal of cols x rows: [master, slave, master2 (a dup of master, to read what a
 * tty.ReadStream left behind: see native/pty.c)], all O_CLOEXEC. Throws the reason.
 */
export function openPty(cols: number, rows: number): [number, number, number] {
  return addon().openPty(cols, rows);
}

/**
 * The pipe buffer of a service's output pipes (the kernel default is 64 KiB); one that tend finds
 * full grows to 1 MiB (native/reader.c grow_if_full).
 */
export const OUTPUT_PIPE_BYTES = 256 * 1024;

/** A pipe whose both ends are O_CLOEXEC: [read, write], its buffer OUTPUT_PIPE_BYTES. */
export function pipe(): [number, number] {
  const p = addon().pipe();
  setPipeSize(p[0], OUTPUT_PIPE_BYTES);
  return p;
}

/** Grows a pipe's buffer (F_SETPIPE_SZ; see native/misc.c for why): the size given, or -1 (kept). */
export function setPipeSize(fd: number, bytes: number): number {
  return addon().setPipeSize(fd, bytes);
}

/** A pipe's buffer size (F_GETPIPE_SZ), or -1 when fd is not a pipe. */
export function pipeSize(fd: number): number {
  return addon().setPipeSize(fd, 0);
}

/**
 * The log hot path in C (see native/frame.c): copies the whole lines of chunk[0, done) to out at
 * head, a prefix before each but the first; with out null, counts them, noting in `ends` (as many
 * as it holds) the offset after each line's newline. Framing given those ends and their count
 * (`lines`, at most ends.length) reads the line ends from there, not from a second scan.
 */
export function frameLines(
  chunk: Buffer,
  done: number,
  prefix: Buffer,
  out: Buffer | null,
  head: number,
  ends?: Uint32Array,
  lines?: number,
): number {
  return addon().frameLines(chunk, done, prefix, out, head, ends, lines);
}

/** A pipe's read end being read (openReader). */
export interface Reader {
  /** reads again after onData returned false */
  resume(): void;
  /** the addon's handle (for a sibling) */
  readonly handle: unknown;
}

/**
 * Reads fd (a pipe's read end, made non-blocking) on the event loop into `buf`, reused for every
 * read (native/reader.c): onData(n) for n bytes in buf[0, n), to be used before it returns;
 * false pauses the reads until resume(). onData(0) once at the end (EOF or an error); the fd is
 * closed then. sibling: the reader of the same process's other output pipe, read first when this
 * one turns readable while it is paused (native/reader.c end_sibling_pause). Hold the Reader
 * while it reads: once it is collected, its finalizer closes the pipe.
 */
export function openReader(
  fd: number,
  buf: Buffer,
  onData: (n: number) => boolean,
  sibling?: Reader,
  direct?: { path: DirectPath; stream: 0 | 1 },
): Reader {
  const a = addon();
  const handle = a.readerOpen(fd, buf, onData, sibling?.handle, direct?.path.handle, direct?.stream);
  return { handle, resume: () => a.readerResume(handle) };
}

/** What DirectPath.sync reports, since the last sync. */
export interface DirectFigures {
  /** bytes written to the file */
  bytes: number;
  /** lines framed */
  lines: number;
  /** bytes read from the pipes */
  raw: number;
  /** the time of the last line framed (ms since the epoch; -1: none ever), and how many lines had it */
  lastMs: number;
  same: number;
  /** a write took over 50 ms (the file is handed back for good) */
  slow: boolean;
  /** the errno of a write that failed (0: none) */
  errno: number;
  /** the last framed lines (the tail's limits), null: none */
  tail: Buffer | null;
}

/**
 * The direct path of a service's log (native/direct.c, docs/logs.md): while on, its pipes' reads
 * are framed and written to the file in C, not handed to JS. onEvent(1): figures are waiting
 * (sync); onEvent(2): the path turned itself off (a rotation is due, a write failed or was slow):
 * sync, off, and left.
 */
export interface DirectPath {
  readonly handle: unknown;
  /**
   * Writes go to fd; room: bytes the file may take before its rotation (-1: no limit); the
   * partial lines of stdout and stderr so far, which the next reads complete.
   */
  on(fd: number, room: number, partOut?: Buffer, partErr?: Buffer): void;
  /** withTail false: the tail's lines stay in C (tail: null) until a sync that takes them */
  sync(withTail: boolean): DirectFigures;
  /** stops the writes; the partial lines of stdout and stderr */
  off(): [Buffer | null, Buffer | null];
  /** framed lines a failed write left, null: none */
  left(): Buffer | null;
  /** done with: no writes, no more onEvent (which would keep its log alive) */
  close(): void;
}

export function openDirect(onEvent: (kind: number) => void, tailLines: number, tailBytes: number): DirectPath {
  const a = addon();
  const stats = new Float64Array(7);
  const handle = a.directOpen(onEvent, stats, tailLines, tailBytes);
  return {
    handle,
    on: (fd, room, partOut, partErr) => a.directOn(handle, fd, room, partOut ?? null, partErr ?? null),
    sync: (withTail) => {
      const tail = a.directSync(handle, withTail);
      return {
        bytes: stats[0]!,
        lines: stats[1]!,
        raw: stats[2]!,
        lastMs: stats[3]!,
        same: stats[4]!,
        slow: stats[5] === 1,
        errno: stats[6]!,
        tail,
      };
    },
    off: () => a.directOff(handle),
    left: () => a.directLeft(handle),
    close: () => a.directClose(handle),
  };
}

/** Gives the C heap's free pages back to the kernel (glibc malloc_trim); false when nothing was or could be. */
export function trimMalloc(): boolean {
  return addon().trimMalloc();
}

/** Forgets the mappings of code and read-only data from files (native/misc.c); the bytes they held. */
export function dropCodePages(): number {
  return addon().dropCodePages();
}

/**
 * A full garbage collection that gives V8's freed pages back, as its memory reducer would (a
 * critical memory pressure notification, native/gc.cc), where `gc()` keeps them pooled.
 */
export function reduceMemory(): void {
  addon().reduceMemory();
}

/**
 * Binds a unix datagram socket at `address` ("/path" or "@abstract") with SO_PASSCRED and reads
 * it on the event loop (native/notify.c); file descriptors a message carries are closed. The
 * socket keeps no process alive. Throws with .code (EADDRINUSE, ...) when it cannot bind.
 */
export function openNotify(address: string, onMessages: (msgs: NotifyDatagram[]) => void): { close(): void } {
  const a = addon();
  const handle = a.notifyOpen(address, onMessages);
  let open = true;
  return {
    close() {
      if (open) a.notifyClose(handle);
      open = false;
    },
  };
}

/** Sends one sd_notify datagram to `address` ("/path" or "@abstract"). Throws the reason. */
export function sendNotify(address: string, text: string): void {
  addon().notifySend(address, text);
}

/**
 * A descriptor held open on a file the kernel makes (/proc/PID/stat, cgroup.procs), read again
 * from offset 0 at each sample: the open and close are two thirds of a read (native/proc.c).
 */
export interface Held {
  readonly fd: number;
}

/** Opens `path` to be read again and again; undefined when it cannot be (gone, or no fd left). */
export function hold(path: string): Held | undefined {
  try {
    return { fd: openSync(path, 'r') };
  } catch {
    return undefined;
  }
}

/** Closes what hold opened. */
export function letGo(h: Held): void {
  try {
    closeSync(h.fd);
  } catch {
    // already closed
  }
}

/**
 * /proc/PID/stat (of a pid, or held open) read and parsed in C (native/proc.c): out = [utime +
 * stime, cutime + cstime, starttime (ticks), rss (pages)]; false when the pid is gone.
 */
export function procStat(pid: number | Held, out: Float64Array): boolean {
  return addon().procStat(pid, out);
}

let pidBuf = new Int32Array(256);

/**
 * The pids listed in a cgroup.procs file (by path, or held open), read and parsed in C
 * (native/proc.c); undefined when the file cannot be read.
 */
export function readPids(path: string | Held): number[] | undefined {
  const a = addon();
  let n = a.readPids(path, pidBuf);
  if (n > pidBuf.length) {
    pidBuf = new Int32Array(n * 2);
    n = a.readPids(path, pidBuf);
  }
  return n < 0 ? undefined : Array.from(pidBuf.subarray(0, Math.min(n, pidBuf.length)));
}
