// The Spawner of real processes, each service in its own session and process group, optionally
// inside its own cgroup: the addon's spawn (pipes, or its own pty for tty services) with exits from
// the reaper; without the addon, child_process (and node-pty for tty services).
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import { accessSync, closeSync, constants, readSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { ReadStream as TtyReadStream } from 'node:tty';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type {
  OutputSink,
  ProcessHandle,
  SpawnHooks,
  SpawnOptions,
  Spawner,
  Stream,
} from '../core/spawner.js';
import type { Exit, InstanceSpec } from '../core/types.js';
import { execPrefix } from './cgroup-exec.js';
import type { ServiceCgroup } from '../cgroup/service.js';
import { processGroupAlive } from './pty.js';
import { killQuiet, pidAlive } from '../sys/proc.js';
import { type NativeChildren, type NativeSpawnSetup, OUTPUT_PIPE_BYTES, type OrphanStatus, nativePtyAvailable, openPtyNative, pipeNative, setPipeSize, spawnNative } from '../sys/addon.js';
import { lookupGroup, lookupUser } from '../sys/users.js';

/** How a service's processes are held together: its cgroup, else its process group. */
interface Containment {
  signalAll(signal: string): void;
  alive(): boolean;
  drained(): Promise<void>;
  pids(): number[];
}

export interface ProcessSpawnerOptions {
  /** the cgroup of an instance (created empty), or undefined to use its process group */
  cgroupFor?(inst: InstanceSpec): ServiceCgroup | undefined;
  /** pids that node owns (child_process / node-pty): the orphan reaper must never touch them */
  owned: Set<number>;
  /** node-pty spawner for `tty: true` services */
  spawnPty?: typeof import('./pty.js').spawnPty;
  /**
   * Spawn with the addon (vfork or clone3, no fork of node: several times cheaper per service)
   * and take exit statuses from the orphan reaper, which must hand each reaped pid to
   * `native.dispatch`. Without it: child_process, and node-pty for tty services.
   */
  native?: NativeChildren;
}

/** The argv of a service: a string runs under /bin/sh -c, a list is exec'd directly. */
export function commandArgv(command: string | string[]): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
}

/** Process-group containment: the service leader's pid is its pgid (setsid). */
function processGroup(pid: () => number | undefined): Containment {
  const alive = (): boolean => {
    const p = pid();
    return p !== undefined && processGroupAlive(p);
  };
  return {
    signalAll(signal) {
      const p = pid();
      if (!p) return;
      killQuiet(-p, signal);
    },
    alive,
    drained() {
      // No event tells when a process group empties; a short poll while stopping only.
      return new Promise((resolve) => {
        const tick = (): void => {
          if (!alive()) resolve();
          else setTimeout(tick, 20).unref();
        };
        tick();
      });
    },
    pids: () => {
      const p = pid();
      return p !== undefined && alive() ? [p] : [];
    },
  };
}

/**
 * cgroup containment: every process of the service, double-forked ones included. Once the main
 * process has exited, a next run may share the cgroup: the old handle then acts only on the
 * leftovers it saw at that exit (`leftovers()`), never on the new run.
 */
export function cgroupContainment(
  cg: ServiceCgroup,
  pid: () => number | undefined,
  leftovers: () => number[] | undefined = () => undefined,
): Containment {
  return {
    signalAll: (sig) => {
      const left = leftovers();
      if (left) {
        for (const p of left) killQuiet(p, sig);
        return;
      }
      // the process group too: a stop within ms of the spawn may come before tend-exec joined
      const p = pid();
      if (p !== undefined) killQuiet(-p, sig);
      if (sig === 'SIGKILL') cg.kill();
      else cg.signalAll(sig);
    },
    alive: () => {
      const left = leftovers();
      return left ? left.some((p) => pidAlive(p)) : cg.populated();
    },
    drained: () => new Promise((resolve) => cg.onEmpty(resolve)),
    pids: () => leftovers() ?? cg.pids(),
  };
}

/**
 * Where a command name without a slash is found in PATH, like execvp. Found paths are cached per
 * PATH (a later exec of a vanished one fails with ENOENT, as it should); misses are not, so a
 * program installed after a failed start is found at the next one.
 */
