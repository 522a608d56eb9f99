// Where cgroup v2 lives on this machine and where we are in it: parsed from /proc, never assumed
// (/sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one, elsewhere in containers).
import { readFileSync } from 'node:fs';

/** One cgroup2 mount: its mount point and which cgroup of the hierarchy is mounted there. */
export interface Cgroup2Mount {
  mountPoint: string;
  /** the hierarchy path shown at mountPoint ("/" unless a sub-cgroup is bind-mounted) */
  root: string;
}

/** A /proc file's text, or undefined when it cannot be read (no /proc, a v1-only host). */
function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Every cgroup2 mount in a mountinfo text (proc(5) format), in file order. */
export function parseCgroup2Mounts(mountinfo: string): Cgroup2Mount[] {
  const out: Cgroup2Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6); // optional fields end with a lone "-"
    if (sep < 0 || f[sep + 1] !== 'cgroup2') continue;
    out.push({ root: unescapeOctal(f[3]), mountPoint: unescapeOctal(f[4]) });
  }
  return out;
}

/** The cgroup2 mount to use: the one showing the whole hierarchy ("/") first, else the first. */
export function findCgroup2MountInfo(mountinfo?: string): Cgroup2Mount | undefined {
  const text = mountinfo ?? readProc('/proc/self/mountinfo');
  if (text === undefined) return undefined;
  const all = parseCgroup2Mounts(text);
  return all.find((m) => m.root === '/') ?? all[0];
}

/** The cgroup2 mount point (e.g. /sys/fs/cgroup), or undefined without cgroup v2. */
export function findCgroup2Mount(mountinfo?: string): string | undefined {
  return findCgroup2MountInfo(mountinfo)?.mountPoint;
}

/** Our cgroup v2 path from /proc/self/cgroup's "0::/path" line, or undefined (v1-only host). */
export function ownCgroup(procSelfCgroup?: string): string | undefined {
  const text = procSelfCgroup ?? readProc('/proc/self/cgroup');
  if (text === undefined) return undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('0::')) return line.slice(3).replace(/ \(deleted\)$/, '') || '/';
  }
  return undefined;
}

/** The directory of hierarchy path `cg` under `mount`, or undefined when that mount cannot show it. */
export function cgroupDir(mount: Cgroup2Mount, cg: string): string | undefined {
  const root = mount.root === '/' ? '' : mount.root;
  if (root !== '' && cg !== root && !cg.startsWith(`${root}/`)) return undefined;
  const rel = cg.slice(root.length);
  const base = mount.mountPoint.replace(/\/+$/, '');
  return rel === '' || rel === '/' ? base || '/' : `${base}${rel}`;
}
