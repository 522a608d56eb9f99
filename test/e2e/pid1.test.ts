// tend as PID 1 of a fresh PID namespace (`unshare --pid --fork --mount-proc`), driven from
// outside through its socket (docs/processes.md, "PID 1 and signals"): orphans reaped while restarts keep their exit
// codes, SIGTERM -> ordered shutdown and exit 0, exit_with, shutdown_timeout as a hard bound.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { askDaemon, CLI, pidAlive, Project, type RunResult, tend, useProjects, waitFor } from './harness.js';
import { childrenOf, marker, sleepersOf } from './procs.js';

/** Why this machine cannot run tend as PID 1 of a new PID namespace, or undefined when it can. */
function pid1Unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (unshare --pid needs CAP_SYS_ADMIN)';
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore', timeout: 10_000 });
  if (r.error) return `no unshare (${r.error.message})`;
  if (r.status !== 0) return `unshare --pid --fork --mount-proc true exited ${r.status}`;
  return undefined;
}

const unavailable = pid1Unavailable();
if (unavailable) console.log(`skipping test/e2e/pid1.test.ts: ${unavailable}`);

/** A temp project whose `tend up` runs as PID 1 of its own PID namespace. */
class Pid1 {
  readonly dir = mkdtempSync(join(tmpdir(), 'tend-pid1-'));
  unshare: ChildProcess | undefined;
  /** tend's pid as seen from here (it is 1 inside the namespace) */
  daemonPid = 0;
  /** the inode link of the new PID namespace, e.g. "pid:[4026532712]" */
  ns = '';
  out = '';
  err = '';
  exit: Promise<number | null> | undefined;
  exitedAt = 0;

  constructor(yaml: string) {
    writeFileSync(join(this.dir, 'tend.yaml'), yaml);
  }

  get socket(): string {
    return join(this.dir, '.tend/tend.sock');
  }

