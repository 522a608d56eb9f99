// runProbe against real processes, sockets and http servers; ProbeRunner's schedule and counts.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProbeSpec } from '../../src/core/types.js';
import { ProbeRunner, runProbe, type ProbeRunResult } from '../../src/probes/probe.js';
import { processGroupAlive } from '../../src/sys/proc.js';

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function listen(server: TcpServer | HttpServer): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
}

function close(server: TcpServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  const port = await listen(s);
  await close(s);
  return port;
}

let dir: string;
let ctx: { cwd: string; env: Record<string, string> };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tend-probe-'));
  ctx = { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('runProbe exec', () => {
  it('passes on exit 0 and fails on exit 1', async () => {
    expect(await runProbe({ kind: 'exec', command: 'true' }, 5000, ctx)).toEqual({ ok: true, message: 'exec true: exit 0' });
    expect(await runProbe({ kind: 'exec', command: 'false' }, 5000, ctx)).toEqual({
      ok: false,
      message: 'exec false: exit 1',
    });
  });

  it('runs a list as argv, and explains a failure with the last output line', async () => {
    const r = await runProbe({ kind: 'exec', command: ['sh', '-c', 'echo first; echo "not ready" >&2; exit 3'] }, 5000, ctx);
    expect(r).toEqual({ ok: false, message: 'exec sh -c "echo first; echo \\"not ready\\" >&2; exit 3": exit 3: not ready' });
  });

  it('runs in the given cwd with the given env', async () => {
    ctx.env.PROBE_FOO = 'bar';
    const r = await runProbe({ kind: 'exec', command: `test "$(pwd)" = "${dir}" && test "$PROBE_FOO" = bar` }, 5000, ctx);
    expect(r.ok).toBe(true);
    const wrong = await runProbe({ kind: 'exec', command: 'test "$PROBE_FOO" = baz' }, 5000, ctx);
    expect(wrong.ok).toBe(false);
  });

  it('reports a command that cannot be spawned, an empty one, and a missing cwd', async () => {
    const r = await runProbe({ kind: 'exec', command: ['/nonexistent/probe-bin'] }, 5000, ctx);
    expect(r).toEqual({ ok: false, message: 'exec /nonexistent/probe-bin: spawn /nonexistent/probe-bin: not found (ENOENT)' });
    expect(await runProbe({ kind: 'exec', command: [] }, 5000, ctx)).toEqual({ ok: false, message: 'exec : empty command' });
    const gone = { ...ctx, cwd: join(dir, 'missing') };
    expect(await runProbe({ kind: 'exec', command: 'true' }, 5000, gone)).toEqual({
      ok: false,
      message: `exec true: cwd ${gone.cwd} does not exist`,
    });
  });

  it('cuts a hanging probe at its timeout and kills its whole process group', async () => {
    const pidFile = join(dir, 'pids');
    const command = `echo $$ > ${pidFile}; sleep 10 & echo $! >> ${pidFile}; sleep 10`;
    const t0 = Date.now();
    const r = await runProbe({ kind: 'exec', command }, 200, ctx);
    const took = Date.now() - t0;
    expect(r).toEqual({ ok: false, message: `exec ${command}: timed out after 200ms` });
    expect(took).toBeGreaterThanOrEqual(199);
    expect(took).toBeLessThan(9000); // cut, not the 10 s the command would take
    const [shell, background] = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    expect(shell).toBeGreaterThan(1);
    expect(background).toBeGreaterThan(1);
    // the shell is the group leader (spawned detached); nothing of its group may survive
    await waitFor(() => !processGroupAlive(shell!), `process group ${shell} to be gone`);
  });

  it('does not leave a probe leftover running after a normal exit', async () => {
    const pidFile = join(dir, 'pids');
    const r = await runProbe({ kind: 'exec', command: `echo $$ > ${pidFile}; sleep 10 & exit 0` }, 5000, ctx);
    expect(r.ok).toBe(true);
    const shell = Number(readFileSync(pidFile, 'utf8').trim());
    await waitFor(() => !processGroupAlive(shell), `process group ${shell} to be gone`);
  });
});

describe('runProbe tcp', () => {
  it('passes when the port accepts a connection', async () => {
    const server = createTcpServer((s) => s.destroy());
    const port = await listen(server);
    try {
      expect(await runProbe({ kind: 'tcp', host: '127.0.0.1', port }, 5000, ctx)).toEqual({
        ok: true,
        message: `connect 127.0.0.1:${port}: connected`,
      });
    } finally {
      await close(server);
    }
  });

  it('fails with the error code on a closed port', async () => {
    const port = await closedPort();
    expect(await runProbe({ kind: 'tcp', host: '127.0.0.1', port }, 5000, ctx)).toEqual({
      ok: false,
      message: `connect 127.0.0.1:${port}: ECONNREFUSED`,
    });
  });

  it('cuts a connect that gets no answer at its timeout', async (t) => {
    // a listener with a full accept queue drops further SYNs, so a connect hangs; node always
    // accepts, so the listener is a tiny python process
    const hold = spawn('python3', ['-c', FULL_BACKLOG], { stdio: ['ignore', 'pipe', 'inherit'] });
    const spawned = await new Promise<boolean>((resolve) => {
      hold.on('error', () => resolve(false));
      hold.on('spawn', () => resolve(true));
    });
    if (!spawned) {
      console.log('skipped: python3 is needed for a listener that never accepts');
      t.skip();
      return;
    }
    try {
      const port = await new Promise<number>((resolve) =>
        hold.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString()))),
      );
      const t0 = Date.now();
      const r = await runProbe({ kind: 'tcp', host: '127.0.0.1', port }, 300, ctx);
      expect(r).toEqual({ ok: false, message: `connect 127.0.0.1:${port}: timed out after 300ms` });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(299);
      expect(Date.now() - t0).toBeLessThan(10_000); // cut at its timeout: without it, it would wait on and on
    } finally {
      hold.kill('SIGKILL');
    }
  });
});

