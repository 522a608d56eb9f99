// One service instance's cgroup: the set of its processes, however they forked. Stop, kill,
// "is it gone", limits and usage all read or write files of this one directory.
import { closeSync, constants, existsSync, openSync, readFileSync, rmdirSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Limits } from '../core/types.js';
import { type Held, hold, letGo, readPids } from '../sys/addon.js';

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** The message of a thrown value. */
export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Writes a cgroup control file that must already exist (never creates one; one write(2)). */
export function writeCgroupFile(path: string, value: string): void {
  const fd = openSync(path, constants.O_WRONLY);
  try {
    writeSync(fd, value);
  } finally {
    closeSync(fd);
  }
}

/** Signals a pid, ignoring one that is already gone or not ours to signal (a setuid program). */
function signalPid(pid: number, sig: NodeJS.Signals | number): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if (errCode(err) !== 'ESRCH' && errCode(err) !== 'EPERM') throw err;
  }
}

/** Bytes as the config writes them (512M), for warnings. */
function formatBytes(n: number): string {
  for (const [unit, size] of [
    ['G', 1 << 30],
    ['M', 1 << 20],
    ['K', 1 << 10],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return String(n);
}

/**
 * True while any process is alive in the cgroup at `dir` or below it: cgroup.events
 * "populated 1"; false when the cgroup is gone.
 */
export function populated(dir: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENODEV') return false;
    throw err;
  }
}

/**
 * Cgroups this daemon created and never wrote cgroup.kill to: only these may be spawned into with
 * clone3(CLONE_INTO_CGROUP). Linux (6.18 here) SIGKILLs a child cloned into a cgroup that has ever
 * been cgroup.kill'ed (the kill counter of the target is compared with the parent's), so a killed
 * or inherited cgroup is either made anew when empty (CgroupTree.service) or joined the old way,
 * by writing cgroup.procs.
 */
const freshCgroups = new Set<string>();

/** Records that `path` was just created by this daemon (see freshCgroups). */
export function markFresh(path: string): void {
  freshCgroups.add(path);
}

/** A cgroup v2 directory holding every process of one service instance. */
export class ServiceCgroup {
  /** the file a process writes its pid to in order to join (the launcher's child does) */
  readonly procsFile: string;
  /** cgroup.procs held open while the cgroup lives (a status or a scrape reads it for every instance) */
  private procs: Held | undefined;

  constructor(
    readonly id: string,
    readonly path: string,
    private readonly controllers: ReadonlySet<string>,
  ) {
    this.procsFile = join(path, 'cgroup.procs');
  }

  /** Pids in the cgroup now (cgroup.procs); [] when it no longer exists. */
  pids(): number[] {
    if (this.procs) {
      const got = readPids(this.procs);
      if (got) return got;
      this.letGo(); // removed (ENODEV); a cgroup made anew at the path is opened below
    }
    this.procs = hold(this.procsFile);
    return readPids(this.procs ?? this.procsFile) ?? [];
  }

  /** True while any process (in this cgroup or below) is alive: cgroup.events "populated 1". */
  populated(): boolean {
    return populated(this.path);
  }

  /**
   * SIGKILLs every process: cgroup.kill (Linux 5.14+) does it atomically, forks included;
   * otherwise freeze (5.2+), SIGKILL each pid until no new pid shows up, thaw.
   * Returns at once: the processes are gone when onEmpty fires.
   */
  kill(): void {
    try {
      freshCgroups.delete(this.path);
      writeCgroupFile(join(this.path, 'cgroup.kill'), '1');
      return;
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw new Error(`cgroup kill of ${this.path}: ${errText(err)}`);
      if (!existsSync(this.path)) return;
    }
    const freeze = join(this.path, 'cgroup.freeze');
    let frozen = false;
    try {
      writeCgroupFile(freeze, '1');
      frozen = true;
    } catch {
      // no freezer: the kill loop below still catches forks, one round later
    }
    try {
      this.signalLoop('SIGKILL');
    } finally {
      if (frozen) writeCgroupFile(freeze, '0'); // SIGKILL works on frozen tasks; thaw for the next run
    }
  }

  /**
   * Sends `sig` to every process in the cgroup (stop_signal to all, as systemd's
   * KillMode=control-group), but `spare` (tend-init, which would pass it on a second time).
   */
  signalAll(sig: string, spare?: number): void {
    this.signalLoop(sig as NodeJS.Signals, spare);
  }

  // Signals each pid once, re-reading cgroup.procs until no new pid appears (forks racing us).
  private signalLoop(sig: NodeJS.Signals, spare?: number): void {
    const done = new Set<number>(spare === undefined ? [] : [spare]);
    for (let round = 0; round < 100; round++) {
      const fresh = this.pids().filter((p) => !done.has(p));
      if (fresh.length === 0) return;
      for (const pid of fresh) {
        signalPid(pid, sig);
        done.add(pid);
      }
    }
  }

  /**
   * Calls `cb` once when the cgroup has no process left (cgroup.events "populated 0"), watched
   * with inotify, not polled. Checks once right away (asynchronously). Returns a canceller.
   */
  onEmpty(cb: () => void): () => void {
    let done = false;
    let watcher: FSWatcher | undefined;
    const cancel = (): void => {
      done = true;
      watcher?.close();
      watcher = undefined;
    };
    const check = (): void => {
      if (done || this.populated()) return;
      cancel();
      cb();
    };
    try {
      watcher = watch(join(this.path, 'cgroup.events'), check);
      watcher.on('error', check);
    } catch {
      // the cgroup is already gone: the check below reports it empty
    }
    setImmediate(check);
    return cancel;
  }

  /**
   * Writes memory.max, cpu.max and pids.max (an unset limit is reset to "max"). Returns one
   * warning per limit that could not be applied (controller missing, write refused).
   * nofile is not a cgroup matter: the launcher's child sets it.
   */
  applyLimits(limits: Limits): string[] {
    const warnings: string[] = [];
    const subtree = dirname(this.path);
    const set = (controller: string, file: string, value: string, asked?: string): void => {
      if (!this.controllers.has(controller)) {
        if (asked !== undefined) {
          warnings.push(`${this.id}: limits.${asked} not applied: the ${controller} controller is not available in ${subtree}`);
        }
        return;
      }
      try {
        writeCgroupFile(join(this.path, file), value);
      } catch (err) {
        if (asked !== undefined) {
          warnings.push(`${this.id}: limits.${asked} not applied: writing ${value} to ${join(this.path, file)}: ${errText(err)}`);
        }
      }
    };
    const { memory, cpu, pids } = limits;
    set(
      'memory',
      'memory.max',
      memory !== undefined ? String(Math.floor(memory)) : 'max',
      memory !== undefined ? `memory ${formatBytes(memory)}` : undefined,
    );
    set(
      'cpu',
      'cpu.max',
      cpu !== undefined ? `${Math.max(1000, Math.round(cpu * 100_000))} 100000` : 'max 100000',
      cpu !== undefined ? `cpu ${cpu}` : undefined,
    );
    set(
      'pids',
      'pids.max',
      pids !== undefined ? String(Math.floor(pids)) : 'max',
      pids !== undefined ? `pids ${pids}` : undefined,
    );
    return warnings;
  }

  /** CPU time used (cpu.stat usage_usec, always present) and memory (memory.current, with the controller). */
  stats(): { cpuUsec?: number; memory?: number } {
    const out: { cpuUsec?: number; memory?: number } = {};
    try {
      const m = /^usage_usec (\d+)$/m.exec(readFileSync(join(this.path, 'cpu.stat'), 'utf8'));
      if (m) out.cpuUsec = Number(m[1]);
    } catch {
      // gone, or a kernel without cpu.stat
    }
    if (this.controllers.has('memory')) {
      try {
        out.memory = Number(readFileSync(join(this.path, 'memory.current'), 'utf8').trim());
      } catch {
        // gone
      }
    }
    return out;
  }

  private letGo(): void {
    if (this.procs) letGo(this.procs);
    this.procs = undefined;
  }

  /** True when a child may be born here with clone3(CLONE_INTO_CGROUP) (see freshCgroups). */
  get fresh(): boolean {
    return freshCgroups.has(this.path);
  }

  /** Removes the cgroup directory. True when gone (or never there), false while processes remain. */
  remove(): boolean {
    try {
      this.letGo();
      rmdirSync(this.path);
      freshCgroups.delete(this.path);
      return true;
    } catch (err) {
      if (errCode(err) === 'ENOENT') return true;
      if (errCode(err) === 'EBUSY') return false;
      throw new Error(`cannot remove cgroup ${this.path}: ${errText(err)}`);
    }
  }
}
