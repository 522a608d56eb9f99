// Readiness and liveness probes end to end with the built binary: each form keeps its service
// `starting` (and its dependents pending) until it passes; liveness failures restart with the
// reason in the journal; a hanging probe is cut at its timeout; bad probes are config errors.
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pidAlive, type Project, type RunResult, tend, useProjects, waitFor } from './harness.js';

const { project, started } = useProjects();
let servers: Array<Server | HttpServer> = [];
afterEach(() => {
  for (const s of servers) {
    (s as HttpServer).closeAllConnections?.();
    s.close();
  }
  servers = [];
});

function listen<S extends Server | HttpServer>(s: S, port = 0): Promise<number> {
  servers.push(s);
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
  });
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  servers = servers.filter((x) => x !== s);
  return port;
}

async function row(p: Project, name: string): Promise<Record<string, any>> {
  const r = (await p.status()).find((x) => x.name === name);
  if (!r) throw new Error(`no status row ${name}`);
  return r;
}

/** Starts `svc` (the YAML of its keys: `svc`, its probe among them) and `after`, which waits for it to be healthy. */
async function guarded(svc: string): Promise<Project> {
  const p = await started(`
services:
  svc:${svc}
  after:
    command: sleep 1000
    depends_on: { svc: healthy }
`);
  return p;
}

/**
 * Asserts `svc` is held in `starting` and `after` pending once `held` holds (a string: once svc's
 * status detail is that); `pass` opens the gate.
 */
async function heldThenReady(
  p: Project,
  held: string | (() => Promise<boolean> | boolean),
  pass: () => void | Promise<void>,
): Promise<void> {
  const svc = 'svc';
  const holds = typeof held === 'string' ? async () => (await row(p, svc)).detail === held : held;
  await waitFor(holds, `${svc} to show that its probe has not passed yet`);
  const rows = Object.fromEntries((await p.status()).map((r) => [r.name, [r.state, r.detail]]));
  expect(rows[svc]![0]).toBe('starting');
  expect(rows.after).toEqual(['pending', `waiting for ${svc}: healthy`]);
  expect((await row(p, svc)).pid).toEqual(expect.any(Number));
  await pass();
  await p.waitState(svc, 'running');
  await p.waitState('after', 'running');
  const es = await p.events();
  const ready = es.findIndex((e) => e.service === svc && e.state === 'running');
  expect(es[ready]!.why).toBe('starting -> running: ready');
  expect(es.findIndex((e) => e.service === 'after' && e.what === 'spawn')).toBeGreaterThan(ready);
  expect((await row(p, svc)).restarts).toBe(0);
}

/** Creates the file `go` in the project's folder: what the probes and commands below wait for. */
const go = (p: Project) => (): void => writeFileSync(join(p.dir, 'go'), '');