const pathCache = new Map<string, string>();
export function findInPath(file: string, path: string | undefined): string | undefined {
  if (file.includes('/')) return file;
  const dirs = path ?? '/usr/local/bin:/usr/bin:/bin';
  const key = `${dirs}\0${file}`;
  const hit = pathCache.get(key);
  if (hit !== undefined) return hit;
  for (const dir of dirs.split(':')) {
    const p = join(dir || '.', file);
    try {
      accessSync(p, constants.X_OK);
      if (!statSync(p).isFile()) continue;
    } catch {
      continue; // not here
    }
    if (pathCache.size > 1000) pathCache.clear();
    pathCache.set(key, p);
    return p;
  }
  return undefined;
}

function exitOfStatus(s: OrphanStatus): Exit {
  return s.signal ? { kind: 'signaled', signal: s.signal } : { kind: 'exited', code: s.code ?? 0 };
}

function exitOf(code: number | null, signal: NodeJS.Signals | null): Exit {
  if (signal) return { kind: 'signaled', signal };
  return { kind: 'exited', code: code ?? 0 };
}

/** Gives a child_process pipe the buffer of pipeNative's (a chatty service runs on while we read). */
export function growPipe(stream: Readable | null): void {
  const fd = (stream as unknown as { _handle?: { fd?: number } } | null)?._handle?.fd;
  if (typeof fd === 'number' && fd >= 0) setPipeSize(fd, OUTPUT_PIPE_BYTES);
}

/** Calls notify once, at the first newline read from the readiness fd (the `fd` probe). */
function watchNotify(stream: Readable | null, notify: (() => void) | undefined): void {
  if (!stream || !notify) return;
  let told = false;
  stream.on('data', (c: Buffer) => {
    if (!told && c.includes(10)) {
      told = true;
      notify();
    }
  });
  stream.on('error', () => {});
}

/** What a native spawn gets from ProcessSpawner.spawn. */
interface NativeRun {
  native: NativeChildren;
  argv: string[];
  o: { cwd: string; env: Record<string, string>; setup: NativeSpawnSetup };
  hooks: SpawnHooks;
  contain: Containment;
  /** the main process ended (before `finish`) */
  exited(): void;
  finish(e: Exit): void;
  /** a spawn error, reported after spawn returns */
  fail(message: string): undefined;
  started(pid: number): void;
}

/** The handle of a natively spawned process; its exit comes from the reaper through `native`. */
function nativeHandle(r: NativeRun, pid: number): ProcessHandle {
  let gone = false;
  r.native.watch(pid, (status) => {
    gone = true;
    r.exited();
    r.finish(exitOfStatus(status));
  });
  return {
    pid,
    signal(sig) {
      if (!gone) killQuiet(pid, sig);
    },
    ...r.contain,
  };
}

function pipeTo(stream: Readable | null, name: Stream, sink: OutputSink): void {
  if (!stream) return;
  stream.on('data', (chunk: Buffer) => {
    if (!sink.write(name, chunk)) {
      stream.pause();
      sink.onDrain(() => stream.resume());
    }
  });
  stream.on('error', () => {});
}

export class ProcessSpawner implements Spawner {
  constructor(private readonly opts: ProcessSpawnerOptions) {}

