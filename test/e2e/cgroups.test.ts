// A service is all of its processes (SPEC §2, §6, issue 4), with the built binary as root:
// cgroup v2 containment of double-forked processes, limits without a controller, adoption of
// live services after kill -9 of the daemon, SO_PEERCRED refusal of another uid's peer, and the
// process-group fallback when cgroup v2 is not writable.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupDir, findCgroup2MountInfo, ownCgroup } from '../../src/cgroup/mount.js';
import { CLI, pidAlive, Project, useProjects, waitFor } from './harness.js';

/** Why tend cannot make cgroups here (as the test runner, which is what the daemon inherits), or undefined. */
function cgroupUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  const mount = findCgroup2MountInfo();
  if (!mount) return 'no cgroup2 mount in /proc/self/mountinfo';
  const own = ownCgroup();
  const dir = own === undefined ? undefined : cgroupDir(mount, own);
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

const noCgroups = cgroupUnavailable();
if (noCgroups) console.log(`skipping the cgroup tests of test/e2e/cgroups.test.ts: ${noCgroups}`);
const noSetpriv = process.getuid?.() !== 0 ? 'not root' : spawnSync('setpriv', ['--version']).error ? 'no setpriv' : undefined;
if (noSetpriv) console.log(`skipping the other-uid tests of test/e2e/cgroups.test.ts: ${noSetpriv}`);

const { project } = useProjects();
let strays: number[] = [];
afterEach(() => {
  // processes a failed test may have left (an adopted service whose daemon was killed)
  for (const pid of strays) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  strays = [];
});

/** A number that makes a `sleep` argv unique to this run (we find and count processes by it). */
function marker(): string {
  return `9${String(process.pid).padStart(7, '0')}${Math.floor(Math.random() * 1e4)}`;
}

/** Pids whose argv is exactly `sleep <arg>`; each one becomes a stray to kill after the test. */
function sleepers(arg: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8') === `sleep\0${arg}\0` && pidAlive(Number(name))) out.push(Number(name));
    } catch {
      // gone
    }
  }
  strays.push(...out);
  return out;
}

/** The cgroup v2 path of a pid ("0::" line of /proc/<pid>/cgroup). */
function cgroupOf(pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'));
  return line?.slice(3) ?? '';
}

function ppidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