describe('readiness keeps a service starting until it passes', () => {
  it('exec: until the command exits 0', async () => {
    const p = await guarded(`
    command: sleep 1000
    readiness: { exec: "test -f go", interval: 50ms }`);
    await heldThenReady(p, 'not ready: exec test -f go: exit 1', go(p));
  });

  it('exec: runs in the service cwd with its env, and says what it printed on failure', async () => {
    const p = await guarded(`
    command: sleep 1000
    env: { WANT: "here" }
    readiness: { exec: 'echo "no $WANT in $(pwd)"; test -f "$WANT"', interval: 50ms }`);
    await heldThenReady(
      p,
      async () => (await row(p, 'svc')).detail.includes(`exit 1: no here in ${p.dir}`),
      () => writeFileSync(join(p.dir, 'here'), ''),
    );
  });

  it('tcp: until a connection is accepted', async () => {
    const port = await freePort();
    const p = await guarded(`
    command: sleep 1000
    readiness: { tcp: "127.0.0.1:${port}", interval: 50ms }`);
    await heldThenReady(p, `not ready: connect 127.0.0.1:${port}: ECONNREFUSED`, async () => {
      await listen(
        createServer((s) => s.end()),
        port,
      );
    });
  });

  it('http: until a 2xx or 3xx answer (a 503 and a 404 do not pass, a 302 does)', async () => {
    let status = 503;
    const hits: number[] = [];
    const server = createHttpServer((_req, res) => {
      hits.push(status);
      res.statusCode = status;
      if (status === 302) res.setHeader('location', '/elsewhere-that-does-not-exist');
      res.end();
    });
    const port = await listen(server);
    const url = `http://127.0.0.1:${port}/health`;
    const p = await guarded(`
    command: sleep 1000
    readiness: { http: "${url}", interval: 50ms }`);
    await waitFor(async () => (await row(p, 'svc')).detail === `not ready: GET ${url}: 503`, 'a 503');
    status = 404;
    await heldThenReady(p, `not ready: GET ${url}: 404`, () => void (status = 302));
    expect(hits).toContain(302); // passed on the redirect itself, without following it
  });

  it('log: until an output line matches the regex', async () => {
    const p = await guarded(`
    command: 'echo "booting (not ready yet)"; while [ ! -f go ]; do sleep 0.02; done; echo "accepting connections"; exec sleep 1000'
    readiness: { log: "^accepting conn" }`);
    await heldThenReady(p, () => /^svc\s*\| booting \(not ready yet\)$/m.test(p.out), go(p));
    expect(p.out).toMatch(/^svc\s*\| accepting connections$/m);
  });

  it('fd: until the service writes a line to the notification fd (s6 style)', async () => {
    const p = await guarded(`
    command: 'echo waiting; while [ ! -f go ]; do sleep 0.02; done; echo ready >&3; exec sleep 1000'
    readiness: { fd: 3 }`);
    await heldThenReady(p, () => /^svc\s*\| waiting$/m.test(p.out), go(p));
    expect(p.out).not.toMatch(/\| ready$/m); // fd 3 is not stdout
  });

  it('fd: the plain form of the brief (sleep, then echo to fd 3) comes up', async () => {
    const p = await started(`
services:
  svc:
    command: sh -c 'sleep 0.3; echo ready >&3; sleep 1000'
    readiness: { fd: 3 }
`);
    await p.waitState('svc', 'running');
  });

  it('initial_delay: the first probe runs only after it', async () => {
    const p = await started(`
services:
  svc:
    command: sleep 1000
    readiness: { exec: "true", initial_delay: 700ms, interval: 50ms }
`);
    await p.waitState('svc', 'running');
    const es = await p.events();
    const spawned = es.find((e) => e.service === 'svc' && e.what === 'spawn')!;
    const ready = es.find((e) => e.service === 'svc' && e.state === 'running')!;
    expect(Date.parse(ready.time) - Date.parse(spawned.time)).toBeGreaterThanOrEqual(690);
  });

  it('a service that dies while starting is not made running by a late probe', async () => {
    const p = await started(`
services:
  svc:
    command: exit 5
    restart: never
    readiness: { exec: "true", initial_delay: 300ms, interval: 50ms }
`);
    await p.waitState('svc', 'failed');
    const es = await p.events();
    expect(es.some((e) => e.service === 'svc' && e.state === 'running')).toBe(false);
    expect((await row(p, 'svc')).detail).toBe('exited with code 5');
  });
});

describe('start_timeout', () => {
  it('a service never ready is stopped as a failed start, ends failed at its start limit, and tend start says why', async () => {
    const port = await freePort(); // a refused connect is answered at once, even on a busy machine
    const p = await started(`
services:
  svc:
    command: sleep 1000
    autostart: false          # started as the dependency of after
    readiness: { tcp: "127.0.0.1:${port}", interval: 50ms }
    start_timeout: 300ms
    start_limit: { burst: 2, interval: 1m }
    backoff: { initial: 50ms }
  after:
    command: sleep 1000
    depends_on: { svc: healthy }
`);
    const refused = `connect 127.0.0.1:${port}: ECONNREFUSED`;
    const notReady = `not ready within 300ms: ${refused}`;
    const limit = `not ready within 300ms twice within 1m; start limit reached (the last: ${refused})`;
    await p.waitState('svc', 'failed');
    await p.waitState('after', 'failed');
    expect([(await row(p, 'svc')).detail, (await row(p, 'after')).detail]).toEqual([limit, `dependency svc failed: ${limit}`]);
    const es = (await p.events()).filter((e) => e.service === 'svc');
    expect(es.filter((e) => e.what === 'state').map((e) => e.why)).toEqual([
      'stopped -> pending: start requested',
      'pending -> starting: spawned',
      `starting -> stopping: ${notReady}`,
      `stopping -> backoff: ${notReady}`,
      'backoff -> starting: restarted',
      `starting -> stopping: ${notReady}`,
      `stopping -> failed: ${limit}`,
    ]);
    expect(es.filter((e) => e.what === 'stop').map((e) => e.why)).toEqual([
      `SIGTERM sent (${notReady})`,
      `SIGTERM sent (${notReady})`,
    ]);
    // each run was stopped: no process of it is left
    const pids = es.filter((e) => e.what === 'spawn').map((e) => Number(/^pid (\d+)/.exec(e.why)![1]));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);

    // tend start tries again afresh and fails with the reason (its own --timeout not reached)
    const again = await p.run(['start', 'svc', '--timeout', '20s']);
    expect([again.code, again.stderr]).toEqual([1, `tend: svc: ${limit}\n`]);
    // ready in time: started, and it stays up past its start_timeout
    await listen(createServer(), port);
    const ok = await p.run(['start', 'after', '--timeout', '20s']);
    expect([ok.code, ok.stdout]).toEqual([0, 'started after (and dependencies svc)\n']);
    const up = await row(p, 'svc');
    expect(up.state).toBe('running');
    // twice its start_timeout since its spawn: the same process, still running
    await waitFor(async () => (await row(p, 'svc')).uptime_ms > 600, 'svc up past its start_timeout');
    expect([(await row(p, 'svc')).state, (await row(p, 'svc')).pid]).toEqual(['running', up.pid]);
  });
});

