// tend's cgroup v2 subtree: <mount><our cgroup>/<name>/ holding a `daemon` leaf (tend itself:
// no process may sit in a cgroup whose children have controllers) and one `svc-<id>` per
// service instance. When cgroup v2 cannot be written, open() says why in one line and the
// caller falls back to process groups.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cgroupDir, findCgroup2MountInfo, ownCgroup } from './mount.js';
import { ServiceCgroup, markFresh, populated, writeCgroupFile, errText } from './service.js';

export { findCgroup2Mount, findCgroup2MountInfo, ownCgroup, parseCgroup2Mounts } from './mount.js';
export { ServiceCgroup } from './service.js';

/** The controllers tend can use for limits; enabled in the subtree when the parent offers them. */
export const WANTED_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

const DAEMON_LEAF = 'daemon';
const SERVICE_PREFIX = 'svc-';
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}$/;

function readWords(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

function mkdirOnce(path: string): boolean {
  // Why look first: a service's cgroup is there at each of its restarts, and mkdir's EEXIST is an
  // exception, which took ~100 us of the ~550 between a service's exit and its new spawn
  if (existsSync(path)) return false;
  try {
    mkdirSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

// Best effort: a parent with processes of its own (EBUSY) or without delegation (EACCES) keeps
// its controllers to itself; the limits that need them then warn per service.
function enableControllers(dir: string): void {
  const available = new Set(readWords(join(dir, 'cgroup.controllers')));
  const enabled = new Set(readWords(join(dir, 'cgroup.subtree_control')));
  for (const c of WANTED_CONTROLLERS) {
    if (!available.has(c) || enabled.has(c)) continue;
    try {
      writeCgroupFile(join(dir, 'cgroup.subtree_control'), `+${c}`);
    } catch {
      // see above
    }
  }
}

/** A stable subtree name for a daemon: "tend-" + a short hash of its socket path. */
export function subtreeName(socketPath: string): string {
  return `tend-${createHash('sha256').update(socketPath).digest('hex').slice(0, 10)}`;
}

const SUBTREE_RE = /^tend-[0-9a-f]{10}$/;
/** How long a sibling subtree must have been empty and unchanged before it is swept. */
export const STALE_SUBTREE_MS = 60_000;

/**
 * Removes the subtrees of gone daemons beside `own` (in `parent`).
 * Why: a daemon that cannot exit cleanly (SIGKILL, a crash) leaves its subtree. A daemon on the
 * same socket takes it up again, but one whose socket was in a temporary folder never comes back,
 * and the empty cgroups would pile up. A subtree with no process in it has no daemon (a daemon
 * sits in its `daemon` leaf) and nothing to adopt. Only one unchanged for STALE_SUBTREE_MS: a
 * daemon starting beside it makes its leaf a moment before it joins it. Best effort: rmdir refuses
 * a cgroup that holds a process or a child, so a subtree that fills meanwhile stays.
 */
function sweepStaleSubtrees(parent: string, own: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(parent, name);
    if (!SUBTREE_RE.test(name) || dir === own) continue;
    try {
      if (!populated(dir) && Date.now() - statSync(dir).mtimeMs >= STALE_SUBTREE_MS) removeEmptyTree(dir);
    } catch {
      // not ours to remove, or filled meanwhile: left as it is
    }
  }
}

/** rmdir of a cgroup and its descendants, leaves first. */
function removeEmptyTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeEmptyTree(join(dir, e.name));
  rmdirSync(dir);
}

/** What open() gives: a tree, or a one-line warning saying why services use process groups. */
export interface CgroupOpenResult {
  tree?: CgroupTree;
  warning?: string;
}

/** A service cgroup found at start-up that still holds processes (adoption). */
export interface ExistingCgroup {
  id: string;
  path: string;
  pids: number[];
}

/** The daemon's cgroup v2 subtree. */
export class CgroupTree {
  private readonly cgroups = new Map<string, ServiceCgroup>();

  private constructor(
    /** the subtree directory, e.g. /sys/fs/cgroup/user.slice/.../tend-1a2b3c4d5e */
    readonly root: string,
    /** controllers enabled for the service cgroups (cgroup.subtree_control of root) */
    readonly controllers: Set<string>,
    /** the cgroup directory the daemon was in before open() */
    private readonly origin: string,
  ) {}

  /**
   * Creates (or reuses) the subtree and moves this process into its `daemon` leaf.
   * `root`: reuse that subtree (the path an earlier daemon recorded, for adoption).
   * Already inside `<x>/<name>/daemon` (restarted from there): reuses `<x>/<name>`.
   */
  static open(opts: { root?: string; name: string }): CgroupOpenResult {
    const fallback = (why: string): CgroupOpenResult => ({
      warning: `cgroup v2 ${why}; services are tracked by process group instead (a double-forked process can escape stop)`,
    });
    if (!NAME_RE.test(opts.name) || opts.name.startsWith('cgroup.')) {
      throw new Error(`CgroupTree.open: bad subtree name ${JSON.stringify(opts.name)}`);
    }
    const mount = findCgroup2MountInfo();
    if (!mount) return fallback('is not mounted (no cgroup2 line in /proc/self/mountinfo)');
    const own = ownCgroup();
    if (own === undefined) return fallback('does not list this process (no "0::" line in /proc/self/cgroup)');
    const ownDir = cgroupDir(mount, own);
    if (ownDir === undefined) return fallback(`mounted at ${mount.mountPoint} does not show our cgroup ${own}`);

    let root: string;
    if (opts.root !== undefined) root = opts.root;
    else if (basename(ownDir) === DAEMON_LEAF && basename(dirname(ownDir)) === opts.name) root = dirname(ownDir);
    else root = join(ownDir, opts.name);
    const leaf = join(root, DAEMON_LEAF);

    let madeRoot = false;
    let madeLeaf = false;
    try {
      madeRoot = mkdirOnce(root);
      madeLeaf = mkdirOnce(leaf);
      if (ownDir !== leaf) writeCgroupFile(join(leaf, 'cgroup.procs'), String(process.pid));
    } catch (err) {
      try {
        if (madeLeaf) rmdirSync(leaf);
        if (madeRoot) rmdirSync(root);
      } catch {
        // leave them: empty cgroups are harmless
      }
      return fallback(`at ${mount.mountPoint} is not writable (${errText(err)})`);
    }

    const parent = dirname(root);
    sweepStaleSubtrees(parent, root);
    if (parent.startsWith(mount.mountPoint)) enableControllers(parent);
    enableControllers(root);
    const controllers = new Set(readWords(join(root, 'cgroup.subtree_control')));
    return { tree: new CgroupTree(root, controllers, ownDir) };
  }

  /** The cgroup of instance `id` (`<root>/svc-<id>`), created if missing. */
  service(id: string): ServiceCgroup {
    if (!NAME_RE.test(id)) throw new Error(`cgroup for service: bad instance id ${JSON.stringify(id)}`);
    const path = join(this.root, SERVICE_PREFIX + id);
    try {
      if (mkdirOnce(path)) markFresh(path);
    } catch (err) {
      throw new Error(`cannot create cgroup ${path}: ${errText(err)}`);
    }
    const cg = this.cgroup(id);
    if (!cg.fresh && cg.pids().length === 0) {
      // inherited from an earlier daemon, or cgroup.kill'ed: make it anew so that spawns can be
      // born in it (best effort: processes still leaving keep it busy, then they join by write)
      try {
        if (cg.remove() && mkdirOnce(path)) markFresh(path);
      } catch {
        mkdirOnce(path);
      }
    }
    return cg;
  }

  /** Service cgroups under the subtree that still hold processes (left by an earlier daemon). */
  existing(): ExistingCgroup[] {
    const out: ExistingCgroup[] = [];
    for (const id of this.serviceIds()) {
      const cg = this.cgroup(id);
      const pids = cg.pids();
      if (pids.length > 0) out.push({ id, path: cg.path, pids });
    }
    return out;
  }

  /** Removes instance `id`'s cgroup; false while it still holds processes. */
  remove(id: string): boolean {
    const gone = this.cgroup(id).remove();
    if (gone) this.cgroups.delete(id);
    return gone;
  }

  /**
   * The one ServiceCgroup object of instance `id` for as long as its cgroup lives: each holds
   * its cgroup.procs open once read (ServiceCgroup.pids), so a new object for each spawn would
   * leave a descriptor behind at each restart.
   */
  private cgroup(id: string): ServiceCgroup {
    let cg = this.cgroups.get(id);
    if (cg === undefined) {
      cg = new ServiceCgroup(id, join(this.root, SERVICE_PREFIX + id), this.controllers);
      this.cgroups.set(id, cg);
    }
    return cg;
  }

  /** Removes every empty service cgroup (left by services that are gone from the config). */
  prune(): void {
    for (const id of this.serviceIds()) this.remove(id);
  }

  /**
   * Clean exit: moves this process back where it came from (or, when it started inside the
   * subtree, to the subtree's parent), then removes the empty cgroups. Best effort; returns
   * true when the whole subtree is gone.
   */
  release(): boolean {
    const leaf = join(this.root, DAEMON_LEAF);
    const back = this.origin === leaf || this.origin.startsWith(`${this.root}/`) ? dirname(this.root) : this.origin;
    try {
      writeCgroupFile(join(back, 'cgroup.procs'), String(process.pid));
    } catch {
      return false; // e.g. the parent has controllers enabled: it may not hold processes
    }
    this.prune();
    try {
      emptyLeaf(leaf);
      rmdirSync(leaf);
      rmdirSync(this.root);
      return true;
    } catch {
      return false;
    }
  }

  private serviceIds(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    return names.filter((n) => n.startsWith(SERVICE_PREFIX)).map((n) => n.slice(SERVICE_PREFIX.length));
  }
}

/**
 * What is still in the daemon leaf once tend has left it is tend's own: a probe or helper child
 * still running at exit. It would keep the leaf (and the subtree) from being removed: killed here,
 * waited for up to 300 ms (this runs at exit, synchronously).
 */
function emptyLeaf(leaf: string): void {
  const full = (): boolean => {
    try {
      return populated(leaf);
    } catch {
      return false;
    }
  };
  if (!full()) return;
  try {
    writeCgroupFile(join(leaf, 'cgroup.kill'), '1');
  } catch {
    return; // no cgroup.kill (Linux < 5.14): the rmdir says busy, the subtree stays
  }
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; full() && waited < 300; waited += 5) Atomics.wait(nap, 0, 0, 5);
}
