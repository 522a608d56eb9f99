// examples/stack.yaml end to end with the built binary: dependency order (from the journal),
// replicas, status/why while pending, failed dependencies, stop/start along the graph,
// shutdown in reverse order, settings.exit_with, and 20 bring-ups in a row.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, type JournalEvent, pidAlive, Project, tend, useProjects, waitFor } from './harness.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const DB_PORT = '47301';
const WEB_PORT = '47380';

type Event = JournalEvent;

/** A copy of examples/stack.yaml (and its programs) in a temp folder; its socket is .tend/stack.sock. */
class Stack extends Project {
  constructor(
    yaml: string,
    readonly ports: { db: number; web: number },
  ) {
    super(yaml);
    mkdirSync(join(this.dir, 'stack'));
    for (const f of readdirSync(join(EXAMPLES, 'stack'))) copyFileSync(join(EXAMPLES, 'stack', f), join(this.dir, 'stack', f));
  }

  override get socket(): string {
    return join(this.dir, '.tend/stack.sock');
  }

  async row(name: string): Promise<Record<string, any>> {
    const row = (await this.status()).find((s) => s.name === name);
    if (!row) throw new Error(`no status row ${name}`);
    return row;
  }
}

const { project, track, started } = useProjects();
const followers: ChildProcess[] = [];
afterEach(() => {
  for (const f of followers.splice(0)) if (f.exitCode === null) f.kill('SIGKILL');
});

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function replaceAll(text: string, from: string | RegExp, to: string): string {
  const out = typeof from === 'string' ? text.split(from).join(to) : text.replace(from, to);
  if (out === text) throw new Error(`the example no longer contains ${String(from)}: update this test`);
  return out;
}

/** The example on fresh ports; `fast` shortens the db warm-up and the probe intervals. */
async function stack(opts: { fast?: boolean; dbDelayMs?: number; edit?: (yaml: string) => string } = {}): Promise<Stack> {
  const ports = { db: await freePort(), web: await freePort() };
  let yaml = readFileSync(join(EXAMPLES, 'stack.yaml'), 'utf8');
  yaml = replaceAll(yaml, DB_PORT, String(ports.db));
  yaml = replaceAll(yaml, WEB_PORT, String(ports.web));
  if (opts.fast) {
    yaml = replaceAll(yaml, /DB_START_DELAY_MS: "\d+"/, 'DB_START_DELAY_MS: "200"');
    yaml = replaceAll(yaml, /interval: 250ms/g, 'interval: 50ms');
  }
  if (opts.dbDelayMs !== undefined) yaml = replaceAll(yaml, /DB_START_DELAY_MS: "\d+"/, `DB_START_DELAY_MS: "${opts.dbDelayMs}"`);
  if (opts.edit) yaml = opts.edit(yaml);
  return track(new Stack(yaml, ports));
}

const INSTANCES = ['db', 'migrate', 'web', 'worker.1', 'worker.2', 'worker.3'];

/** Index of the first journal entry matching, or -1. */
function at(events: Event[], service: string, what: string, state?: string): number {
  return events.findIndex((e) => e.service === service && e.what === what && (state === undefined || e.state === state));
}

/** The bring-up order of docs/states.md ("Dependencies"), read from the journal. */
function expectUpOrder(events: Event[]): void {
  const dbRunning = at(events, 'db', 'state', 'running');
  const migrateSpawn = at(events, 'migrate', 'spawn');
  const migrateDone = at(events, 'migrate', 'state', 'completed');
  const webSpawn = at(events, 'web', 'spawn');
  const webRunning = at(events, 'web', 'state', 'running');
  const order = { dbRunning, migrateSpawn, migrateDone, webSpawn, webRunning };
  for (const [k, v] of Object.entries(order)) expect(v, `${k} in the journal`).toBeGreaterThanOrEqual(0);
  expect(at(events, 'db', 'spawn')).toBeLessThan(dbRunning);
  expect(dbRunning, 'db running before migrate starts').toBeLessThan(migrateSpawn);
  expect(migrateSpawn).toBeLessThan(migrateDone);
  expect(migrateDone, 'migrate completed before web starts').toBeLessThan(webSpawn);
  expect(webSpawn).toBeLessThan(webRunning);
  for (const w of ['worker.1', 'worker.2', 'worker.3']) {
    expect(at(events, w, 'spawn'), `${w} spawned after migrate completed`).toBeGreaterThan(migrateDone);
  }
  // exactly one spawn each: nothing started twice or too early and retried
  for (const id of INSTANCES) expect(events.filter((e) => e.service === id && e.what === 'spawn').length, `${id} spawns`).toBe(1);
}