describe.skipIf(noCgroups !== undefined)('cgroup v2 containment', () => {
  it('a double-forking service: every pid in its svc cgroup, tend stop leaves none alive; memory shown', async () => {
    const esc = marker();
    const main = marker();
    const p = project(`
services:
  dbl:
    command: setsid sh -c 'sleep ${esc} & exit 0'; sleep ${main}
`);
    await p.up();
    expect(p.err).not.toMatch(/process group/); // no fallback warning: cgroups are in use
    await p.waitState('dbl', 'running');
    const [escaped] = await waitFor(() => {
      const s = sleepers(esc);
      return s.length === 1 ? s : undefined;
    }, 'the double-forked sleep');
    const [child] = await waitFor(() => {
      const s = sleepers(main);
      return s.length === 1 ? s : undefined;
    }, "the service's sleep");
    const row = (await p.status())[0]!;
    const leader = row.pid as number;
    // it did escape its parent: reparented to tend (child subreaper), no longer under the service's shell
    expect(ppidOf(escaped!)).not.toBe(leader);
    expect(ppidOf(escaped!)).toBe(p.daemon!.pid);
    const svc = cgroupOf(leader);
    expect(svc).toMatch(/\/tend-[0-9a-f]{10}\/svc-dbl$/);
    expect(cgroupOf(child!)).toBe(svc);
    expect(cgroupOf(escaped!)).toBe(svc);
    expect(cgroupOf(p.daemon!.pid!)).toBe(svc.replace(/svc-dbl$/, 'daemon'));
    // memory (and cpu) summed over the service's processes
    expect(typeof row.memory).toBe('number');
    expect(row.memory).toBeGreaterThan(0);
    expect(row.cpu).not.toBeNull();

    const r = await p.run(['stop', 'dbl']);
    expect(r.code).toBe(0);
    expect(await p.state('dbl')).toBe('stopped');
    for (const pid of [leader, child!, escaped!]) expect(pidAlive(pid), `pid ${pid} after tend stop`).toBe(false);
    expect(sleepers(esc)).toEqual([]);
    // and a start after the stop runs in the same (emptied) cgroup again
    expect((await p.run(['start', 'dbl'])).code).toBe(0);
    expect(cgroupOf((await p.status())[0]!.pid)).toBe(svc);
  });

  it("what a run left behind is killed at stop_timeout, but the next run in the same cgroup is not", async () => {
    const m = `6${String(process.pid).padStart(7, '0')}${Math.floor(Math.random() * 1e4)}`;
    const p = project(`
services:
  a:
    # the first run exits 1 leaving a child that ignores SIGTERM; the next runs stay up
    command: if [ -e second ]; then exec sleep 1000; fi; touch second; sh -c "trap '' TERM; exec sleep ${m}" & exit 1
    restart: always
    backoff: { initial: 0ms }
    stop_timeout: 300ms
`);
    await p.up();
    await waitFor(async () => (await p.status())[0]!.restarts === 1 && (await p.state('a')) === 'running', 'the second run');
    const second = (await p.status())[0]!.pid as number;
    // the leftover of the first run goes (SIGKILL after stop_timeout) ...
    await waitFor(() => !readdirSync('/proc').some((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'utf8') === `sleep\0${m}\0`;
      } catch {
        return false;
      }
    }), 'the leftover of the first run killed');
    // ... and the second run, in the same cgroup, is untouched
    await new Promise((r) => setTimeout(r, 400)); // past one more stop_timeout: nothing else may fire
    expect(pidAlive(second)).toBe(true);
    expect((await p.status())[0]).toMatchObject({ state: 'running', pid: second, restarts: 1 });
  });

  it('limits.memory without the memory controller: one warning for that service, however often it starts', async () => {
    const p = project(`
services:
  capped:
    command: sleep 0.05; exit 1
    restart: always
    backoff: { initial: 10ms, max: 10ms }
    start_limit: { burst: 4, interval: 1h }
    limits: { memory: 64M }
  free:
    command: sleep 1000
`);
    await p.up();
    await p.waitState('capped', 'failed');
    const state = JSON.parse(readFileSync(`${p.socket}.state`, 'utf8')) as { cgroupRoot: string | null };
    expect(state.cgroupRoot).toBeTruthy();
    const controllers = readFileSync(join(state.cgroupRoot!, 'cgroup.subtree_control'), 'utf8');
    if (/\bmemory\b/.test(controllers)) {
      console.log('the memory controller is available here: checking memory.max instead of the warning');
      expect(readFileSync(join(state.cgroupRoot!, 'svc-capped/memory.max'), 'utf8').trim()).toBe(String(64 * 1024 * 1024));
      return;
    }
    const ev = await p.events();
    expect(ev.filter((e) => e.service === 'capped' && e.what === 'exit').length).toBe(4);
    const warnings = ev.filter((e) => e.what === 'warning');
    expect(warnings.map((e) => e.service)).toEqual(['capped']);
    expect(warnings[0]!.why).toMatch(/limits\.memory 64M not applied: the memory controller is not available/);
  });
});