  spawn(inst: InstanceSpec, o: SpawnOptions, hooks: SpawnHooks): ProcessHandle | undefined {
    const spec = inst.spec;
    let done = false;
    const finish = (e: Exit): void => {
      if (done) return;
      done = true;
      hooks.exit(e);
    };
    const fail = (message: string): undefined => {
      queueMicrotask(() => finish({ kind: 'spawn-error', message }));
      return undefined;
    };

    const env = { ...o.env };
    let uid: number | undefined;
    let gid: number | undefined;
    // (uid/gid go to tend-exec when it runs first; else to spawn)
    try {
      if (spec.user !== undefined) {
        const u = lookupUser(spec.user);
        uid = u.uid;
        gid = u.gid;
        env.HOME = u.home;
        env.USER = env.LOGNAME = u.name;
      }
      if (spec.group !== undefined) gid = lookupGroup(spec.group);
    } catch (err) {
      return fail((err as Error).message);
    }

    let pid: number | undefined;
    let cg: ServiceCgroup | undefined;
    let prefix: string[];
    const user = { uid, gid }; // for the native path, which switches user itself
    try {
      cg = this.opts.cgroupFor?.(inst);
      // tend-exec joins the cgroup, sets nofile/umask, then switches user, then execs
      prefix = execPrefix(cg, { umask: spec.umask, nofile: spec.limits.nofile, uid, gid });
      uid = gid = undefined;
    } catch (err) {
      if (cg) return fail((err as Error).message);
      prefix = execPrefix(undefined, { umask: spec.umask, nofile: spec.limits.nofile }); // user via spawn
    }
    let mainExited = false;
    let left: number[] | undefined; // what the main process left behind in its cgroup
    const contain = cg
      ? cgroupContainment(cg, () => (mainExited ? undefined : pid), () => left)
      : processGroup(() => pid);
    const exited = (): void => {
      mainExited = true;
      if (cg) left = cg.pids();
    };
    const argv = [...prefix, ...commandArgv(spec.command)];

    const native = this.opts.native;
    const setup: NativeSpawnSetup = { cgroupProcs: cg?.procsFile, cgroupFresh: cg?.fresh, nofile: spec.limits.nofile, umask: spec.umask, ...user };
    const started = (p: number): void => {
      pid = p;
    };
    const run = (e: Record<string, string>): NativeRun | undefined =>
      native && { native, argv: commandArgv(spec.command), o: { cwd: spec.cwd, env: e, setup }, hooks, contain, exited, finish, fail, started };
    if (spec.tty && native && nativePtyAvailable) return this.spawnNativeTty(run({ ...env, TERM: env.TERM ?? 'xterm' })!);
    if (spec.tty && this.opts.spawnPty) {
      const h = this.opts.spawnPty(argv[0]!, argv.slice(1), { cwd: spec.cwd, env, uid, gid }, {
        ...hooks,
        exit: (e) => {
          exited();
          if (pid !== undefined) this.opts.owned.delete(pid);
          hooks.exit(e);
        },
      });
      if (!h) return undefined; // its spawn-error exit follows
      pid = h.pid;
      this.opts.owned.add(pid);
      return { pid, signal: (sig) => h.signal(sig), ...contain };
    }

    const fd = spec.readiness?.check.kind === 'fd' ? spec.readiness.check.fd : undefined;
    const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'pipe'];
    if (fd !== undefined) {
      while (stdio.length < fd) stdio.push('ignore');
      stdio[fd] = 'pipe';
    }
    if (native) return this.spawnNative(run(env)!, fd);
    let child: ChildProcess;
    try {
      child = spawnChild(argv[0]!, argv.slice(1), {
        cwd: spec.cwd,
        env,
        stdio,
        detached: true, // setsid: its own session and process group
        uid,
        gid,
      });
    } catch (err) {
      return fail((err as Error).message);
    }
    child.on('error', (err) => {
      if (child.pid === undefined) finish({ kind: 'spawn-error', message: err.message });
    });
    if (child.pid === undefined) return undefined; // 'error' follows
    pid = child.pid;
    const owned = this.opts.owned;
    owned.add(pid);
    child.on('exit', (code, signal) => {
      exited();
      owned.delete(pid!);
      finish(exitOf(code, signal));
    });
    let open = 2;
    const closed = (): void => {
      if (--open === 0) hooks.output.end();
    };
    growPipe(child.stdout);
    growPipe(child.stderr);
    pipeTo(child.stdout, 'stdout', hooks.output);
    pipeTo(child.stderr, 'stderr', hooks.output);
    child.stdout?.on('close', closed);
    child.stderr?.on('close', closed);
    if (fd !== undefined) watchNotify(child.stdio[fd] as Readable | null, hooks.notify);
    const handle: ProcessHandle = {
      pid,
      signal(sig) {
        try {
          child.kill(sig as NodeJS.Signals);
        } catch {
          /* gone */
        }
      },
      ...contain,
    };
    return handle;
  }

  /** The addon's spawn: pipes from the addon read by net.Sockets, the exit from the reaper. */
  private spawnNative(r: NativeRun, fd: number | undefined): ProcessHandle | undefined {
    const { argv, o, hooks, fail } = r;
    const file = findInPath(argv[0]!, o.env.PATH);
    if (file === undefined) return fail(`spawn ${argv[0]} ENOENT`);
    const opened: number[] = [];
    const pipe = (): [number, number] => {
      const p = pipeNative();
      opened.push(...p);
      return p;
    };
    let pid: number;
    let out: [number, number];
    let err: [number, number];
    let note: [number, number] | undefined;
    try {
      out = pipe();
      err = pipe();
      const fds = [-1, out[1], err[1]];
      if (fd !== undefined) {
        note = pipe();
        while (fds.length < fd) fds.push(-1);
        fds[fd] = note[1];
      }
      pid = spawnNative(file, argv, { ...o.setup, env: o.env, cwd: o.cwd, fds, setsid: true });
    } catch (e) {
      for (const fd of opened) closeQuiet(fd);
      return fail(spawnError(e, argv[0]!));
    }
    r.started(pid);
    // the child holds the write ends now; ours must go or the reads never end
    closeQuiet(out[1]);
    closeQuiet(err[1]);
    if (note) closeQuiet(note[1]);
    const handle = nativeHandle(r, pid);
    const stdout = new Socket({ fd: out[0], readable: true, writable: false });
    const stderr = new Socket({ fd: err[0], readable: true, writable: false });
    let open = 2;
    const closed = (): void => {
      if (--open === 0) hooks.output.end();
    };
    pipeTo(stdout, 'stdout', hooks.output);
    pipeTo(stderr, 'stderr', hooks.output);
    stdout.on('close', closed);
    stderr.on('close', closed);
    if (note) watchNotify(new Socket({ fd: note[0], readable: true, writable: false }), hooks.notify);
    return handle;
  }

  /**
   * A tty service without node-pty: a pty from the addon, the child on its slave (stdin, stdout,
   * stderr, controlling terminal), the master read until the kernel says EIO, which it does only
   * once every byte the service wrote has been read: nothing written just before the exit is lost.
   */
  private spawnNativeTty(r: NativeRun): ProcessHandle | undefined {
    const { argv, o, hooks, fail } = r;
    const file = findInPath(argv[0]!, o.env.PATH);
    if (file === undefined) return fail(`spawn ${argv[0]} ENOENT`);
    let master: number;
    let slave: number;
    let rest: number;
    try {
      [master, slave, rest] = openPtyNative(80, 24);
    } catch (e) {
      return fail((e as Error).message);
    }
    let pid: number;
    try {
      pid = spawnNative(file, argv, { ...o.setup, env: o.env, cwd: o.cwd, fds: [slave, slave, slave], setsid: true, ctty: true });
    } catch (e) {
      closeQuiet(master);
      closeQuiet(slave);
      closeQuiet(rest);
      return fail(spawnError(e, argv[0]!));
    }
    r.started(pid);
    closeQuiet(slave); // the service holds it now; when its last holder ends, reads say EIO
    const handle = nativeHandle(r, pid);
    const term = new TtyReadStream(master);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      // libuv ends a tty stream on POLLHUP after a short read, with data still in the pty: read
      // the rest through the dup until the kernel says EIO (it has then given every byte)
      for (;;) {
        const buf = Buffer.allocUnsafe(64 * 1024);
        let n: number;
        try {
          n = readSync(rest, buf);
        } catch {
          break; // EIO: all read (EAGAIN: the service still runs, e.g. a stream error)
        }
        if (n === 0) break;
        hooks.output.write('stdout', buf.subarray(0, n));
      }
      closeQuiet(rest);
      hooks.output.end();
      term.destroy();
    };
    term.on('data', (chunk: Buffer) => {
      if (!hooks.output.write('stdout', chunk)) {
        term.pause();
        hooks.output.onDrain(() => term.resume());
      }
    });
    term.on('error', end); // EIO: every process holding the slave has ended, all was read
    term.on('end', end);
    term.on('close', end);
    return handle;
  }
}

/** A failed spawnNative in words: an exec failure as child_process says it, other steps as ours. */
function spawnError(e: unknown, argv0: string): string {
  const x = e as NodeJS.ErrnoException & { step?: string };
  return x.step === 'exec' && x.code && x.code !== 'ESPAWN' ? `spawn ${argv0} ${x.code}` : x.message;
}

function closeQuiet(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** A handle on a live process of an earlier daemon, found in its cgroup (adoption). */
export function adoptedHandle(cg: ServiceCgroup, pid: number): ProcessHandle {
  return {
    pid,
    signal: (sig) => killQuiet(pid, sig),
    ...cgroupContainment(cg, () => undefined), // not our session leader: the cgroup only
  };
}