/** Waits for state-change lines on the daemon's stderr (cheaper than polling `status`). */
function waitErr(p: Project, re: RegExp, what: string, ms = 15_000): Promise<unknown> {
  return waitFor(() => re.test(p.err), `${what}; stderr so far:\n${p.err}`, ms);
}

const upAndRunning = (p: Project) =>
  waitErr(p, /^\S+ web running/m, 'web running').then(() =>
    Promise.all([1, 2, 3].map((n) => waitErr(p, new RegExp(`^\\S+ worker\\.${n} running`, 'm'), `worker.${n} running`))),
  );

function httpText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** `tend events -f --json` in the background: every journal entry until the daemon goes away. */
function follow(p: Project): { events: () => Event[]; done: Promise<void> } {
  const child = spawn(process.execPath, [CLI, 'events', '-f', '--json', '-n', '1'], {
    cwd: p.dir,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  followers.push(child);
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const done = new Promise<void>((r) => child.on('close', () => r()));
  return {
    events: () =>
      out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Event),
    done,
  };
}

describe('examples/stack.yaml', () => {
  it('is a valid config', async () => {
    const r = await tend(EXAMPLES, ['check', '-c', 'stack.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok (4 services, 6 instances)');
  });

  it('comes up in order, as it is (only the ports moved): db, migrate, then web and 3 workers', async () => {
    const p = await stack();
    await p.up();
    await upAndRunning(p);
    const rows = await p.status();
    expect(rows.map((r) => [r.name, r.state])).toEqual([
      ['db', 'running'],
      ['migrate', 'completed'],
      ['web', 'running'],
      ['worker.1', 'running'],
      ['worker.2', 'running'],
      ['worker.3', 'running'],
    ]);
    expect(rows.find((r) => r.name === 'migrate')!.exit_code).toBe(0);
    expectUpOrder(await p.events());

    // each worker is its own process with its own TEND_REPLICA
    const workers = rows.filter((r) => r.service === 'worker');
    expect(new Set(workers.map((w) => w.pid)).size).toBe(3);
    const replicas = workers.map((w) => {
      const env = readFileSync(`/proc/${w.pid}/environ`, 'utf8').split('\0');
      return [w.name, env.find((e) => e.startsWith('TEND_REPLICA='))];
    });
    expect(replicas).toEqual([
      ['worker.1', 'TEND_REPLICA=1'],
      ['worker.2', 'TEND_REPLICA=2'],
      ['worker.3', 'TEND_REPLICA=3'],
    ]);
    for (const n of [1, 2, 3])
      await waitFor(
        () => new RegExp(`^worker\\.${n}\\s*\\| worker replica ${n} \\(worker\\.${n}\\) ready`, 'm').test(p.out),
        `worker.${n}'s greeting`,
      );

    // the stack works: web reads what migrate wrote into db
    const r = await httpText(`http://127.0.0.1:${p.ports.web}/`);
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^hello from web: schema version 3, \d+ jobs done/);
    // the name of a replica set addresses all its instances
    const set = JSON.parse((await p.run(['status', 'worker', '--json'])).stdout);
    expect(set.map((x: { name: string }) => x.name)).toEqual(['worker.1', 'worker.2', 'worker.3']);
  }, 60_000);

  it('comes up in order 4 times in a row (up, check the journal, shutdown)', async () => {
    const t0 = Date.now();
    for (let run = 1; run <= 4; run++) {
      const p = await stack({ fast: true });
      try {
        try {
          await p.up();
        } catch (e) {
          const again = await tend(p.dir, ['status'], { timeoutMs: 5000 }).catch((x) => String(x));
          throw new Error(
            `run ${run}: ${(e as Error).message}\nstderr of tend up:\n${p.err}\nstatus again: ${JSON.stringify(again)}`,
          );
        }
        await upAndRunning(p);
        const events = await p.events();
        try {
          expectUpOrder(events);
        } catch (e) {
          throw new Error(
            `run ${run}: ${(e as Error).message}\n${events.map((x) => `${x.service} ${x.what} ${x.why}`).join('\n')}`,
          );
        }
        const pids = (await p.status()).map((r) => r.pid).filter((x): x is number => x !== null);
        expect(pids.length).toBe(5);
        expect((await p.run(['shutdown'])).code).toBe(0);
        expect(await p.exit, `run ${run}: tend up exit code`).toBe(0);
        for (const pid of pids) expect(pidAlive(pid), `run ${run}: pid ${pid} left behind`).toBe(false);
      } finally {
        await p.close();
      }
    }
    // how long it took is a benchmark's business, not a test's (a loaded machine took 95 s)
    console.log(`4 bring-ups of the stack took ${Date.now() - t0}ms`);
  }, 300_000);

  it('while db warms up: status says what each waits for, and `tend why web` explains the chain', async () => {
    const p = await stack({ dbDelayMs: 600_000, edit: (y) => replaceAll(y, /interval: 250ms/, 'interval: 50ms') });
    await p.up();
    // db starts at once but stays `starting`: its tcp probe fails until it listens
    await waitFor(async () => (await p.row('db')).detail.startsWith('not ready:'), 'a failed db probe');
    const rows = await p.status();
    const detail = Object.fromEntries(rows.map((r) => [r.name, [r.state, r.detail]]));
    expect(detail).toEqual({
      db: ['starting', `not ready: connect 127.0.0.1:${p.ports.db}: ECONNREFUSED`],
      migrate: ['pending', 'waiting for db: healthy'],
      web: ['pending', 'waiting for db: healthy, migrate: completed'],
      'worker.1': ['pending', 'waiting for db: healthy, migrate: completed'],
      'worker.2': ['pending', 'waiting for db: healthy, migrate: completed'],
      'worker.3': ['pending', 'waiting for db: healthy, migrate: completed'],
    });
    const table = await p.run(['status']);
    expect(table.stdout).toMatch(/^web\s+pending\s.*waiting for db: healthy, migrate: completed$/m);
    expect(table.stdout).toMatch(/^migrate\s+pending\s.*waiting for db: healthy$/m);

    const why = await p.run(['why', 'web']);
    expect(why.code).toBe(0);
    const text = why.stdout.trim();
    expect(text).toMatch(/^web is pending since \S+ ago/);
    expect(text).toContain('web waits for db: healthy, migrate: completed');
    expect(text).toMatch(/db is starting/);
    const whyDb = await p.run(['why', 'db']);
    expect(whyDb.stdout).toContain(`Last probe failure: connect 127.0.0.1:${p.ports.db}: ECONNREFUSED`);
    const whyWorker = await p.run(['why', 'worker.2']);
    expect(whyWorker.stdout).toContain('worker.2 waits for db: healthy, migrate: completed');
    expect(whyWorker.stdout).toContain('db is starting');
  }, 30_000);

  it('a dependency that ends failed makes its dependents failed with that reason', async () => {
    // migrate cannot reach db (wrong port): it exits 1; web and the workers must not wait forever
    const p = await stack({
      fast: true,
      edit: (y) => replaceAll(y, /(command: \[node, stack\/migrate\.mjs\]\n\s+env:\n\s+)DB_PORT: "\d+"/, '$1DB_PORT: "1"'),
    });
    await p.up();
    await p.waitState('web', 'failed', 15_000);
    const rows = Object.fromEntries((await p.status()).map((r) => [r.name, [r.state, r.detail]]));
    expect(rows).toEqual({
      db: ['running', ''],
      migrate: ['failed', 'exited with code 1'],
      web: ['failed', 'dependency migrate failed: exited with code 1'],
      'worker.1': ['failed', 'dependency migrate failed: exited with code 1'],
      'worker.2': ['failed', 'dependency migrate failed: exited with code 1'],
      'worker.3': ['failed', 'dependency migrate failed: exited with code 1'],
    });
    const events = await p.events();
    expect(at(events, 'web', 'spawn')).toBe(-1);
    expect(events.find((e) => e.service === 'web' && e.state === 'failed')!.why).toBe(
      'pending -> failed: dependency migrate failed: exited with code 1',
    );
    const why = await p.run(['why', 'web']);
    expect(why.stdout).toContain('dependency migrate failed: exited with code 1');
  }, 30_000);

  it('a failure propagates down a chain (c -> b -> a) and `tend start` says why', async () => {
    const p = await started(`
services:
  a:
    command: exit 3
    restart: never
    readiness: { tcp: "127.0.0.1:1" }
  b:
    command: sleep 1000
    depends_on: { a: healthy }
  c:
    command: sleep 1000
    depends_on: { b: started }
`);
    await p.waitState('c', 'failed');
    const rows = Object.fromEntries((await p.status()).map((r) => [r.name, [r.state, r.detail]]));
    expect(rows).toEqual({
      a: ['failed', 'exited with code 3'],
      b: ['failed', 'dependency a failed: exited with code 3'],
      c: ['failed', 'dependency b failed: dependency a failed: exited with code 3'],
    });
  });

  it('`tend stop db` stops its dependents first and says so; `tend start web` starts its dependencies', async () => {
    const p = await stack({ fast: true });
    await p.up();
    await upAndRunning(p);
    const before: Record<string, number | null> = Object.fromEntries((await p.status()).map((r) => [r.name, r.pid]));
    const mark = (await p.events()).length;

    const stop = await p.run(['stop', 'db']);
    expect(stop.stderr).toBe('');
    expect(stop.code).toBe(0);
    const lines = stop.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^stopped .*first \(they depend on db\)$/);
    for (const id of ['web', 'worker.1', 'worker.2', 'worker.3']) expect(lines[0]).toContain(id);
    expect(lines[0]).not.toContain('migrate'); // completed: nothing to stop (it said so)
    expect(lines[1]).toBe('stopped db');
    expect(JSON.parse((await p.run(['stop', 'migrate', '--json'])).stdout)).toEqual({
      stopped: [],
      also: [],
      not_running: ['migrate'],
    });
    expect((await p.run(['stop', 'migrate'])).stdout).toBe('migrate was not running\n');
    const rows = await p.status();
    for (const r of rows) {
      if (r.name === 'migrate') expect(r.state).toBe('completed');
      else expect([r.name, r.state]).toEqual([r.name, 'stopped']);
    }
    for (const [name, pid] of Object.entries(before)) if (pid !== null) expect(pidAlive(pid), `${name} pid ${pid}`).toBe(false);
    const events = (await p.events()).slice(mark);
    const dbStopping = at(events, 'db', 'state', 'stopping');
    expect(dbStopping).toBeGreaterThanOrEqual(0);
    for (const id of ['web', 'worker.1', 'worker.2', 'worker.3']) {
      const stopped = at(events, id, 'state', 'stopped');
      expect(stopped, `${id} stopped`).toBeGreaterThanOrEqual(0);
      expect(stopped, `${id} stopped before db is stopped`).toBeLessThan(dbStopping);
    }

    const mark2 = (await p.events()).length;
    const start = await p.run(['start', 'web']);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(start.stdout.trim()).toMatch(/^started web \(and dependencies (db, migrate|migrate, db)\)$/);
    const after = Object.fromEntries((await p.status()).map((r) => [r.name, r.state]));
    expect(after).toEqual({
      db: 'running',
      migrate: 'completed',
      web: 'running',
      'worker.1': 'stopped',
      'worker.2': 'stopped',
      'worker.3': 'stopped',
    });
    const again = (await p.events()).slice(mark2);
    const dbRunning = at(again, 'db', 'state', 'running');
    expect(dbRunning).toBeGreaterThanOrEqual(0);
    expect(dbRunning).toBeLessThan(at(again, 'migrate', 'spawn'));
    expect(at(again, 'migrate', 'state', 'completed')).toBeLessThan(at(again, 'web', 'spawn'));
    // db, asked for beside the workers that depend on it, is not called their dependency
    expect((await p.run(['stop', 'db'])).code).toBe(0);
    const both = await p.run(['start', 'worker', 'db']);
    expect([both.code, both.stdout.trim()]).toEqual([0, 'started worker.1, worker.2, worker.3, db (and dependencies migrate)']);
  }, 40_000);

  // Regression: the stop order once followed direct edges only, so a completed oneshot in between
  // (c -> b -> a) let a stop at the same time as c.
  it('a dependent behind a completed oneshot (c -> b -> a) is stopped before a', async () => {
    const p = await started(`
services:
  a:
    command: exec sleep 1000
  b:
    type: oneshot
    command: "true"
    depends_on: { a: started }
  c:
    command: trap 'sleep 0.4; exit 0' TERM; while true; do sleep 0.05; done
    depends_on: { b: completed }
`);
    await p.waitState('c', 'running');
    const stop = await p.run(['stop', 'a']);
    expect(stop.stdout).toMatch(/^stopped c first \(it depends on a\)$/m);
    const r = await p.run(['events', '-n', '5000', '--json']);
    const es = JSON.parse(r.stdout) as Event[];
    const aStopping = at(es, 'a', 'state', 'stopping');
    const cStopped = at(es, 'c', 'state', 'stopped');
    expect(cStopped).toBeGreaterThanOrEqual(0);
    expect(cStopped, 'c stopped before a is stopped').toBeLessThan(aStopping);
  });

  it('`tend shutdown` stops in reverse dependency order (the journal, followed live)', async () => {
    const p = await stack({ fast: true });
    await p.up();
    await upAndRunning(p);
    const f = follow(p);
    await waitFor(() => f.events().length > 0, 'the follower to print the last past entry (it is connected)');
    const r = await p.run(['shutdown']);
    expect(r.code).toBe(0);
    // it returns once tend has exited, naming what it stopped
    expect(r.stdout).toMatch(/^stopped db, .*\ntend exited \(pid \d+\)\n$/);
    for (const id of ['web', 'worker.1', 'worker.2', 'worker.3']) expect(r.stdout.split('\n')[0]).toContain(id);
    expect(await p.exit).toBe(0);
    await f.done;
    const events = f.events();
    // tend up prints the same state changes on stderr, in journal order
    const fromStderr = p.err
      .split('\n')
      .map((l) => /^\S+ (\S+) (stopping|stopped)\b/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ time: '', service: m[1]!, what: 'state', why: '', state: m[2]! }));
    for (const source of [events, fromStderr]) {
      const dbStopping = at(source, 'db', 'state', 'stopping');
      expect(dbStopping).toBeGreaterThanOrEqual(0);
      expect(at(source, 'db', 'state', 'stopped')).toBeGreaterThan(dbStopping);
      for (const id of ['web', 'worker.1', 'worker.2', 'worker.3']) {
        const stopped = at(source, id, 'state', 'stopped');
        expect(stopped, `${id} stopped`).toBeGreaterThanOrEqual(0);
        expect(stopped, `${id} stopped before db`).toBeLessThan(dbStopping);
      }
    }
    // web and the workers are stopped in parallel: all stop signals before any of them is stopped
    const firstStopped = Math.min(
      ...['web', 'worker.1', 'worker.2', 'worker.3'].map((id) => at(fromStderr, id, 'state', 'stopped')),
    );
    for (const id of ['web', 'worker.1', 'worker.2', 'worker.3'])
      expect(at(fromStderr, id, 'state', 'stopping')).toBeLessThan(firstStopped);
  }, 40_000);
});

