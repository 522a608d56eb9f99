// The Spawner of real processes: child_process with pipes (or node-pty for tty services), each
// service in its own session and process group, optionally inside its own cgroup.
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import { constants } from 'node:os';
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
import { lookupGroup, lookupUser } from './users.js';

/** How a service's processes are held together: its cgroup, else its process group. */
export interface Containment {
  /** argv placed before the command: joins the cgroup, sets rlimits and umask, then execs */
  prefix: string[];
  signalAll(signal: string): void;
  alive(): boolean;
  drained(): Promise<void>;
  /** the spawn failed or the instance is gone for good */
  release?(): void;
}

export interface ProcessSpawnerOptions {
  /** a cgroup for the instance, or undefined to use its process group */
  contain?(inst: InstanceSpec): Containment | undefined;
  /** argv prefix for umask / nofile when no cgroup prefix does it */
  execPrefix?(opts: { umask?: number; nofile?: number }): string[];
  /** pids that node owns (child_process / node-pty): the orphan reaper must never touch them */
  owned: Set<number>;
  /** node-pty spawner for `tty: true` services */
  spawnPty?: (
    file: string,
    args: string[],
    opts: { cwd: string; env: Record<string, string>; uid?: number; gid?: number },
    hooks: SpawnHooks,
  ) => ProcessHandle | undefined;
}

/** The argv of a service: a string runs under /bin/sh -c, a list is exec'd directly. */
export function commandArgv(command: string | string[]): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
}

/** A `sh` prefix that sets umask and RLIMIT_NOFILE, then execs the command (no native helper). */
export function shellExecPrefix(opts: { umask?: number; nofile?: number }): string[] {
  const steps: string[] = [];
  if (opts.umask !== undefined) steps.push(`umask ${opts.umask.toString(8).padStart(3, '0')}`);
  if (opts.nofile !== undefined) steps.push(`ulimit -n ${opts.nofile}`);
  if (steps.length === 0) return [];
  return ['/bin/sh', '-c', `${steps.join(' && ')} && exec "$0" "$@"`];
}

/** Process-group containment: the service leader's pid is its pgid (setsid). */
export function processGroup(pid: () => number | undefined): Containment {
  const alive = (): boolean => {
    const p = pid();
    if (!p) return false;
    try {
      process.kill(-p, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    prefix: [],
    signalAll(signal) {
      const p = pid();
      if (!p) return;
      try {
        process.kill(-p, signal as NodeJS.Signals);
      } catch {
        /* the group is gone */
      }
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
  };
}

function exitOf(code: number | null, signal: NodeJS.Signals | null): Exit {
  if (signal) return { kind: 'signaled', signal };
  return { kind: 'exited', code: code ?? 0 };
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
    const contain = this.opts.contain?.(inst) ?? processGroup(() => pid);
    const limits = { umask: spec.umask, nofile: spec.limits.nofile };
    const prefix = contain.prefix.length
      ? contain.prefix
      : (this.opts.execPrefix ?? shellExecPrefix)(limits);
    const argv = [...prefix, ...commandArgv(spec.command)];

    if (spec.tty && this.opts.spawnPty) {
      const h = this.opts.spawnPty(argv[0]!, argv.slice(1), { cwd: spec.cwd, env, uid, gid }, {
        ...hooks,
        exit: (e) => {
          if (pid !== undefined) this.opts.owned.delete(pid);
          finish(e);
        },
      });
      if (!h) {
        contain.release?.();
        return undefined;
      }
      pid = h.pid;
      this.opts.owned.add(pid);
      return { ...h, signalAll: contain.signalAll, alive: contain.alive, drained: contain.drained, pid: h.pid };
    }

    const fd = spec.readiness?.check.kind === 'fd' ? spec.readiness.check.fd : undefined;
    const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'pipe'];
    if (fd !== undefined) {
      while (stdio.length < fd) stdio.push('ignore');
      stdio[fd] = 'pipe';
    }
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
      contain.release?.();
      return fail((err as Error).message);
    }
    child.on('error', (err) => {
      if (child.pid === undefined) {
        contain.release?.();
        finish({ kind: 'spawn-error', message: err.message });
      }
    });
    if (child.pid === undefined) return undefined; // 'error' follows
    pid = child.pid;
    const owned = this.opts.owned;
    owned.add(pid);
    child.on('exit', (code, signal) => {
      owned.delete(pid!);
      finish(exitOf(code, signal));
    });
    let open = 2;
    const closed = (): void => {
      if (--open === 0) hooks.output.end();
    };
    pipeTo(child.stdout, 'stdout', hooks.output);
    pipeTo(child.stderr, 'stderr', hooks.output);
    child.stdout?.on('close', closed);
    child.stderr?.on('close', closed);
    if (fd !== undefined && hooks.notify) {
      const notify = hooks.notify;
      const s = child.stdio[fd] as Readable | null;
      let told = false;
      s?.on('data', (c: Buffer) => {
        if (!told && c.includes(10)) {
          told = true;
          notify();
        }
      });
      s?.on('error', () => {});
    }
    const handle: ProcessHandle = {
      pid,
      signal(sig) {
        try {
          child.kill(sig as NodeJS.Signals);
        } catch {
          /* gone */
        }
      },
      signalAll: (sig) => contain.signalAll(sig),
      alive: () => contain.alive(),
      drained: () => contain.drained(),
    };
    return handle;
  }
}

/** The number of a signal name, for exit codes like 128+n. */
export function signalNumber(name: string): number | undefined {
  return (constants.signals as Record<string, number>)[name];
}
