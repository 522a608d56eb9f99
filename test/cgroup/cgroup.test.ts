// cgroup v2: mount discovery (pure), the subtree, join-before-exec, kill/onEmpty, limits, adoption.
// Real cgroups and processes; skipped with a printed reason where cgroup v2 is not writable.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CgroupTree,
  findCgroup2Mount,
  ownCgroup,
  parseCgroup2Mounts,
  STALE_SUBTREE_MS,
  subtreeName,
  type ServiceCgroup,
} from '../../src/cgroup/tree.js';
import { cgroupDir, findCgroup2MountInfo } from '../../src/cgroup/mount.js';
import { populated } from '../../src/cgroup/service.js';
import { launch, watchExit } from '../../src/spawn/launcher.js';
import { openPipes } from '../../src/spawn/stdio.js';
import { type ExitStatus, spawnProcess } from '../../src/sys/addon.js';
import { killQuiet } from '../../src/sys/proc.js';
import { commOf } from '../e2e/procs.js';

const HYBRID = `22 27 0:21 / /proc rw,relatime - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const UNIFIED = `25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
28 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

describe('cgroup mount discovery (pure)', () => {
  it('finds the cgroup2 mount of a hybrid layout, not the v1 ones nor the tmpfs', () => {
    expect(findCgroup2Mount(HYBRID)).toBe('/sys/fs/cgroup/unified');
  });

  it('finds it on a unified host, with optional fields before the separator', () => {
    expect(findCgroup2Mount(UNIFIED)).toBe('/sys/fs/cgroup');
  });

  it('returns undefined without cgroup2', () => {
    expect(findCgroup2Mount('22 27 0:21 / /proc rw,relatime - proc proc rw\n')).toBeUndefined();
  });

  it('unescapes mount points and prefers the mount that shows the whole hierarchy', () => {
    const text = '50 1 0:40 /sub /mnt/a\\040b rw - cgroup2 cgroup2 rw\n' + '51 1 0:40 / /mnt/whole rw - cgroup2 cgroup2 rw\n';
    expect(parseCgroup2Mounts(text)).toEqual([
      { root: '/sub', mountPoint: '/mnt/a b' },
      { root: '/', mountPoint: '/mnt/whole' },
    ]);
    expect(findCgroup2Mount(text)).toBe('/mnt/whole');
  });

  it('reads our own cgroup from the 0:: line, ignoring v1 lines', () => {
    expect(ownCgroup('4:memory:/x\n0::/user.slice/session-1.scope\n')).toBe('/user.slice/session-1.scope');
    expect(ownCgroup('0::/\n')).toBe('/');
    expect(ownCgroup('0::/gone (deleted)\n')).toBe('/gone');
    expect(ownCgroup('4:memory:/x\n')).toBeUndefined();
  });

  it('maps a hierarchy path to a directory under the mount', () => {
    expect(cgroupDir({ mountPoint: '/sys/fs/cgroup', root: '/' }, '/')).toBe('/sys/fs/cgroup');
    expect(cgroupDir({ mountPoint: '/sys/fs/cgroup', root: '/' }, '/a/b')).toBe('/sys/fs/cgroup/a/b');
    expect(cgroupDir({ mountPoint: '/m', root: '/sub' }, '/sub/x')).toBe('/m/x');
    expect(cgroupDir({ mountPoint: '/m', root: '/sub' }, '/other')).toBeUndefined();
  });

  it('finds the real mount, a cgroup2 directory', () => {
    const mount = findCgroup2Mount();
    if (!mount) {
      console.log('skip: no cgroup2 mount on this machine');
      return;
    }
    expect(readFileSync(join(mount, 'cgroup.procs'), 'utf8')).toMatch(/^\d+\n/);
    expect(ownCgroup()).toMatch(/^\//);
  });

  it('names a subtree from the socket path, stably', () => {
    expect(subtreeName('/a/tend.sock')).toMatch(/^tend-[0-9a-f]{10}$/);
    expect(subtreeName('/a/tend.sock')).toBe(subtreeName('/a/tend.sock'));
    expect(subtreeName('/b/tend.sock')).not.toBe(subtreeName('/a/tend.sock'));
  });
});

const skipReason = cgroupSkipReason();
if (skipReason) console.log(`skip: cgroup tree tests: ${skipReason}`);

describe('CgroupTree.open without write access', () => {
  it('returns one clear warning line and no tree', () => {
    const fixture = fileURLToPath(new URL('../spawn/fixtures/', import.meta.url));
    const node = [
      process.execPath,
      '--import',
      join(fixture, 'ts-register.mjs'),
      join(fixture, 'open-tree.ts'),
      `tend-test-ro-${process.pid}`,
    ];
    const asOther = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
    if (!asOther && skipReason === undefined) {
      console.log('skip: needs root and setpriv to run unprivileged');
      return;
    }
    const argv = asOther ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { root?: string; warning?: string };
    expect(out.root).toBeUndefined();
    expect(out.warning).toMatch(
      /^cgroup v2 .*(not writable|not mounted|does not).*; services are tracked by process group instead/,
    );
    expect(out.warning).not.toContain('\n');
  });
});

// Whether this machine lets us create cgroups; the reason when it does not.
function cgroupSkipReason(): string | undefined {
  const info = findCgroup2MountInfo();
  const own = ownCgroup();
  if (!info || own === undefined) return 'no cgroup v2 mount';
  const dir = cgroupDir(info, own);
  if (!dir) return 'our cgroup is not visible under the cgroup2 mount';
  const probe = join(dir, `tend-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (err) {
    return `cgroup v2 not writable here (${(err as Error).message})`;
  }
}

async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Awaits a promise, failing with `what` after a deadline.
async function within<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]); // state ppid pgrp session
}

/** rmdir, where the directory may be gone already. */
function rmdirUnlessGone(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** A process started by the launcher: its exit (once reaped) and the end of its output. */
interface Started {
  pid: number;
  exit?: ExitStatus;
  exited: Promise<ExitStatus>;
  ended: Promise<void>;
}

describe.skipIf(skipReason !== undefined)('CgroupTree (real cgroup v2)', () => {
  const trees: CgroupTree[] = [];
  const cgroups: ServiceCgroup[] = [];
  const children: Started[] = [];
  let seq = 0;

  function openTree(): CgroupTree {
    const { tree, warning } = CgroupTree.open({ name: `tend-test-${process.pid}-${seq++}` });
    expect(warning).toBeUndefined();
    trees.push(tree!);
    return tree!;
  }

  function service(tree: CgroupTree, id: string): ServiceCgroup {
    const cg = tree.service(id);
    cgroups.push(cg);
    return cg;
  }

  /** What the launcher's child sets up besides the cgroup. */
  type Setup = { fresh?: boolean; nofile?: number; umask?: number; uid?: number; gid?: number };

  /** Launches argv in cg (born there when fresh, else joining by write), output to `out`. */
  function run(cg: ServiceCgroup | undefined, argv: string[], o: Setup = {}, out?: { stdout: string; stderr: string }): Started {
    const stdio = openPipes();
    const { fresh = cg?.fresh ?? false, ...ids } = o;
    const pid = launch({
      argv,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio,
      cgroup: cg && { procsFile: cg.procsFile, fresh },
      ...ids,
    });
    const started: Started = {
      pid,
      exited: new Promise((resolve) => watchExit(pid, (s) => resolve((started.exit = s)))),
      ended: undefined!,
    };
    started.ended = new Promise((resolve) =>
      stdio.attach({
        write: (stream, chunk) => {
          if (out) out[stream] += chunk.toString();
          return true;
        },
        onDrain() {},
        end: () => resolve(),
      }),
    );
    children.push(started);
    return started;
  }

  /** Runs argv to its end: its exit code and output. */
  async function runToEnd(
    cg: ServiceCgroup | undefined,
    argv: string[],
    o: Setup = {},
  ): Promise<{ status: number | undefined; stdout: string; stderr: string }> {
    const out = { stdout: '', stderr: '' };
    const r = run(cg, argv, o, out);
    const exit = await within(r.exited, `${argv.join(' ')} to exit`);
    await within(r.ended, `the end of its output`);
    return { status: exit.code, ...out };
  }

  afterEach(async () => {
    for (const cg of cgroups.splice(0)) {
      if (cg.populated()) {
        cg.kill();
        await waitFor(() => !cg.populated(), `cleanup of ${cg.path}`);
      }
    }
    for (const c of children.splice(0)) if (!c.exit) killQuiet(c.pid, 'SIGKILL');
    for (const t of trees.splice(0).reverse()) {
      expect(t.release(), `release of ${t.root}`).toBe(true);
    }
    // we are back outside every test subtree
    expect(ownCgroup()).not.toMatch(/tend-test-/);
  });

  it('release kills what tend left in its daemon leaf (an exec probe in flight) and removes the subtree', async () => {
    const { tree } = CgroupTree.open({ name: `tend-test-${process.pid}-${seq++}` });
    const probe = spawn('sleep', ['60'], { stdio: 'ignore' }); // born in the daemon leaf, like a probe
    const gone = new Promise((resolve) => probe.on('exit', (_code, signal) => resolve(signal)));
    expect(readFileSync(join(tree!.root, 'daemon', 'cgroup.procs'), 'utf8')).toContain(String(probe.pid));
    expect(tree!.release()).toBe(true);
    expect(existsSync(tree!.root)).toBe(false);
    expect(await gone).toBe('SIGKILL');
  });

  it('sweeps the empty subtrees of gone daemons beside its own, not a recent one nor one that holds a process', async () => {
    // where this process's subtree goes (openTree below): its own cgroup
    const parent = cgroupDir(findCgroup2MountInfo()!, ownCgroup()!)!;
    // subtrees as a daemon leaves them when it is killed: its leaf and a service's cgroup (made
    // recent, and aged only once filled: a daemon that another test starts meanwhile sweeps too)
    const leftBy = (n: number): string => {
      const dir = join(parent, `tend-${(process.pid * 16 + n).toString(16).padStart(10, '0').slice(-10)}`);
      mkdirSync(join(dir, 'daemon'), { recursive: true });
      mkdirSync(join(dir, 'svc-web'));
      return dir;
    };
    const age = (dir: string): void => {
      const t = (Date.now() - 2 * STALE_SUBTREE_MS) / 1000;
      utimesSync(dir, t, t);
    };
    const [gone, recent, busy] = [leftBy(1), leftBy(2), leftBy(3)];
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => sleeper.on('exit', resolve));
    writeFileSync(join(busy, 'svc-web', 'cgroup.procs'), String(sleeper.pid));
    age(gone);
    age(busy);
    try {
      expect(dirname(openTree().root)).toBe(parent); // a daemon starting beside them
      expect(existsSync(gone)).toBe(false);
      expect(existsSync(recent)).toBe(true);
      expect(readFileSync(join(busy, 'svc-web', 'cgroup.procs'), 'utf8').trim()).toBe(String(sleeper.pid));
    } finally {
      sleeper.kill('SIGKILL');
      await exited;
      await waitFor(() => !populated(busy), 'the busy subtree emptied');
      // (a daemon that another test starts may sweep them meanwhile)
      for (const dir of [gone, recent, busy]) {
        for (const leaf of ['daemon', 'svc-web', '']) rmdirUnlessGone(join(dir, leaf));
      }
    }
  });

  it('creates the subtree, moves the daemon into its leaf, and reuses it when opened from there', () => {
    const tree = openTree();
    expect(readFileSync(join(tree.root, 'daemon', 'cgroup.procs'), 'utf8').split('\n')).toContain(String(process.pid));
    expect(ownCgroup()).toMatch(new RegExp(`/tend-test-${process.pid}-\\d+/daemon$`));
    const name = tree.root.split('/').pop()!;
    const again = CgroupTree.open({ name });
    expect(again.tree?.root).toBe(tree.root);
    const adopted = CgroupTree.open({ name: 'ignored-name', root: tree.root });
    expect(adopted.tree?.root).toBe(tree.root);
    expect(tree.controllers).toBeInstanceOf(Set);
  });

  // the two ways in: born there (clone3 CLONE_INTO_CGROUP) or joined by writing cgroup.procs
  for (const variant of ['born there', 'joined by write'] as const) {
    const fresh = variant === 'born there';
    it(`${variant}: every process of a double-forking, setsid-daemonizing command lands in the service cgroup; kill() empties it and onEmpty fires`, async () => {
      const tree = openTree();
      const cg = service(tree, 'web.1');

      const main = run(cg, ['/bin/sh', '-c', 'sleep 1000 & sleep 1000 & exec sleep 1000'], { fresh });
      // forked shells become sleeps once they exec: wait for that, not just for three pids
      const threeSleeps = (): boolean => cg.pids().map(commOf).join(' ') === 'sleep sleep sleep';
      await waitFor(threeSleeps, 'three sleeps in the cgroup');
      expect(cg.pids()).toContain(main.pid);

      // a daemonized grandchild: new session, parent gone (orphaned to the subreaper/init)
      const d = run(cg, ['/bin/sh', '-c', 'setsid -f sleep 1001; exit 0'], { fresh });
      await within(d.exited, 'the daemonizing shell to exit');
      // (the main process leads a session of its own too: the launcher's setsid)
      const isDaemonized = (p: number): boolean => p !== main.pid && commOf(p) === 'sleep' && sessionOf(p) === p;
      await waitFor(() => cg.pids().filter(isDaemonized).length === 1, 'the daemonized sleep in the cgroup');
      expect(cg.pids()).toHaveLength(4);
      expect(cg.populated()).toBe(true);

      const empty = new Promise<void>((resolve) => cg.onEmpty(resolve));
      cg.kill();
      await within(empty, 'onEmpty after kill()');
      expect(cg.pids()).toEqual([]);
      expect(cg.populated()).toBe(false);
      expect(await within(main.exited, 'the main process exit')).toEqual({ signal: 'SIGKILL' });
      expect(cg.remove()).toBe(true);
    });

    it(`${variant}: sets nofile and umask before exec, in the cgroup`, async () => {
      const tree = openTree();
      const cg = service(tree, 'lim');
      const r = await runToEnd(cg, ['/bin/sh', '-c', 'ulimit -n; umask; cat /proc/self/cgroup'], {
        fresh,
        nofile: 1234,
        umask: 0o027,
      });
      expect(r.stderr).toBe('');
      const [nofile, umask, ...cgroupLines] = r.stdout.trim().split('\n');
      expect(nofile).toBe('1234');
      expect(umask).toBe('0027');
      expect(cgroupLines.find((l) => l.startsWith('0::'))).toMatch(/\/tend-test-\d+-\d+\/svc-lim$/);
    });
  }

  it('switches user after joining, and reports a missing command as a spawn error', async () => {
    if (process.getuid?.() !== 0) {
      console.log('skip: switching user needs root');
      return;
    }
    const tree = openTree();
    const cg = service(tree, 'nobody');
    const r = await runToEnd(cg, ['/bin/sh', '-c', 'id -u; id -g; cat /proc/self/cgroup'], { uid: 65534, gid: 65534 });
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['65534', '65534']);
    expect(r.stdout).toMatch(/^0::.*\/svc-nobody$/m);
    expect(() => run(cg, ['/nonexistent/cmd'])).toThrow(/^spawn \/nonexistent\/cmd: not found \(ENOENT\)$/);
  });

  it('the addon refuses bad numbers, naming the field', () => {
    const req = { file: '/bin/true', argv: ['true'], env: {}, fds: [-1, -1, -1] };
    expect(() => spawnProcess({ ...req, nofile: -1 })).toThrow(/^spawn: nofile must be an integer/);
    expect(() => spawnProcess({ ...req, umask: 0o1000 })).toThrow(/^spawn: umask must be an integer 0\.\.0o777/);
  });

  it('signalAll sends the signal to every process; onEmpty fires when they are gone', async () => {
    const tree = openTree();
    const cg = service(tree, 'term');
    run(cg, ['/bin/sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
    await waitFor(() => cg.pids().map(commOf).sort().join(' ') === 'sh sleep sleep', 'sh and two sleeps');
    let fired = 0;
    const empty = new Promise<void>((resolve) =>
      cg.onEmpty(() => {
        fired++;
        resolve();
      }),
    );
    cg.signalAll('SIGTERM');
    await within(empty, 'onEmpty after SIGTERM to all');
    expect(fired).toBe(1);
    expect(cg.populated()).toBe(false);
  });

  it('signalAll passes over the pid it is told to spare (tend-init, which would pass the signal on again)', async () => {
    const tree = openTree();
    const cg = service(tree, 'spare');
    run(cg, ['/bin/sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
    await waitFor(() => cg.pids().map(commOf).sort().join(' ') === 'sh sleep sleep', 'sh and two sleeps');
    const sleeps = cg.pids().filter((p) => commOf(p) === 'sleep');
    cg.signalAll('SIGTERM', sleeps[0]);
    await waitFor(() => cg.pids().length === 1, 'all but the spared one gone');
    expect(cg.pids()).toEqual([sleeps[0]]);
    const empty = new Promise<void>((resolve) => cg.onEmpty(resolve));
    cg.kill();
    await within(empty, 'onEmpty after the kill');
  });

  it('pids() reads cgroup.procs held open, lets it go on remove, and follows a cgroup made anew at the path', async () => {
    const tree = openTree();
    const cg = service(tree, 'held');
    const heldFds = (): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === cg.procsFile;
        } catch {
          return false;
        }
      }).length;
    const a = run(cg, ['sleep', '1000']);
    await waitFor(() => cg.pids().includes(a.pid), 'the first sleep in the cgroup');
    expect(cg.pids()).toEqual([a.pid]); // read again through the same file
    expect(heldFds()).toBe(1);
    cg.kill();
    await waitFor(() => cg.pids().length === 0, 'the cgroup empty');
    await waitFor(() => cg.remove(), 'the cgroup removed');
    expect(heldFds()).toBe(0);
    const again = service(tree, 'held');
    expect(again.path).toBe(cg.path);
    const b = run(again, ['sleep', '1000']);
    await waitFor(() => cg.pids().includes(b.pid), 'the old handle reading the new cgroup');
    expect(heldFds()).toBe(1);
  });

  it('onEmpty can be cancelled, and fires at once for an empty cgroup', async () => {
    const tree = openTree();
    const cg = service(tree, 'quiet');
    await within(new Promise<void>((resolve) => cg.onEmpty(resolve)), 'onEmpty of an empty cgroup');
    const busy = service(tree, 'busy');
    run(busy, ['sleep', '1000']);
    await waitFor(() => busy.pids().map(commOf).join() === 'sleep', 'sleep in the cgroup');
    let fired = false;
    const cancel = busy.onEmpty(() => {
      fired = true;
    });
    cancel();
    busy.kill();
    await waitFor(() => !busy.populated(), 'busy cgroup empty');
    await new Promise((r) => setTimeout(r, 50));
    expect(fired).toBe(false);
  });

  it('applies each limit where its controller is enabled, else warns naming it', () => {
    const tree = openTree();
    const cg = service(tree, 'limited');
    const warnings = cg.applyLimits({ memory: 512 * 1024 * 1024, cpu: 0.5, pids: 64, nofile: 100 });
    const expected: Array<[string, string, string, RegExp]> = [
      ['memory', 'memory.max', '536870912', /limited: limits\.memory 512M not applied: the memory controller/],
      ['cpu', 'cpu.max', '50000 100000', /limited: limits\.cpu 0\.5 not applied: the cpu controller/],
      ['pids', 'pids.max', '64', /limited: limits\.pids 64 not applied: the pids controller/],
    ];
    let warned = 0;
    for (const [controller, file, value, warning] of expected) {
      if (tree.controllers.has(controller)) {
        expect(readFileSync(join(cg.path, file), 'utf8').trim()).toBe(value);
      } else {
        expect(
          warnings.some((w) => warning.test(w)),
          `warning for ${controller} in ${JSON.stringify(warnings)}`,
        ).toBe(true);
        warned++;
      }
    }
    expect(warnings).toHaveLength(warned); // nofile never warns: it is not a cgroup limit
    expect(cg.applyLimits({})).toEqual([]);
  });

  it('reads cpu usage from cpu.stat; memory only with the memory controller', async () => {
    const tree = openTree();
    const cg = service(tree, 'busy');
    expect(cg.stats().cpuUsec).toBe(0);
    run(cg, ['/bin/sh', '-c', 'while :; do :; done']);
    await waitFor(() => (cg.stats().cpuUsec ?? 0) > 1000, 'cpu usage to show');
    expect(cg.stats().memory === undefined).toBe(!tree.controllers.has('memory'));
  });

  it('lists service cgroups that still hold processes, for adoption by a later daemon', async () => {
    const tree = openTree();
    const live = service(tree, 'db');
    service(tree, 'gone');
    const child = run(live, ['sleep', '1000']);
    await waitFor(() => live.pids().map(commOf).join() === 'sleep', 'sleep in db');
    const later = CgroupTree.open({ name: 'x', root: tree.root }).tree!;
    expect(later.existing()).toEqual([{ id: 'db', path: live.path, pids: [child.pid] }]);
    expect(later.remove('db')).toBe(false); // still populated
    later.prune(); // removes the empty svc-gone only
    expect(tree.existing().map((e) => e.id)).toEqual(['db']);
    expect(() => readFileSync(join(tree.root, 'svc-gone', 'cgroup.procs'))).toThrow(/ENOENT/);
  });

  it('rejects ids that are not plain names', () => {
    const tree = openTree();
    expect(() => tree.service('../escape')).toThrow(/bad instance id/);
  });
});
