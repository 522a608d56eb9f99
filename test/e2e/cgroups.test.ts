// A service is all of its processes (docs/processes.md), with the built binary as root:
// cgroup v2 containment of double-forked processes, limits without a controller, adoption of
// live services after kill -9 of the daemon, SO_PEERCRED refusal of another uid's peer, and the
// process-group fallback when cgroup v2 is not writable.
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { pidAlive, tend, useProjects, waitFor } from './harness.js';
import { cgroupOf, cgroupUnavailable, marker, sleepersOf } from './procs.js';
import { NOBODY, RootlessProject } from './rootless.js';

const noCgroups = cgroupUnavailable();
if (noCgroups) console.log(`skipping the cgroup tests of test/e2e/cgroups.test.ts: ${noCgroups}`);
const noSetpriv = process.getuid?.() !== 0 ? 'not root' : spawnSync('setpriv', ['--version']).error ? 'no setpriv' : undefined;
if (noSetpriv) console.log(`skipping the other-uid tests of test/e2e/cgroups.test.ts: ${noSetpriv}`);

const { started, track } = useProjects();
let strays: number[] = [];
afterEach(() => {
  // processes a failed test may have left (an adopted service whose daemon was killed)
  for (const pid of strays) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  strays = [];
});

/** Pids whose argv is exactly `sleep <arg>`; each one becomes a stray to kill after the test. */
function sleepers(arg: string): number[] {
  const out = sleepersOf(arg);
  strays.push(...out);
  return out;
}

function ppidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

