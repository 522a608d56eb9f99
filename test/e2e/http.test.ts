// settings.http end to end with the built binary: /healthz, /readyz, /metrics and /status in each
// state (starting, running, backoff, completed, stopped, shutting down), the metrics read by a
// real parser of the Prometheus text format, and a port in use failing `tend up` before any spawn.
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { type Project, useProjects, waitFor } from './harness.js';

const { project } = useProjects();
let servers: Server[] = [];
afterEach(() => {
  for (const s of servers) s.close();
  servers = [];
});

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

interface Reply {
  status: number;
  type: string;
  body: string;
}

/**
 * One plain HTTP request on a connection of its own, as curl sends it (a kept-alive connection
 * reused just as the server closes it for idleness would fail with ECONNRESET: a client's race).
 */
function request(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface Family {
  name: string;
  type: string;
  help: string;
  metrics: Array<{ value: string; labels?: Record<string, string> }>;
}

/** GET /metrics through the parser: { family name: family }. */
async function metrics(port: number): Promise<Record<string, Family>> {
  const r = await request(port, '/metrics');
  expect(r.status).toBe(200);
  expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8');
  const families = parsePrometheus(r.body) as Family[];
  return Object.fromEntries(families.map((f) => [f.name, f]));
}

/** The value of `family` for an instance (and extra labels), as a number; undefined when absent. */
function value(
  m: Record<string, Family>,
  family: string,
  instance: string,
  extra: Record<string, string> = {},
): number | undefined {
  const s = m[family]?.metrics.find(
    (x) => x.labels?.instance === instance && Object.entries(extra).every(([k, v]) => x.labels?.[k] === v),
  );
  return s === undefined ? undefined : Number(s.value);
}

/** `tend why NAME` with the durations blanked (two reads a moment apart). */
const sameWords = (text: string): string => text.trim().replace(/\d+(ms|s|m\d+s)\b/g, 'T');

async function ready(port: number): Promise<{ status: number; body: any }> {
  const r = await request(port, '/readyz');
  expect(r.type).toBe('application/json; charset=utf-8');
  return { status: r.status, body: JSON.parse(r.body) };
}

function config(port: number): string {
  return `
settings:
  http: 127.0.0.1:${port}
  watch: false
services:
  db:
    command: echo hello from db; exec sleep 1000
    backoff: { initial: 4s }
  web:
    command: sleep 1000
    readiness: { exec: test -f ready, interval: 100ms }
  job:
    type: oneshot
    command: "true"
  manual:
    command: sleep 1000
    autostart: false
  nightly:
    type: oneshot
    command: "true"
    schedule: "30 3 * * *"
  gated:
    type: oneshot
    command: "true"
    every: 1h
    approval: true
`;
}

async function up(p: Project, port: number): Promise<void> {
  await p.up();
  await waitFor(async () => (await request(port, '/healthz')).status === 200, 'the HTTP endpoints');
}

describe('settings.http', () => {
  it('each endpoint through starting, running, backoff, completed and stopped', async () => {
    const port = await freePort();
    const p = project(config(port));
    await up(p, port);
    await p.waitState('job', 'completed');
    await waitFor(async () => (await p.state('db')) === 'running', 'db running');

    // /healthz: the loop turns
    expect(await request(port, '/healthz')).toEqual({ status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' });

    // /readyz: web is starting (its probe fails): 503, and why in the words of `tend why`
    await waitFor(
      async () => (await p.status()).find((r) => r.name === 'web')?.detail.startsWith('not ready'),
      'a failed probe of web',
    );
    const notReady = await ready(port);
    expect(notReady.status).toBe(503);
    expect(notReady.body.ready).toBe(false);
    expect(notReady.body.not_ready.map((x: any) => [x.name, x.state])).toEqual([['web', 'starting']]);
    const why = await p.run(['why', 'web']);
    expect(sameWords(notReady.body.not_ready[0].why)).toBe(sameWords(why.stdout));
    // several names: a paragraph each, in the order asked
    const both = (await p.run(['why', 'db', 'web'])).stdout.split('\n');
    expect([both[0]!.slice(0, 6), both[1]!.slice(0, 7)]).toEqual(['db is ', 'web is ']);
    expect(notReady.body.not_ready[0].why).toMatch(/^web is starting since .* Last probe failure: /);

    // /metrics while web is starting, manual stopped, job completed
    let m = await metrics(port);
    expect([
      value(m, 'tend_service_up', 'db'),
      value(m, 'tend_service_up', 'web'),
      value(m, 'tend_service_up', 'manual'),
    ]).toEqual([1, 0, 0]);
    expect(value(m, 'tend_service_state', 'web', { state: 'starting' })).toBe(1);
    expect(value(m, 'tend_service_state', 'web', { state: 'running' })).toBe(0);
    expect(value(m, 'tend_service_state', 'job', { state: 'completed' })).toBe(1);
    expect(value(m, 'tend_service_state', 'manual', { state: 'stopped' })).toBe(1);
    expect(value(m, 'tend_service_state', 'nightly', { state: 'scheduled' })).toBe(1);
    expect(m.tend_service_state!.metrics).toHaveLength(6 * 9); // every state of every instance
    expect(value(m, 'tend_service_last_exit_code', 'job')).toBe(0);
    expect(value(m, 'tend_service_last_exit_code', 'db')).toBeUndefined(); // no exit yet
    expect(value(m, 'tend_service_memory_bytes', 'db')).toBeGreaterThan(0);
    expect(value(m, 'tend_service_cpu_seconds_total', 'db')).toBeGreaterThanOrEqual(0);
    expect(value(m, 'tend_service_log_bytes_total', 'db')).toBeGreaterThan('hello from db'.length);
    expect(value(m, 'tend_service_start_time_seconds', 'db')).toBeCloseTo(Date.now() / 1000, -2);
    expect(value(m, 'tend_service_start_time_seconds', 'manual')).toBeUndefined();
    expect(m.tend_service_restarts_total!.type).toBe('COUNTER');
    expect(m.tend_service_up!.type).toBe('GAUGE');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(m.tend_build_info!.metrics).toEqual([{ value: '1', labels: { version: pkg.version, node: process.version } }]);

    // /status: what `tend status --json` prints
    const st = await request(port, '/status');
    expect(st.type).toBe('application/json; charset=utf-8');
    const rows = JSON.parse(st.body) as Array<Record<string, unknown>>;
    const cli = await p.status();
    expect(rows.map((r) => [r.name, r.state, r.pid, r.restarts])).toEqual(cli.map((r) => [r.name, r.state, r.pid, r.restarts]));
    expect(Object.keys(rows[0]!).sort()).toEqual(Object.keys(cli[0]!).sort());

    // web ready: everything autostart is running, completed or resting between scheduled runs
    // (nightly), and manual is not autostart
    writeFileSync(join(p.dir, 'ready'), '');
    await waitFor(async () => (await ready(port)).status === 200, '/readyz 200');
    expect((await ready(port)).body).toEqual({ ready: true });
    // a task's run waiting (here for an approval; a pool slot alike) does not count either
    expect((await p.run(['run', 'gated', '--no-wait'])).code).toBe(0);
    expect(await p.state('gated')).toBe('pending');
    expect((await ready(port)).status).toBe(200);
    expect((await p.run(['reject', 'gated'])).code).toBe(0);
    // the runs of oneshots: job completed once, gated's run was refused (failed), nightly's next run
    await p.waitState('gated', 'scheduled');
    const t = await metrics(port);
    expect(t.tend_task_runs_total!.type).toBe('COUNTER');
    expect([
      value(t, 'tend_task_runs_total', 'job', { result: 'completed' }),
      value(t, 'tend_task_runs_total', 'job', { result: 'failed' }),
      value(t, 'tend_task_runs_total', 'gated', { result: 'failed' }),
      value(t, 'tend_task_runs_total', 'web'), // not a oneshot
    ]).toEqual([1, 0, 1, undefined]);
    expect(value(t, 'tend_task_last_success_time_seconds', 'job')).toBeCloseTo(Date.now() / 1000, -2);
    expect(value(t, 'tend_task_last_success_time_seconds', 'gated')).toBeUndefined();
    expect(value(t, 'tend_task_next_run_time_seconds', 'nightly')).toBeGreaterThan(Date.now() / 1000);
    expect(value(await metrics(port), 'tend_service_up', 'web')).toBe(1);

    // db killed: backoff (4s) keeps /readyz at 503 naming it; then back, one restart, exit 137
    const dbPid = (await p.status()).find((r) => r.name === 'db')!.pid as number;
    process.kill(dbPid, 'SIGKILL');
    await p.waitState('db', 'backoff');
    const inBackoff = await ready(port);
    expect(inBackoff.status).toBe(503);
    expect(inBackoff.body.not_ready.map((x: any) => [x.name, x.state])).toEqual([['db', 'backoff']]);
    expect(inBackoff.body.not_ready[0].why).toContain('Next start in');
    m = await metrics(port);
    expect(value(m, 'tend_service_state', 'db', { state: 'backoff' })).toBe(1);
    expect(value(m, 'tend_service_last_exit_code', 'db')).toBe(137);
    await p.waitState('db', 'running', 20_000);
    await waitFor(async () => (await ready(port)).status === 200, '/readyz 200 again');
    m = await metrics(port);
    expect(value(m, 'tend_service_restarts_total', 'db')).toBe(1);

    // a stopped autostart service does not hold readiness; reloads are counted
    expect((await p.run(['stop', 'db'])).code).toBe(0);
    expect((await ready(port)).status).toBe(200);
    expect((await p.run(['reload'])).code).toBe(0);
    p.write('services: [broken');
    expect((await p.run(['reload'])).code).not.toBe(0);
    m = await metrics(port);
    expect(m.tend_reloads_total!.metrics).toEqual([
      { value: '1', labels: { result: 'applied' } },
      { value: '1', labels: { result: 'rejected' } },
    ]);
  }, 90_000);

  it('read-only: 405 for other methods, 404 for other paths, HEAD without a body', async () => {
    const port = await freePort();
    const p = project(config(port));
    await up(p, port);
    const post = await request(port, '/status', 'POST');
    expect([post.status, JSON.parse(post.body).error]).toEqual([
      405,
      'POST is not allowed: the endpoints are read-only (GET, HEAD)',
    ]);
    const missing = await request(port, '/nope');
    expect([missing.status, JSON.parse(missing.body).error]).toEqual([
      404,
      'no such endpoint /nope; these are served: /healthz, /readyz, /metrics, /status',
    ]);
    expect(await request(port, '/healthz?verbose=1', 'HEAD')).toEqual({
      status: 200,
      type: 'text/plain; charset=utf-8',
      body: '',
    });
    // the absolute form of the target, which a server must take (RFC 9112 3.2.2): it was a 404
    expect((await request(port, `http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  }, 60_000);

  it('while shutting down: /readyz 503 (shutting_down), /healthz still 200', async () => {
    const port = await freePort();
    const p = project(`
settings:
  http: 127.0.0.1:${port}
services:
  slow:
    command: trap 'while [ ! -e go ]; do sleep 0.1; done; exit 0' TERM; echo trapped; while :; do sleep 0.1; done
    readiness: { log: trapped }   # running once the trap is set: a SIGTERM before it would end it at once
    stop_timeout: 10s
`);
    await up(p, port);
    await p.waitState('slow', 'running');
    expect((await ready(port)).status).toBe(200);
    p.daemon!.kill('SIGTERM');
    await waitFor(async () => (await ready(port)).status === 503, '/readyz 503 while stopping');
    expect((await ready(port)).body).toEqual({ ready: false, shutting_down: true, not_ready: [] });
    expect((await request(port, '/healthz')).status).toBe(200);
    writeFileSync(join(p.dir, 'go'), ''); // now the service may finish stopping
    expect(await p.exit).toBe(0);
  }, 60_000);

  it('a port in use fails tend up before any service starts', async () => {
    const s = createServer();
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    const p = project(`
settings:
  http: 127.0.0.1:${port}
services:
  a:
    command: touch started; exec sleep 1000
`);
    const r = await p.run(['up']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`tend: cannot serve settings.http on 127.0.0.1:${port}: EADDRINUSE`);
    expect(() => readFileSync(join(p.dir, 'started'))).toThrow();
  }, 60_000);
});