/** A config whose `tend up` exits as `app` does (settings.exit_with), with these services. */
function exitWithApp(services: string): string {
  return `settings:\n  exit_with: app\nservices:${services}`;
}

describe('settings.exit_with', () => {
  it('a oneshot `app` exiting 7 makes `tend up` exit 7 after shutting everything down', async () => {
    const p = project(
      exitWithApp(`
  db:
    command: echo $$$$ > db.pid; exec sleep 1000
    readiness: { exec: "test -s db.pid", interval: 50ms }
  app:
    type: oneshot
    command: echo "app ran"; exit 7
    depends_on: { db: healthy }
  side:
    command: sleep 1000
    depends_on: { db: healthy }
`),
    );
    const r = await tend(p.dir, ['up'], { timeoutMs: 30_000 });
    expect(r.stdout).toMatch(/^app\s*\| app ran$/m);
    expect(r.code).toBe(7);
    const dbPid = Number(readFileSync(join(p.dir, 'db.pid'), 'utf8'));
    expect(pidAlive(dbPid)).toBe(false);
    const lines = r.stderr.split('\n');
    const idx = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(idx(/ app failed /)).toBeGreaterThanOrEqual(0);
    expect(idx(/ side stopped /)).toBeGreaterThan(idx(/ app failed /));
    expect(idx(/ db stopped /)).toBeGreaterThan(idx(/ side stopped /));
  });

  it('the last lines of an exit_with service that prints and exits at once are in the echo and the file (3 runs)', async () => {
    // the container's CMD that says what is wrong and exits: tend's exit began at the exit, and
    // the lines still in the pipes were in neither (3 runs of 3 before the logs waited for them)
    const p = project(exitWithApp(`\n  app:\n    command: echo "the reason"; echo "and why" >&2; exit 5\n    restart: never\n`));
    for (let run = 0; run < 3; run++) {
      rmSync(join(p.dir, '.tend/logs'), { recursive: true, force: true });
      const r = await tend(p.dir, ['up'], { timeoutMs: 30_000 });
      expect(r.code).toBe(5);
      expect(r.stdout, `run ${run}`).toMatch(/^app \| the reason$/m);
      expect(r.stdout, `run ${run}`).toMatch(/^app \| and why$/m);
      const file = readFileSync(join(p.dir, '.tend/logs/app.log'), 'utf8');
      expect(file, `run ${run}`).toMatch(/ out the reason\n/);
      expect(file, `run ${run}`).toMatch(/ err and why\n/);
    }
  }, 60_000);

  it('exit_with a service that cannot be spawned (restart: never) makes tend up exit 127 (it ran on for good)', async () => {
    const p = project(
      exitWithApp(`\n  bg:\n    command: sleep 1000\n  app:\n    command: [/nonexistent/prog]\n    restart: never\n`),
    );
    const r = await tend(p.dir, ['up'], { timeoutMs: 30_000 });
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/ bg stopped /);
  });

  it('exit_with a oneshot that exits 0 makes tend up exit 0', async () => {
    const p = project(
      exitWithApp(`
  bg:
    command: sleep 1000
  app:
    type: oneshot
    command: exit 0
    depends_on: { bg: started }
`),
    );
    const r = await tend(p.dir, ['up'], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/ bg stopped /);
  });
});