const FULL_BACKLOG = `
import socket, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(('127.0.0.1', port))
    except BlockingIOError: pass
    fill.append(c)
time.sleep(0.2)
print(port, flush=True)
time.sleep(60)
`;

describe('runProbe http', () => {
  let server: HttpServer;
  let base: string;
  let hangingClosed = false;
  beforeEach(async () => {
    hangingClosed = false;
    server = createHttpServer((req, res) => {
      if (req.url === '/ok') res.writeHead(200).end('ok');
      else if (req.url === '/redirect') res.writeHead(302, { location: '/elsewhere' }).end();
      else if (req.url === '/error') res.writeHead(500).end('boom');
      else if (req.url === '/hang') req.socket.on('close', () => (hangingClosed = true));
      else res.writeHead(404).end();
    });
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await close(server);
  });

  it('passes on 2xx and 3xx (without following the redirect), fails on 5xx', async () => {
    expect(await runProbe({ kind: 'http', url: `${base}/ok` }, 5000, ctx)).toEqual({ ok: true, message: `GET ${base}/ok: 200` });
    expect(await runProbe({ kind: 'http', url: `${base}/redirect` }, 5000, ctx)).toEqual({
      ok: true,
      message: `GET ${base}/redirect: 302`,
    });
    expect(await runProbe({ kind: 'http', url: `${base}/error` }, 5000, ctx)).toEqual({
      ok: false,
      message: `GET ${base}/error: 500`,
    });
    expect((await runProbe({ kind: 'http', url: `${base}/missing` }, 5000, ctx)).ok).toBe(false);
  });

  it('aborts a request that gets no answer at its timeout', async () => {
    const t0 = Date.now();
    const r = await runProbe({ kind: 'http', url: `${base}/hang` }, 200, ctx);
    expect(r).toEqual({ ok: false, message: `GET ${base}/hang: timed out after 200ms` });
    expect(Date.now() - t0).toBeLessThan(10_000); // cut at its timeout: without it, it would wait on and on
    await waitFor(() => hangingClosed, 'the server to see the aborted connection close');
  });

  it('fails with the error code on a closed port, and on a bad URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/`;
    expect(await runProbe({ kind: 'http', url }, 5000, ctx)).toEqual({ ok: false, message: `GET ${url}: ECONNREFUSED` });
    expect(await runProbe({ kind: 'http', url: 'not a url' }, 5000, ctx)).toEqual({
      ok: false,
      message: 'GET not a url: invalid URL',
    });
    expect(await runProbe({ kind: 'http', url: 'ftp://127.0.0.1/' }, 5000, ctx)).toEqual({
      ok: false,
      message: 'GET ftp://127.0.0.1/: unsupported protocol ftp:',
    });
  });
});

describe('runProbe event-driven kinds', () => {
  it('does not run log or fd probes', async () => {
    expect(await runProbe({ kind: 'log', pattern: 'ready' }, 1000, ctx)).toEqual({ ok: false, message: 'not a polled probe' });
    expect(await runProbe({ kind: 'fd', fd: 3 }, 1000, ctx)).toEqual({ ok: false, message: 'not a polled probe' });
  });
});