  /** Starts `unshare ... node dist/tend.cjs up -c tend.yaml` and waits until the socket answers. */
  async up(): Promise<void> {
    const u = spawn(
      'unshare',
      ['--pid', '--fork', '--mount-proc', process.execPath, CLI, 'up', '-c', join(this.dir, 'tend.yaml')],
      {
        cwd: this.dir,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.unshare = u;
    u.stdout!.on('data', (c) => (this.out += c));
    u.stderr!.on('data', (c) => (this.err += c));
    this.exit = new Promise((r) =>
      u.on('exit', (code, sig) => {
        this.exitedAt = Date.now();
        r(code ?? (sig ? -1 : null));
      }),
    );
    const upid = u.pid!;
    this.daemonPid = await waitFor(() => {
      if (u.exitCode !== null) throw new Error(`unshare exited ${u.exitCode}: ${this.err}`);
      const kids = childrenOf(upid);
      return kids.length === 1 ? kids[0]! : 0;
    }, 'the child of unshare (tend, PID 1 inside)');
    this.ns = readlinkSync(`/proc/${upid}/ns/pid_for_children`);
    expect(readlinkSync(`/proc/${this.daemonPid}/ns/pid`)).toBe(this.ns);
    // NSpid: <pid here> <pid inside>; inside it must be 1
    expect(readFileSync(`/proc/${this.daemonPid}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+1$/m);
    await waitFor(
      async () => {
        if (u.exitCode !== null) throw new Error(`unshare exited ${u.exitCode}: ${this.err}`);
        return (await askDaemon(this.socket, 'status', {})) !== undefined;
      },
      'the daemon socket',
      15_000,
    );
  }

  run(args: string[]): Promise<RunResult> {
    return tend(this.dir, [...args, '--socket', this.socket]);
  }

  /**
   * The status rows and the journal, asked on the socket from this process (the waits poll them:
   * a `tend` process each time was a node start every 25 ms); `run` is the CLI's way.
   */
  async status(): Promise<Array<Record<string, any>>> {
    const r = await askDaemon(this.socket, 'status', {});
    if (r === undefined) throw new Error(`no daemon answers on ${this.socket}`);
    return r.services;
  }

  async waitState(name: string, state: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(
      async () => (await this.status()).find((s) => s.name === name)?.state === state,
      `${name} to be ${state}`,
      timeoutMs,
    );
  }

  async events(): Promise<Array<{ service: string; what: string; why: string }>> {
    const r = await askDaemon(this.socket, 'events', { lines: 10_000 });
    if (r === undefined) throw new Error(`no daemon answers on ${this.socket}`);
    return r.events;
  }

  /** Processes of the namespace in state Z, as "pid(ppid) comm", seen from here. */
  zombies(): string[] {
    const out: string[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (readlinkSync(`/proc/${name}/ns/pid`) !== this.ns) continue;
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (rest[0] === 'Z') out.push(`${name}(${rest[1]}) ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`);
      } catch {
        // gone meanwhile
      }
    }
    return out;
  }

  /** Processes still alive in the namespace (tend's included). */
  members(): number[] {
    const out: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (readlinkSync(`/proc/${name}/ns/pid`) === this.ns) out.push(Number(name));
      } catch {
        // gone
      }
    }
    return out;
  }

  /** SIGTERM to tend (PID 1 inside), SIGKILL at a deadline (that ends the whole namespace). */
  async close(): Promise<void> {
    const u = this.unshare;
    if (u && u.exitCode === null && u.signalCode === null) {
      kill(this.daemonPid, 'SIGTERM');
      const t = setTimeout(() => {
        kill(this.daemonPid, 'SIGKILL');
        kill(u.pid!, 'SIGKILL');
      }, 15_000);
      await this.exit;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    if (pid > 0) process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

const { track } = useProjects();
/** A Pid1 project of `yaml`, its `tend up` started and answering. */
const started = async (yaml: string): Promise<Pid1> => {
  const p = track(new Pid1(yaml));
  await p.up();
  return p;
};

describe.skipIf(unavailable !== undefined)('tend as PID 1 of a PID namespace', () => {
  it('reaps 500 orphans (zero zombies left, the time printed) while 100 restarts all report exit code 3', async () => {
    const p = await started(`
services:
  orphans:
    command: for i in $(seq 500); do (sleep 0.01 &); done; echo spawned; sleep 1000
  flap:
    command: exit 3
    restart: always
    backoff: { initial: 0, max: 0 }
    start_limit: { burst: 100, interval: 1h }
`);
    await waitFor(() => p.out.includes('orphans | spawned'), 'the 500 orphans forked', 60_000);
    // the last orphan sleeps 10ms after "spawned": every one is reaped (how soon is printed, a
    // benchmark's business; the peer harness's `zombies` measures it beside the others)
    const t0 = Date.now();
    let left: string[] = [];
    try {
      await waitFor(() => p.zombies().length === 0, 'zero zombies in the namespace', 30_000);
    } catch {
      left = p.zombies();
    }
    expect(left).toEqual([]);
    console.log(`zero zombies ${Date.now() - t0} ms after the last orphan was forked`);

    await p.waitState('flap', 'failed', 60_000);
    const exits = (await p.events()).filter((e) => e.service === 'flap' && e.what === 'exit');
    expect(exits.length).toBe(100);
    expect(exits.every((e) => e.why === 'exited with code 3')).toBe(true);
    const row = (await p.status()).find((r) => r.name === 'flap')!;
    expect(row.exit_code).toBe(3);
    expect(row.detail).toContain('start limit reached');
    // none stays (a process that exits this instant is a zombie until tend reaps it)
    await waitFor(() => p.zombies().length === 0, 'zero zombies after the restarts', 10_000);
    // tend itself is still PID 1 and serving; the orphan maker still runs
    expect((await p.status()).find((r) => r.name === 'orphans')!.state).toBe('running');
  }, 120_000);

  it('SIGTERM to PID 1: dependents stop first, then exit 0', async () => {
    const p = await started(`
settings:
  shutdown_timeout: 10s
services:
  db:
    command: sleep 1000
  web:
    command: sleep 1000
    depends_on: { db: started }
  cache:
    command: sleep 1000
    depends_on: { web: started }
`);
    await p.waitState('cache', 'running');
    kill(p.daemonPid, 'SIGTERM');
    expect(await p.exit).toBe(0);
    const at = (re: RegExp): number => {
      const m = re.exec(p.err);
      expect(m, `${re} in stderr:\n${p.err}`).not.toBeNull();
      return m!.index;
    };
    // cache (depends on web) stops before web is asked to; web before db
    expect(at(/ cache stopped /)).toBeLessThan(at(/ web stopping /));
    expect(at(/ web stopped /)).toBeLessThan(at(/ db stopping /));
    expect(at(/ db stopped /)).toBeGreaterThan(0);
  }, 60_000);

  it('settings.exit_with: a oneshot exiting 7 makes the unshare process exit 7', async () => {
    const p = await started(`
settings:
  exit_with: job
services:
  job:
    type: oneshot
    # ends once the test has seen the daemon up (a loaded machine may take longer than any sleep)
    command: while [ ! -e go ]; do sleep 0.05; done; exit 7
  side:
    command: sleep 1000
`);
    writeFileSync(join(p.dir, 'go'), '');
    expect(await p.exit).toBe(7);
    expect(p.err).toMatch(/ side stopped /);
  }, 60_000);

  it('tend shutdown from outside its pid namespace returns once it is gone (it waited for pid 1 here, the host init)', async () => {
    const p = await started(`services:\n  a:\n    command: sleep 1000\n`);
    await p.waitState('a', 'running');
    const r = await tend(p.dir, ['shutdown', '--socket', p.socket, '--timeout', '20s']);
    expect([r.code, r.stderr, r.stdout.trimEnd().split('\n').at(-1)]).toEqual([0, '', 'tend exited (pid 1)']);
    expect(await p.exit).toBe(0);
  }, 60_000);

  it('SIGHUP to PID 1 reloads the config (watch off: only the signal can)', async () => {
    const p = await started(`settings:\n  watch: false\nservices:\n  a:\n    command: sleep 1000\n`);
    writeFileSync(
      join(p.dir, 'tend.yaml'),
      `settings:\n  watch: false\nservices:\n  a:\n    command: sleep 1000\n  b:\n    command: sleep 1000\n`,
    );
    kill(p.daemonPid, 'SIGHUP');
    await p.waitState('b', 'running');
    expect((await p.status()).map((r) => r.name)).toEqual(['a', 'b']);
  }, 60_000);

  it('a service ignoring SIGTERM: tend still exits within shutdown_timeout (2s)', async () => {
    const p = await started(`
settings:
  shutdown_timeout: 2s
services:
  stubborn:
    command: trap '' TERM; setsid sh -c "trap '' TERM; sleep 1000" & while true; do sleep 0.05; done
    stop_timeout: 60s
`);
    await p.waitState('stubborn', 'running');
    const sent = Date.now();
    kill(p.daemonPid, 'SIGTERM');
    const code = await p.exit;
    const took = p.exitedAt - sent;
    expect(code).toBe(0);
    // cut at shutdown_timeout (2s), not after the service's own stop_timeout (60s, past this
    // test's own bound): the kill says so; the time itself is printed, not asserted
    console.log(`shutdown with a service that ignores SIGTERM took ${took} ms (shutdown_timeout 2s)`);
    expect(p.err).toMatch(/shutdown_timeout/);
    expect((await p.run(['events', 'stubborn'])).stdout).toMatch(
      /stubborn kill SIGKILL sent: still running near shutdown_timeout/,
    );
  }, 60_000);
});

describe('as a child subreaper (not PID 1): shutdown waits for every descendant', () => {
  let plain: Project[] = [];
  let strays: number[] = [];
  afterEach(async () => {
    await Promise.all(plain.map((p) => p.close()));
    plain = [];
    for (const pid of strays) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    strays = [];
  });

  /**
   * `tend up` with `shutdownTimeout`, once its service `a` runs: `a`'s readiness probe leaves
   * `orphan` (a shell line, run by `setsid sh -c`) behind, and exits once the orphan touched
   * started-`m` (the probe's own process group is killed when it ends: that must not race the escape).
   */
  async function upWithOrphan(m: string, shutdownTimeout: string, orphan: string): Promise<Project> {
    const p = new Project(`
settings:
  shutdown_timeout: ${shutdownTimeout}
services:
  a:
    command: sleep 1000
    readiness:
      exec: setsid sh -c "${orphan}" & while [ ! -e started-${m} ]; do sleep 0.01; done; exit 0
`);
    plain.push(p);
    await p.up();
    await p.waitState('a', 'running');
    return p;
  }

  it("an orphan reparented to tend (a probe's double fork, ignoring SIGTERM) is killed at shutdown_timeout", async () => {
    const m = marker();
    const p = await upWithOrphan(m, '2s', `touch started-${m}; trap '' TERM; exec sleep ${m}`);
    const orphan = await waitFor(() => sleepersOf(m)[0] ?? 0, 'the orphan of the probe');
    strays.push(orphan);
    const stat = readFileSync(`/proc/${orphan}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])).toBe(p.daemon!.pid); // reparented to tend
    p.daemon!.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    // killed at the bound (2s), not waited for through its own life (below: said so)
    expect(pidAlive(orphan)).toBe(false);
    // and it says whom it waits for, and whom it kills
    expect(p.err).toContain(
      `tend: processes left behind by services still running at shutdown_timeout: SIGKILL to pid ${orphan} (sleep)`,
    );
    expect((await p.run(['events', 'tend'])).stdout).toContain(
      `shutdown processes left behind by services still running at shutdown_timeout: SIGKILL to pid ${orphan} (sleep)`,
    );
  }, 30_000);

  it('the child of an orphan, reparented to tend when the orphan ends at shutdown, gets SIGTERM too', async () => {
    // the orphan (a shell waiting) ends at its SIGTERM; its child then becomes tend's and must be
    // asked to stop as well, not left until the SIGKILL at the bound (it was: no file); it ends by
    // itself after a minute whatever happens
    const m = marker();
    const p = await upWithOrphan(
      m,
      '20s',
      `sh -c 'trap \\"touch got-term-${m}; exit 0\\" TERM; touch started-${m}; n=0; while [ \\$$n -lt 1200 ]; do sleep 0.05; n=\\$$((n+1)); done' & wait`,
    );
    await waitFor(() => existsSync(join(p.dir, `started-${m}`)), 'the grandchild started');
    p.daemon!.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(existsSync(join(p.dir, `got-term-${m}`))).toBe(true);
  }, 60_000);
});