describe('liveness', () => {
  it('exec: failure_threshold failures in a row restart the service; the journal says why', async () => {
    const p = await started(`
services:
  svc:
    command: rm -f sick; touch cleaned; exec sleep 1000   # a fresh start is healthy again
    liveness: { exec: "test ! -f sick", interval: 50ms, failure_threshold: 3 }
`);
    await p.waitState('svc', 'running');
    const first = await row(p, 'svc');
    expect(first.restarts).toBe(0);
    // running is the spawn; the shell's rm comes after it (under load, after the file was made)
    await waitFor(() => existsSync(join(p.dir, 'cleaned')), 'the service past its rm');
    writeFileSync(join(p.dir, 'sick'), '');
    const restart = await waitFor(
      async () => (await p.events()).find((e) => e.service === 'svc' && e.what === 'restart'),
      'the liveness restart',
    );
    expect(restart.why).toBe('liveness failed 3 times in a row: exec test ! -f sick: exit 1');
    await waitFor(async () => {
      const r = await row(p, 'svc');
      return r.state === 'running' && r.restarts >= 1 && !existsSync(join(p.dir, 'sick'));
    }, 'svc running again after the restart');
    const second = await row(p, 'svc');
    expect(second.pid).not.toBe(first.pid);
    expect(pidAlive(first.pid)).toBe(false);
    const es = (await p.events()).filter((e) => e.service === 'svc');
    const i = es.indexOf(es.find((e) => e.what === 'restart')!);
    expect(
      es
        .slice(i + 1)
        .map((e) => e.what)
        .slice(0, 2),
    ).toEqual(['state', 'stop']);
    expect(es[i + 1]!.why).toBe('running -> stopping: restart');
    expect(es.filter((e) => e.what === 'spawn').length).toBeGreaterThanOrEqual(2);
    const why = await p.run(['why', 'svc']);
    expect(why.stdout).toMatch(/Restarted \d+ times?\./);
    // and why (the exit says only SIGTERM)
    expect(why.stdout).toMatch(
      /Last restarted \d+m?s ago after: liveness failed 3 times in a row: exec test ! -f sick: exit 1\./,
    );
  });

  it('http: a 500 answer counts as a failure; a success in between resets the count', async () => {
    const answers: number[] = [];
    let next: number[] = []; // statuses to answer, in order; 200 once empty
    const server = createHttpServer((_req, res) => {
      const s = next.shift() ?? 200;
      answers.push(s);
      res.statusCode = s;
      res.end();
    });
    const port = await listen(server);
    const p = await started(`
services:
  svc:
    command: sleep 1000
    liveness: { http: "http://127.0.0.1:${port}/live", interval: 30ms, failure_threshold: 3 }
`);
    await p.waitState('svc', 'running');
    await waitFor(() => answers.length > 0, 'a first liveness probe');
    // two failures, a success, two failures: never three in a row
    next = [500, 500, 200, 500, 500];
    await waitFor(() => next.length === 0 && answers.length > 8, 'the sequence to be probed');
    expect((await p.events()).some((e) => e.what === 'restart')).toBe(false);
    expect((await row(p, 'svc')).restarts).toBe(0);
    next = [500, 500, 500];
    const restart = await waitFor(
      async () => (await p.events()).find((e) => e.service === 'svc' && e.what === 'restart'),
      'the liveness restart',
    );
    expect(restart.why).toBe(`liveness failed 3 times in a row: GET http://127.0.0.1:${port}/live: 500`);
    await waitFor(async () => (await row(p, 'svc')).restarts === 1 && (await row(p, 'svc')).state === 'running', 'the restart');
  });

  it('log: a heartbeat; no matching line within an interval counts as a failure', async () => {
    const p = await started(`
services:
  svc:
    command: rm -f quiet; while [ ! -f quiet ]; do echo tick; sleep 0.05; done; echo "going quiet"; exec sleep 1000
    liveness: { log: "^tick$", interval: 1s, failure_threshold: 2 }
`);
    await p.waitState('svc', 'running');
    await waitFor(() => (p.out.match(/^svc\s*\| tick$/gm) ?? []).length >= 3, 'some ticks');
    expect((await p.events()).some((e) => e.what === 'restart')).toBe(false);
    writeFileSync(join(p.dir, 'quiet'), '');
    const restart = await waitFor(
      async () => (await p.events()).find((e) => e.service === 'svc' && e.what === 'restart'),
      'the liveness restart',
    );
    expect(restart.why).toBe('liveness failed 2 times in a row: no output line matched /^tick$/ in 1000ms');
    await waitFor(async () => (await row(p, 'svc')).restarts >= 1 && (await row(p, 'svc')).state === 'running', 'running again');
  });

  it('liveness is not checked before readiness passed', async () => {
    const p = await started(`
services:
  svc:
    command: sleep 1000
    readiness: { exec: "test -f ready", interval: 50ms }
    liveness: { exec: "false", interval: 30ms, failure_threshold: 1 }
    stop_timeout: 1s
`);
    await waitFor(
      async () => (await row(p, 'svc')).detail === 'not ready: exec test -f ready: exit 1',
      'a failed readiness probe',
    );
    await waitFor(
      async () =>
        (await row(p, 'svc')).detail === 'not ready: exec test -f ready: exit 1' &&
        (await p.events()).filter((e) => e.what === 'spawn').length === 1,
      'still one spawn',
    );
    expect((await p.events()).some((e) => e.what === 'restart')).toBe(false);
    writeFileSync(join(p.dir, 'ready'), '');
    const restart = await waitFor(
      async () => (await p.events()).find((e) => e.what === 'restart'),
      'the liveness restart once running',
    );

    expect(restart.why).toBe('liveness failed 1 times in a row: exec false: exit 1');
  });

  // Regression: the orphan reaper once took the exit status of exec probes (then not its own), so a
  // probe that exited 0 "timed out" while other children of tend exited, and restarted the service.
  it('an exec probe that exits 0 is never reported as a timeout, even while other children of tend exit', async () => {
    const p = await started(`
services:
  svc:
    command: sleep 1000
    liveness: { exec: "echo x >> runs", interval: 10ms, timeout: 1s, failure_threshold: 1 }
  noisy:   # orphans re-parented to tend (a child subreaper) exit all the time
    command: while true; do (sleep 0.001 &); sleep 0.003; done
`);
    await p.waitState('svc', 'running');
    await waitFor(
      () => {
        try {
          return readFileSync(join(p.dir, 'runs'), 'utf8').split('\n').length > 100;
        } catch {
          return false;
        }
      },
      '100 liveness probes',
      25_000,
    );
    const restarts = (await p.events()).filter((e) => e.what === 'restart');
    expect(restarts.map((e) => e.why)).toEqual([]);
  }, 40_000);
});