describe('ProbeRunner', () => {
  const spec = (over: Partial<ProbeSpec>): ProbeSpec => ({
    check: { kind: 'exec', command: 'true' },
    interval: 20,
    timeout: 5000,
    initialDelay: 0,
    failureThreshold: 3,
    ...over,
  });

  it('counts failures in a row and resets them on a pass', async () => {
    const flag = join(dir, 'flag');
    const results: ProbeRunResult[] = [];
    const runner = new ProbeRunner(spec({ check: { kind: 'exec', command: `test -e ${flag}` } }), ctx, (r) => {
      results.push(r);
    });
    runner.start();
    try {
      await waitFor(() => results.length >= 3, 'three failures');
      expect(results.slice(0, 3).map((r) => [r.ok, r.consecutiveFailures])).toEqual([
        [false, 1],
        [false, 2],
        [false, 3],
      ]);
      writeFileSync(flag, '');
      await waitFor(() => results.some((r) => r.ok), 'a pass');
      expect(results.find((r) => r.ok)?.consecutiveFailures).toBe(0);
      rmSync(flag);
      const passedAt = results.findIndex((r) => r.ok);
      await waitFor(() => results.slice(passedAt).some((r) => !r.ok), 'a failure after the pass');
      expect(results.slice(passedAt).find((r) => !r.ok)?.consecutiveFailures).toBe(1);
    } finally {
      runner.stop();
    }
  });

  it('waits initialDelay before the first run and interval after each run finishes', async () => {
    const times: number[] = [];
    const runner = new ProbeRunner(spec({ initialDelay: 300, interval: 150 }), ctx, () => times.push(Date.now()));
    const t0 = Date.now();
    runner.start();
    try {
      await waitFor(() => times.length >= 3, 'three runs');
      expect(times[0]! - t0).toBeGreaterThanOrEqual(299);
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(149);
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(149);
    } finally {
      runner.stop();
    }
  });

  it('never overlaps runs, and stop() ends the schedule', async () => {
    const log = join(dir, 'runs');
    const results: ProbeRunResult[] = [];
    const command = `echo start >> ${log}; sleep 0.1; echo end >> ${log}`;
    const runner = new ProbeRunner(spec({ check: { kind: 'exec', command }, interval: 1 }), ctx, (r) => results.push(r));
    runner.start();
    await waitFor(() => results.length >= 3, 'three runs');
    runner.stop();
    const seen = results.length;
    // a run in flight at stop() finishes (its result dropped): wait until the file shows every
    // started run ended (an even count; under load its sh may not have written "start" yet, so
    // look again over a window), then nothing more may be added
    const settled = (): string => readFileSync(log, 'utf8');
    await waitFor(() => settled().trim().split('\n').length % 2 === 0 && settled().trim().endsWith('end'), 'the last run to end');
    await new Promise((r) => setTimeout(r, 300)); // absence can only be checked over a window
    await waitFor(() => settled().trim().split('\n').length % 2 === 0, 'a late run to end');
    const before = settled();
    await new Promise((r) => setTimeout(r, 300));
    expect(settled()).toBe(before);
    expect(results.length).toBe(seen);
    const lines = before.trim().split('\n');
    lines.forEach((l, i) => expect(l).toBe(i % 2 === 0 ? 'start' : 'end'));
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('drops a result that arrives after stop(), and restarts from zero failures', async () => {
    const results: ProbeRunResult[] = [];
    const started = join(dir, 'started');
    const done = join(dir, 'done');
    const command = `rm -f ${done}; touch ${started}; sleep 0.2; touch ${done}; false`;
    const runner = new ProbeRunner(spec({ check: { kind: 'exec', command } }), ctx, (r) => results.push(r));
    runner.start();
    await waitFor(() => results.length >= 2, 'two failures');
    expect(results[1]?.consecutiveFailures).toBe(2);
    rmSync(started, { force: true });
    await waitFor(() => existsSync(started), 'a run in flight');
    runner.stop();
    const seen = results.length;
    await waitFor(() => existsSync(done), 'the in-flight run to finish');
    await new Promise((r) => setTimeout(r, 100)); // absence can only be checked over a window
    expect(results.length).toBe(seen);
    runner.start();
    await waitFor(() => results.length > seen, 'a result after restart');
    runner.stop();
    expect(results[seen]?.consecutiveFailures).toBe(1);
  });

  it('refuses event-driven kinds', () => {
    expect(() => new ProbeRunner(spec({ check: { kind: 'log', pattern: 'x' } }), ctx, () => {})).toThrow(/event-driven/);
  });
});