describe.skipIf(noCgroups !== undefined)('cgroup v2 containment', () => {
  it('a double-forking service: every pid in its svc cgroup, tend stop leaves none alive; memory shown', async () => {
    const esc = marker();
    const main = marker();
    const p = await started(`
services:
  dbl:
    command: setsid sh -c 'sleep ${esc} & exit 0'; sleep ${main}
`);
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

  it('what a run left behind is killed at stop_timeout, and the next run starts after it, untouched by that kill', async () => {
    const m = `6${String(process.pid).padStart(7, '0')}${Math.floor(Math.random() * 1e4)}`;
    const p = await started(`
services:
  a:
    # the first run exits 1 leaving a child that ignores SIGTERM; the next runs stay up
    command: if [ -e second ]; then exec sleep 1000; fi; touch second; sh -c "trap '' TERM; exec sleep ${m}" & exit 1
    restart: always
    backoff: { initial: 0ms }
    stop_timeout: 300ms
`);
    const leftover = (): boolean =>
      readdirSync('/proc').some((n) => {
        try {
          return readFileSync(`/proc/${n}/cmdline`, 'utf8') === `sleep\0${m}\0`;
        } catch {
          return false;
        }
      });
    // the second run waits for the leftover of the first to be gone (SIGKILL after stop_timeout),
    // as systemd waits for the cgroup to empty: a leftover holding a port would fail it
    await waitFor(async () => (await p.status())[0]!.restarts === 1 && (await p.state('a')) === 'running', 'the second run');
    expect(leftover()).toBe(false);
    const second = (await p.status())[0]!.pid as number;
    // ... and the second run, in the same cgroup, is untouched
    await new Promise((r) => setTimeout(r, 400)); // past one more stop_timeout: nothing else may fire
    expect(pidAlive(second)).toBe(true);
    expect((await p.status())[0]).toMatchObject({ state: 'running', pid: second, restarts: 1 });
  });

  it('tend stop of a service whose last run left a process behind returns once that process is gone', async () => {
    const p = await started(`
services:
  a:
    # exits 1 leaving a child that ignores SIGTERM (SIGKILL at stop_timeout)
    command: sh -c "trap '' TERM; exec sleep 1000" & echo $$! > left.pid; exit 1
    restart: never
    stop_timeout: 120s
`);
    // (120 s: the checks below run while the leftover lingers; the test ends it itself)
    await p.waitState('a', 'failed');
    const left = Number(readFileSync(join(p.dir, 'left.pid'), 'utf8'));
    strays.push(left);
    expect(pidAlive(left)).toBe(true);
    // why says it too (it said only the state and its reason)
    expect((await p.run(['why', 'a'])).stdout).toContain(
      'It is waiting for what its last run left behind to end (SIGKILL at stop_timeout).',
    );
    // a stop that times out first says what it waits for (it said only "(stopped)")
    const short = await p.run(['stop', 'a', '--timeout', '300ms']);
    expect([short.code, short.stderr]).toEqual([
      1,
      'tend: timed out after 300ms waiting for a (failed, waiting for what its last run left behind to end (SIGKILL at stop_timeout))\n',
    ]);
    // it said "stopped a" with the leftover still there for up to stop_timeout: now it answers
    // only once the leftover is gone (ended here, by its pid, as SIGKILL at stop_timeout would)
    const stop = p.run(['stop', 'a']);
    const asked = async () => (await p.events()).filter((e) => e.what === 'request' && e.why.startsWith('tend stop a ')).length;
    await waitFor(async () => (await asked()) === 2 || undefined, 'the second tend stop a in the journal');
    // half a second more for an answer that should not come (a slow machine makes this weaker, never wrong)
    const early = await Promise.race([stop.then(() => 'answered'), delay(500).then(() => 'pending')]);
    expect(early, 'tend stop answered while the leftover lived').toBe('pending');
    expect(pidAlive(left)).toBe(true);
    process.kill(left, 'SIGKILL');
    const r = await stop;
    expect([r.code, r.stdout]).toEqual([0, 'stopped a\n']);
    expect(pidAlive(left)).toBe(false);
  });

  it('limits.memory without the memory controller: one warning for that service, however often it starts', async () => {
    const p = await started(`
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

describe.skipIf(noCgroups !== undefined)('the descriptors status holds open', () => {
  it('a service restarting over and over while status is asked: the daemon holds no more files than before', async () => {
    const p = await started(`
settings: { echo: false, watch: false }
services:
  flap:
    command: sleep 0.01
    restart: always
    backoff: { initial: 0 }
    start_limit: { burst: 100000, interval: 1s }
  still:
    command: sleep 1000
`);
    const fds = (): number => readdirSync(`/proc/${p.daemon!.pid}/fd`).length;
    const restarts = async (): Promise<number> => (await p.status()).find((r) => r.name === 'flap')?.restarts ?? 0;
    // status reads each instance's cgroup.procs and its processes' stat through files it keeps
    // open: once per cgroup and live process, not once per run
    await waitFor(async () => (await restarts()) >= 5, 'five restarts of flap');
    const before = fds();
    const from = await restarts();
    await waitFor(async () => (await restarts()) >= from + 60, 'sixty more restarts, status asked at each look', 60_000);
    expect(fds()).toBeLessThan(before + 10);
  }, 90_000);
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
    const p = await started(yaml(mb));
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

  it('one not ready yet is adopted starting, and becomes running when its readiness passes', async () => {
    const m = marker();
    const p = await started(`
services:
  slow:
    command: [sleep, "${m}"]
    readiness: { exec: "test -e ready", interval: 100ms }
`);
    await p.waitState('slow', 'starting');
    const pid = (await p.status()).find((r) => r.name === 'slow')!.pid as number;
    expect(sleepers(m)).toEqual([pid]);
    await waitFor(() => {
      const s = JSON.parse(readFileSync(`${p.socket}.state`, 'utf8'));
      return s.instances?.slow?.pid === pid && s.instances.slow.ready === false;
    }, 'the state file to say slow is not ready');
    p.daemon!.kill('SIGKILL');
    await p.exit;
    await p.up();
    // it was counted running (and ready for /readyz) at once
    const row = (await p.status()).find((r) => r.name === 'slow')!;
    expect([row.state, row.pid]).toEqual(['starting', pid]);
    writeFileSync(join(p.dir, 'ready'), '');
    await p.waitState('slow', 'running');
    expect(sleepers(m)).toEqual([pid]);
    // ready now: the state file says so, and a next adoption takes it as running
    await waitFor(
      () => JSON.parse(readFileSync(`${p.socket}.state`, 'utf8')).instances?.slow?.ready === undefined,
      'ready on file',
    );
  }, 60_000);
});

describe.skipIf(noCgroups !== undefined || process.getuid?.() !== 0)('adoption and a private /tmp', () => {
  it("an adopted service's private /tmp is removed once its processes are gone, as a spawned one's is", async () => {
    const m = marker();
    const name = `pt${m}`;
    const p = await started(`
services:
  ${name}:
    command: [sleep, "${m}"]
    private_tmp: true
`);
    await p.waitState(name, 'running');
    const pid = (await p.status())[0]!.pid as number;
    strays.push(pid);
    const folders = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`tend-${name}-`));
    expect(folders()).toHaveLength(1);
    const folder = folders()[0]!;
    await waitFor(() => JSON.parse(readFileSync(`${p.socket}.state`, 'utf8')).instances?.[name]?.pid === pid, 'the state file');
    p.daemon!.kill('SIGKILL');
    await p.exit;
    await p.up();
    expect((await p.status()).map((r) => [r.state, r.pid])).toEqual([['running', pid]]);
    expect((await p.run(['stop', name])).code).toBe(0);
    await waitFor(() => !folders().includes(folder), `${folder} removed`);
  });
});

describe.skipIf(noCgroups !== undefined)('after kill -9 of the daemon, what was wanted survives', () => {
  /** The state file as the daemon last wrote it. */
  const stateOf = (p: { socket: string }) => JSON.parse(readFileSync(`${p.socket}.state`, 'utf8'));

  it('an adopted run of a task keeps its trigger in the history (it became start-up)', async () => {
    const m = marker();
    const p = await started(`
services:
  tick:
    type: oneshot
    every: 1s
    command: [sleep, "${m}"]
`);
    await p.waitState('tick', 'running');
    await waitFor(() => stateOf(p).instances.tick?.trigger === 'schedule', 'the state file to record the run');
    p.daemon!.kill('SIGKILL');
    await p.exit;
    await p.up();
    expect(await p.state('tick')).toBe('running');
    expect((await p.run(['stop', 'tick'])).code).toBe(0);
    const r = await p.run(['history', 'tick', '--json']);
    const runs = JSON.parse(r.stdout) as Array<{ trigger: string; exit: unknown }>;
    expect(runs.map((x) => [x.trigger, x.exit])).toEqual([['schedule', { lost: true }]]);
    sleepers(m);
  });

  it('a completed oneshot does not run again, a service stopped on request stays stopped, an adopted one says its output is lost', async () => {
    const m = marker();
    const p = await started(`
services:
  once:
    type: oneshot
    command: echo ran >> runs.txt
  quiet:
    command: [sleep, "1000"]
  keep:
    command: [sleep, "${m}"]
`);
    await p.waitState('once', 'completed');
    await p.waitState('keep', 'running');
    expect((await p.run(['stop', 'quiet'])).code).toBe(0);
    const pid = (await p.status()).find((r) => r.name === 'keep')!.pid as number;
    expect(sleepers(m)).toEqual([pid]);
    await waitFor(() => {
      const s = stateOf(p).instances;
      return s.keep?.pid === pid && s.quiet?.want === 'down' && s.once?.completedAt > 0;
    }, 'the state file to record keep, quiet and once');
    const spawned = (await p.events()).filter((e) => e.what === 'spawn').map((e) => e.service);
    expect(spawned.sort()).toEqual(['keep', 'once', 'quiet']);

    p.daemon!.kill('SIGKILL');
    await p.exit;
    await p.up();
    const rows = await p.status();
    const row = (name: string) => rows.find((r) => r.name === name)!;
    expect([row('once').state, row('quiet').state, row('keep').state, row('keep').pid]).toEqual([
      'completed',
      'stopped',
      'running',
      pid,
    ]);
    expect(readFileSync(join(p.dir, 'runs.txt'), 'utf8')).toBe('ran\n');
    // why quiet is stopped (it said "autostart is off")
    expect(row('quiet').detail).toBe('stopped on request under an earlier tend');
    const all = await p.events();
    const events = all.slice(all.map((e) => e.what).lastIndexOf('up')); // this daemon's
    // this daemon spawned nothing: once and quiet came back as they were, keep was adopted
    expect(events.filter((e) => e.what === 'spawn')).toEqual([]);
    expect(events.filter((e) => e.what === 'recall').map((e) => [e.service, e.why])).toEqual([
      ['once', 'completed under an earlier tend with this spec: not run again'],
      ['quiet', 'stopped on request under an earlier tend: stays stopped'],
    ]);
    // keep's output went with the killed daemon: status, why and the journal say so
    expect(row('keep').detail).toBe('adopted from an earlier tend: its output is lost until it restarts');
    expect((await p.run(['why', 'keep'])).stdout).toContain(
      'Adopted from an earlier tend: its output is lost until it restarts.',
    );
    expect(events.find((e) => e.what === 'adopt' && e.service === 'keep')?.why).toMatch(
      /adopted; its output is lost until it restarts$/,
    );
    // once restarted, its output is captured again
    expect((await p.run(['restart', 'keep'])).code).toBe(0);
    expect((await p.status()).find((r) => r.name === 'keep')!.detail).toBe('');
    // and a oneshot whose command changed while tend was down runs again
    await waitFor(() => stateOf(p).instances.keep?.pid !== pid, 'the state file to record the new keep');
    p.daemon!.kill('SIGKILL');
    await p.exit;
    p.write(readFileSync(join(p.dir, 'tend.yaml'), 'utf8').replace('echo ran', 'echo again'));
    await p.up();
    await p.waitState('once', 'completed');
    expect(readFileSync(join(p.dir, 'runs.txt'), 'utf8')).toBe('ran\nagain\n');
    expect(await p.state('quiet')).toBe('stopped');
    sleepers(m);
  }, 90_000);

  it('the processes a run left behind, with the same config: killed as leftovers, not as "another config"', async () => {
    const m = marker();
    const p = await started(`
services:
  left:
    # the first run ends, leaving a child that ignores SIGTERM (killed only at stop_timeout)
    command: if [ -e armed ]; then exit 3; fi; sh -c "trap '' TERM; touch armed; exec sleep ${m}" & while [ ! -e armed ]; do sleep 0.01; done; exit 3
    restart: never
    stop_timeout: 60s
`);
    await p.waitState('left', 'failed');
    const [leftover] = await waitFor(() => {
      const s = sleepers(m);
      return s.length === 1 ? s : undefined;
    }, 'the leftover sleep');
    // the state file is written debounced: the kill comes once it says the run is over
    await waitFor(() => (stateOf(p).instances.left?.pid ?? null) === null, 'the state file to record the ended run');
    p.daemon!.kill('SIGKILL');
    await p.exit;
    expect(pidAlive(leftover!)).toBe(true);
    await p.up();
    await waitFor(() => !pidAlive(leftover!), 'the leftover to be killed');
    const kill = (await p.events()).find((e) => e.what === 'kill' && e.service === 'left');
    expect(kill?.why).toBe('left by an earlier tend, which had no live run of it on record: killed');
    expect(sleepers(m)).toEqual([]);
  }, 60_000);
});

describe.skipIf(noSetpriv !== undefined)('the control socket and other uids', () => {
  it('a peer of uid 65534 is refused by SO_PEERCRED (even with the socket opened up); root is served', async () => {
    const p = await started(`services:\n  a:\n    command: sleep 1000\n`);
    // open the path so only the daemon's peer check can refuse
    chmodSync(p.dir, 0o755);
    chmodSync(join(p.dir, '.tend'), 0o755);
    chmodSync(p.socket, 0o666);
    const nobody = await tend(p.dir, ['status', '--socket', p.socket], { as: NOBODY });
    expect(nobody.code).not.toBe(0);
    expect(nobody.code).not.toBe(3); // it reached the daemon: not "no daemon answers"
    expect(nobody.stderr).toContain('uid 65534 may not control this tend');
    const root = await p.run(['status', '--json']);
    expect(root.code).toBe(0);
    expect(JSON.parse(root.stdout)[0].state).toBe('running');
  });

  it('without a writable cgroup v2 (tend up as uid 65534): one warning line, services still run', async () => {
    const m = marker();
    const p = track(new RootlessProject(`services:\n  a:\n    command: [sleep, "${m}"]\n`));
    await p.up();
    await waitFor(() => sleepers(m).length === 1, 'the service of the daemon of uid 65534', 15_000);
    const warn = p.err.split('\n').filter((l) => l.includes('cgroup v2'));
    expect(warn.length).toBe(1);
    expect(warn[0]).toMatch(/^tend: warning: cgroup v2 .*process group/);
    const [pid] = sleepers(m);
    expect(cgroupOf(pid!)).not.toMatch(/svc-a$/);
    p.daemon!.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(pidAlive(pid!)).toBe(false);
  });
});