describe('stop right after a start', () => {
  // Regression: with cgroups, a stop in the few ms before a helper exec joined the cgroup found no pid
  // in cgroup.procs; the SIGTERM was lost and the stop waited out stop_timeout until SIGKILL.
  it('the stop signal is not lost when the stop comes within ms of the spawn (liveness restart loop)', async () => {
    const p = await started(`
services:
  svc:
    command: sleep 1000
    liveness: { exec: "false", interval: 5ms, failure_threshold: 1 }
    stop_timeout: 2s
    start_limit: { burst: 1000, interval: 1s }
    backoff: { initial: 1ms, max: 2ms }
`);
    // 40 restarts, each stopped by its SIGTERM; or a stop that needed SIGKILL
    const es = await waitFor(
      async () => {
        const all = await p.events();
        return all.some((e) => e.what === 'kill') || all.filter((e) => e.what === 'restart').length >= 40 ? all : undefined;
      },
      '40 liveness restarts or a kill',
      25_000,
    );
    expect(es.filter((e) => e.what === 'kill').map((k) => k.why)).toEqual([]);
  }, 40_000);
});

describe('a hanging probe', () => {
  it('is cut at its timeout, leaves no process behind and does not hold up other services', async () => {
    const hung = createHttpServer(() => {}); // accepts, never answers
    const port = await listen(hung);
    const p = await started(`
services:
  hang-exec:
    command: sleep 1000
    readiness: { exec: "sleep 737", timeout: 200ms, interval: 50ms }
  hang-http:
    command: sleep 1000
    readiness: { http: "http://127.0.0.1:${port}/", timeout: 200ms, interval: 50ms }
  quick:
    command: sleep 1000
    readiness: { exec: "true", interval: 50ms }
  after:
    command: sleep 1000
    depends_on: { quick: healthy }
`);
    await waitFor(
      async () => (await row(p, 'hang-exec')).detail === 'not ready: exec sleep 737: timed out after 200ms',
      'the exec probe cut at its timeout',
    );
    await waitFor(
      async () => (await row(p, 'hang-http')).detail === `not ready: GET http://127.0.0.1:${port}/: timed out after 200ms`,
      'the http probe cut at its timeout',
    );
    // meanwhile the others came up, and the daemon answers
    await p.waitState('quick', 'running');
    await p.waitState('after', 'running');
    expect(await p.state('hang-exec')).toBe('starting');
    expect(await p.state('hang-http')).toBe('starting');
    // the timed-out probe processes are killed: at most the one in flight exists
    const probes = (): number[] =>
      readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .filter((d) => {
          try {
            return (
              readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\u0000').join(' ') === 'sleep 737 ' &&
              readlinkSync(`/proc/${d}/cwd`) === p.dir
            );
          } catch {
            return false;
          }
        })
        .map(Number);
    await waitFor(() => probes().length === 1, 'a probe process in flight'); // the check below can see them
    for (let k = 0; k < 5; k++) {
      await waitFor(async () => (await p.events()).length > 0, 'a round trip');
      expect(probes().length).toBeLessThanOrEqual(1);
    }
    const s = await p.run(['shutdown']);
    expect(s.code).toBe(0);
    expect(await p.exit).toBe(0);
    await waitFor(() => probes().length === 0, 'no probe process left after shutdown', 3000);
  });
});