describe.skipIf(noCgroups !== undefined)('adoption after kill -9 of the daemon', () => {
  it('same pids, running, no second copy; a changed command restarts only that one; an exit is noticed', async () => {
    const ma = marker();
    const mb = marker();
    const mb2 = marker();
    const yaml = (b: string): string => `
services:
  a:
    command: [sleep, "${ma}"]
    restart: never
  b:
    command: [sleep, "${b}"]
`;
    const p = project(yaml(mb));
    await p.up();
    await p.waitState('a', 'running');
    await p.waitState('b', 'running');
    const first = await p.status();
    const pidA = first.find((r) => r.name === 'a')!.pid as number;
    const pidB = first.find((r) => r.name === 'b')!.pid as number;
    expect(sleepers(ma)).toEqual([pidA]);
    expect(sleepers(mb)).toEqual([pidB]);
    // the state file says where to find them; let the debounced write land
    await waitFor(() => {
      const s = JSON.parse(readFileSync(`${p.socket}.state`, 'utf8'));
      return s.instances?.a?.pid === pidA && s.instances?.b?.pid === pidB;
    }, 'the state file to list a and b');

    // kill -9 tend: the services live on in their cgroups
    p.daemon!.kill('SIGKILL');
    await p.exit;
    expect(pidAlive(pidA)).toBe(true);
    expect(pidAlive(pidB)).toBe(true);

    await p.up();
    const again = await p.status();
    expect(again.map((r) => [r.name, r.state, r.pid])).toEqual([
      ['a', 'running', pidA],
      ['b', 'running', pidB],
    ]);
    expect(sleepers(ma)).toEqual([pidA]);
    expect(sleepers(mb)).toEqual([pidB]);
    const adopted = (await p.events()).filter((e) => e.what === 'adopt').map((e) => e.service);
    expect(adopted.sort()).toEqual(['a', 'b']);

    // kill -9 again; b's command changes meanwhile: b restarts, a is adopted
    p.daemon!.kill('SIGKILL');
    await p.exit;
    p.write(yaml(mb2));
    await p.up();
    await p.waitState('b', 'running');
    await waitFor(() => !pidAlive(pidB), 'the old b to be killed');
    const third = await p.status();
    const rowA = third.find((r) => r.name === 'a')!;
    const rowB = third.find((r) => r.name === 'b')!;
    expect([rowA.state, rowA.pid]).toEqual(['running', pidA]);
    expect(rowB.pid).not.toBe(pidB);
    expect(sleepers(mb2)).toEqual([rowB.pid]);
    expect(sleepers(mb)).toEqual([]);
    expect(sleepers(ma)).toEqual([pidA]);

    // an adopted service that exits is noticed through its cgroup (not our child: no SIGCHLD)
    process.kill(pidA, 'SIGTERM');
    await waitFor(async () => (await p.state('a')) !== 'running', 'a to leave running after its adopted pid ended');
    const endA = (await p.status()).find((r) => r.name === 'a')!;
    expect(endA.state).toBe('failed');
    expect(endA.pid).toBeNull();
    // and an adopted-then-kept b is stopped like any other
    expect((await p.run(['stop', 'b'])).code).toBe(0);
    expect(pidAlive(rowB.pid)).toBe(false);
  }, 60_000);
});

describe.skipIf(noSetpriv !== undefined)('the control socket and other uids', () => {
  it('a peer of uid 65534 is refused by SO_PEERCRED (even with the socket opened up); root is served', async () => {
    const p = project(`services:\n  a:\n    command: sleep 1000\n`);
    await p.up();
    // open the path so only the daemon's peer check can refuse
    chmodSync(p.dir, 0o755);
    chmodSync(join(p.dir, '.tend'), 0o755);
    chmodSync(p.socket, 0o666);
    const nobody = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = spawn(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'status', '--socket', p.socket],
        { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (code) => resolve({ code, stderr }));
    });
    expect(nobody.code).not.toBe(0);
    expect(nobody.code).not.toBe(3); // it reached the daemon: not "no daemon answers"
    expect(nobody.stderr).toContain('uid 65534 may not control this tend');
    const root = await p.run(['status', '--json']);
    expect(root.code).toBe(0);
    expect(JSON.parse(root.stdout)[0].state).toBe('running');
  });

  it('without a writable cgroup v2 (tend up as uid 65534): one warning line, services still run', async () => {
    const m = marker();
    const p = project(`services:\n  a:\n    command: [sleep, "${m}"]\n`);
    chmodSync(p.dir, 0o777);
    const child = spawn(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'up'],
      { cwd: p.dir, env: { ...process.env, NO_COLOR: '1', HOME: p.dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // let the harness own it: close() SIGTERMs it and waits
    p.daemon = child;
    child.stdout.on('data', (c) => (p.out += c));
    child.stderr.on('data', (c) => (p.err += c));
    p.exit = new Promise((r) => child.on('exit', (code) => r(code)));
    await waitFor(() => existsSync(p.socket) && sleepers(m).length === 1, 'the daemon of uid 65534 and its service', 15_000);
    const warn = p.err.split('\n').filter((l) => l.includes('cgroup v2'));
    expect(warn.length).toBe(1);
    expect(warn[0]).toMatch(/^tend: warning: cgroup v2 .*process group/);
    const [pid] = sleepers(m);
    expect(cgroupOf(pid!)).not.toMatch(/svc-a$/);
    child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(pidAlive(pid!)).toBe(false);
  });
});

