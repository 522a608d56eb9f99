// What the end-to-end tests (cgroup, adoption, fences, PID 1) need to look at processes from
// outside: whether tend can make cgroups here, unique `sleep` arguments to find processes by, and
// /proc readers.
import { mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDir, findCgroup2MountInfo, ownCgroup } from '../../src/cgroup/mount.js';
import { pidAlive } from './harness.js';

/** The cgroup v2 directory of the test runner (what the daemon inherits), or undefined. */
export function ownCgroupDir(): string | undefined {
  const mount = findCgroup2MountInfo();
  const own = ownCgroup();
  return mount && own !== undefined ? cgroupDir(mount, own) : undefined;
}

/** Why tend cannot make cgroups here (as the test runner, which is what the daemon inherits), or undefined. */
export function cgroupUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  const mount = findCgroup2MountInfo();
  if (!mount) return 'no cgroup2 mount in /proc/self/mountinfo';
  const own = ownCgroup();
  const dir = ownCgroupDir();
  if (!dir) return `cgroup2 at ${mount.mountPoint} does not show our cgroup ${own}`;
  const probe = join(dir, `tend-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (err) {
    return `cgroup2 at ${dir} is not writable (${(err as Error).message})`;
  }
  return undefined;
}

/** A number that makes a `sleep` argv unique to this run (we find and count processes by it). */
export function marker(): string {
  return `9${String(process.pid).padStart(7, '0')}${Math.floor(Math.random() * 1e4)}`;
}

/** Pids whose argv is exactly `sleep <arg>`. */
export function sleepersOf(arg: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8') === `sleep\0${arg}\0` && pidAlive(Number(name))) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** A process's name (/proc/PID/comm); '' once it is gone. */
export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The children of a process's main thread (/proc/PID/task/PID/children); [] once it is gone. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The cgroup v2 path of a pid ("0::" line of /proc/<pid>/cgroup). */
export function cgroupOf(pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'));
  return line?.slice(3) ?? '';
}