describe('bad probe config is a config error at load time', () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      'http: "not a url"',
      'readiness',
      /tend\.yaml:5:\d+: services\.a\.readiness\.http: expected an http:\/\/ or https:\/\/ URL; got "not a url"/,
    ],
    [
      'http: ftp://127.0.0.1/x',
      'readiness',
      /tend\.yaml:5:\d+: services\.a\.readiness\.http: expected an http:\/\/ or https:\/\/ URL; got "ftp:\/\/127\.0\.0\.1\/x"/,
    ],
    [
      'http: "127.0.0.1:8080/health"',
      'readiness',
      /tend\.yaml:5:\d+: services\.a\.readiness\.http: expected an http:\/\/ or https:\/\/ URL/,
    ],
    [
      'http: "http://127.0.0.1:99999/"',
      'liveness',
      /tend\.yaml:5:\d+: services\.a\.liveness\.http: expected an http:\/\/ or https:\/\/ URL/,
    ],
    [
      'tcp: localhost',
      'readiness',
      /tend\.yaml:5:\d+: services\.a\.readiness\.tcp: expected host:port, e\.g\. 127\.0\.0\.1:5432; got "localhost"/,
    ],
    ['tcp: ":5432"', 'readiness', /tend\.yaml:5:\d+: services\.a\.readiness\.tcp: expected host:port/],
    [
      'tcp: "127.0.0.1:99999"',
      'liveness',
      /tend\.yaml:5:\d+: services\.a\.liveness\.tcp: expected a port from 1 to 65535; got 99999/,
    ],
    ['tcp: "127.0.0.1:0"', 'readiness', /tend\.yaml:5:\d+: services\.a\.readiness\.tcp: expected a port from 1 to 65535; got 0/],
    [
      'log: "([a-z"',
      'readiness',
      /tend\.yaml:5:\d+: services\.a\.readiness\.log: expected a valid regular expression; got "\(\[a-z"/,
    ],
    ['fd: 1', 'readiness', /tend\.yaml:5:\d+: services\.a\.readiness\.fd: expected a file descriptor number >= 3; got 1/],
    ['exec: ""', 'liveness', /tend\.yaml:5:\d+: services\.a\.liveness\.exec: expected a command string or a list of arguments/],
    [
      'interval: 1s',
      'liveness',
      /tend\.yaml:4:\d+: services\.a\.liveness: expected one of exec, tcp, http, log, fd, notify; got none/,
    ],
    [
      '{ tcp: "127.0.0.1:80", http: "http://127.0.0.1/" }',
      'readiness',
      /tend\.yaml:4:\d+: services\.a\.readiness: expected exactly one of exec, tcp, http, log, fd, notify; got tcp and http/,
    ],
  ];
  // One config holds every case, a service each (a0, a1, ...), each as it was alone: `tend check`
  // and `tend up` run once over it, and each case's test finds its own problem, at its own line,
  // in what both printed (a config error lists every problem at once: the next test). A case
  // that either stopped finding, or found only when alone, fails here as it did: its message is
  // missing. Each case was a project of its own with a check and an up: 26 node starts that each
  // load the config parser, ~11 s of CPU.
  let text = 'services:\n';
  const serviceLine: number[] = [];
  cases.forEach(([line, which], k) => {
    serviceLine.push(text.split('\n').length);
    const body = line.startsWith('{') ? `    ${which}: ${line}\n` : `    ${which}:\n      ${line}\n`;
    text += `  a${k}:\n    command: touch spawned\n${body}`;
  });
  /** A case's regex (written for service a on line 2 of a file of its own) for service aK of the shared file. */
  const inShared = (want: RegExp, k: number): RegExp => {
    const line = /^tend\\\.yaml:(\d+):/;
    const service = 'services\\.a\\.';
    if (!line.test(want.source) || !want.source.includes(service)) throw new Error(`update inShared for ${want}`);
    return new RegExp(
      want.source
        .replace(line, (_, n: string) => `tend\\.yaml:${serviceLine[k]! + Number(n) - 2}:`)
        .replace(service, `services\\.a${k}\\.`),
    );
  };
  let dir = '';
  let check: RunResult;
  let up: RunResult;
  let spawned = true;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tend-e2e-probes-'));
    writeFileSync(join(dir, 'tend.yaml'), text);
    [check, up] = await Promise.all([tend(dir, ['check']), tend(dir, ['up'])]);
    spawned = existsSync(join(dir, 'spawned'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  cases.forEach(([line, which, want], k) => {
    it(`${which}: ${line}`, () => {
      const re = inShared(want, k);
      expect(check.code, check.stderr).toBe(2);
      expect(check.stderr).toMatch(re);
      expect(up.code).toBe(2);
      expect(up.stderr).toMatch(re);
      expect(spawned).toBe(false);
    });
  });

  it('several bad probes are reported at once, each with its line', async () => {
    const p = project(`services:
  a:
    command: sleep 1
    readiness: { http: "nope" }
  b:
    command: sleep 1
    liveness: { tcp: "db" }
`);
    const r = await tend(p.dir, ['check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tend\.yaml:4:\d+: services\.a\.readiness\.http/);
    expect(r.stderr).toMatch(/tend\.yaml:7:\d+: services\.b\.liveness\.tcp/);
  });

  // Regression: `liveness: { fd: 3 }` once passed `tend check` and then crashed the daemon at the
  // first start (ProbeRunner throws for fd), leaving the services unsupervised.
  it('liveness: fd is refused at load time (it only makes sense for readiness)', async () => {
    const p = project(`services:\n  a:\n    command: sleep 1000\n    liveness: { fd: 3 }\n`);
    const r = await tend(p.dir, ['check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tend\.yaml:4:\d+: services\.a\.liveness/);
  });
});
