// The socket folder and the state file (`<socket>.state`) are tend's alone, with the built binary:
// a folder others may write to is refused; the state is never written through a link someone
// planted; a state file tend did not write (another owner, a cgroup not made for this socket) is
// ignored with a warning, and nothing it names is moved into, killed or removed.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidAlive, tend, useProjects, waitFor } from './harness.js';
import { cgroupOf, cgroupUnavailable, marker, ownCgroupDir } from './procs.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the other-owner tests of test/e2e/state-file.test.ts: not root');
const noCgroups = cgroupUnavailable();
if (noCgroups) console.log(`skipping the forged cgroup test of test/e2e/state-file.test.ts: ${noCgroups}`);

const { project } = useProjects();
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      c();
    } catch {
      // best effort
    }
  }
});

/** rmdir of a cgroup, retried while its last process is still on its way out (up to 2 s). */
function rmdirCgroup(dir: string): void {
  const end = Date.now() + 2000;
  for (;;) {
    try {
      return rmdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || Date.now() > end) return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

const ONE = `services:\n  a:\n    command: touch spawned; exec sleep 1000\n`;

describe('the socket folder', () => {
  it('writable by others: tend up exits 2 naming the folder and its mode, before spawning anything', async () => {
    const p = project(ONE);
    const dir = join(p.dir, '.tend');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const r = await tend(p.dir, ['up']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`tend: the socket folder ${dir} may be written by others (mode 0777): refusing to use it`);
    expect(existsSync(join(p.dir, 'spawned'))).toBe(false);
    expect(existsSync(p.socket)).toBe(false);
    chmodSync(dir, 0o775); // group-writable is others too
    expect((await tend(p.dir, ['up'])).stderr).toContain('(mode 0775)');
  });

  it.skipIf(!isRoot)('owned by another user: refused the same way', async () => {
    const p = project(ONE);
    const dir = join(p.dir, '.tend');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    const r = await tend(p.dir, ['up']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`tend: the socket folder ${dir} is owned by uid 65534, not by tend's uid 0: refusing to use it`);
    expect(existsSync(join(p.dir, 'spawned'))).toBe(false);
  });
});

describe('the state file', () => {
  it('is not written through a temp-file link planted before tend wrote it', async () => {
    const p = project(ONE);
    mkdirSync(join(p.dir, '.tend'), { mode: 0o700 });
    const victim = join(p.dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const up = p.up();
    // the daemon's pid is known as soon as it is spawned, long before it writes its state
    symlinkSync(victim, `${p.socket}.state.${p.daemon!.pid}.tmp`);
    await up;
    await p.waitState('a', 'running');
    await waitFor(() => {
      try {
        return JSON.parse(readFileSync(`${p.socket}.state`, 'utf8')).instances?.a?.pid > 0;
      } catch {
        return false;
      }
    }, 'the state file to list a');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(`${p.socket}.state`).isFile()).toBe(true);
    expect(lstatSync(`${p.socket}.state`).mode & 0o777).toBe(0o600);
  });

  it.skipIf(!isRoot || noCgroups !== undefined)(
    'naming a cgroup tend did not make for this socket, or owned by another user: ignored with a warning; nothing there is touched',
    async () => {
      // a cgroup that is not tend's, with a process in a service-like child
      const victim = join(ownCgroupDir()!, `tend-victim-${process.pid}`);
      mkdirSync(join(victim, 'svc-x'), { recursive: true });
      cleanups.push(() => rmdirCgroup(victim));
      cleanups.push(() => rmdirCgroup(join(victim, 'svc-x')));
      const m = marker();
      const sleeper = spawn('sleep', [m], { stdio: 'ignore', detached: true });
      cleanups.push(() => process.kill(sleeper.pid!, 'SIGKILL'));
      writeFileSync(join(victim, 'svc-x/cgroup.procs'), String(sleeper.pid));

      const p = project(ONE);
      mkdirSync(join(p.dir, '.tend'), { mode: 0o700 });
      const forged = JSON.stringify({
        version: 1,
        pid: 1,
        cgroupRoot: victim,
        instances: { a: { hash: 'x', pid: sleeper.pid, startedAt: 1, spawns: 1 } },
      });
      writeFileSync(`${p.socket}.state`, forged, { mode: 0o600 });
      await p.up();
      await p.waitState('a', 'running');
      const warning = (await p.events()).find((e) => e.what === 'warning' && e.service === 'tend');
      expect(warning?.why).toMatch(
        new RegExp(
          `^ignoring the state an earlier tend left: .*tend\\.sock\\.state names the cgroup ${victim}, which is not named tend-[0-9a-f]{10} \\(the subtree of this socket\\)$`,
        ),
      );
      expect(p.err).toContain('warning: ignoring the state an earlier tend left');
      expect(cgroupOf(p.daemon!.pid!)).not.toContain(`tend-victim-${process.pid}`);
      expect(pidAlive(sleeper.pid!)).toBe(true);
      // the daemon's own state replaced the forged one; a clean shutdown leaves the victim as it was
      p.daemon!.kill('SIGTERM');
      expect(await p.exit).toBe(0);
      expect(pidAlive(sleeper.pid!)).toBe(true);
      expect(existsSync(join(victim, 'svc-x'))).toBe(true);

      // a state file of another owner is not tend's either (written by root, chowned after)
      const q = project(ONE);
      mkdirSync(join(q.dir, '.tend'), { mode: 0o700 });
      writeFileSync(`${q.socket}.state`, forged, { mode: 0o600 });
      chownSync(`${q.socket}.state`, 65534, 65534);
      await q.up();
      const ignored = (await q.events()).find((e) => e.what === 'warning' && e.service === 'tend');
      expect(ignored?.why).toMatch(/tend\.sock\.state is owned by uid 65534, not by tend's uid 0$/);
      expect(pidAlive(sleeper.pid!)).toBe(true);
    },
    60_000,
  );
});
