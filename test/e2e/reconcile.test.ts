// The loop end to end with the built binary: liveness failures go through backoff and the start
// limit and show in status and why; service names that are Object.prototype keys; what a reload
// says and does about completed oneshots and in-place keys; the reload line of the journal.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pidAlive, type Project, useProjects, waitFor, quiet } from './harness.js';

const { started } = useProjects();

async function row(p: Project, name: string): Promise<Record<string, any>> {
  const r = (await p.status()).find((x) => x.name === name);
  if (!r) throw new Error(`no status row for ${name}`);
  return r;
}

/** `svc`, a sleep whose liveness probe never passes (`probe`: the rest of its keys), with `more` keys. */
function neverLive(probe: string, ...more: string[]): string {
  const keys = ['command: sleep 1000', `liveness: { exec: "false", ${probe} }`, ...more];
  return `settings: { echo: false }\nservices:\n  svc:\n${keys.map((k) => `    ${k}\n`).join('')}`;
}

describe('liveness failures', () => {
  it('status and why show the failures while they add up', async () => {
    const p = await started(neverLive('interval: 30ms, failure_threshold: 1000'));
    const r = await waitFor(async () => {
      const x = await row(p, 'svc');
      return /^liveness failing [2-9]\d*\/1000: exec false: exit 1$/.test(x.detail) ? x : undefined;
    }, 'a liveness detail in status');
    expect(r.state).toBe('running');
    const why = (await p.run(['why', 'svc'])).stdout;
    expect(why).toMatch(/Liveness failing \d+\/1000: exec false: exit 1\./);
  });

  // Regression: a probe that never passed restarted the service every few seconds forever.
  it('restarts back off and stop at the start limit: failed, with the count in words', async () => {
    const p = await started(
      neverLive(
        'interval: 20ms, failure_threshold: 1',
        'start_limit: { burst: 2, interval: 60s }',
        'backoff: { initial: 100ms }',
      ),
    );
    await p.waitState('svc', 'failed');
    const r = await row(p, 'svc');
    expect([r.detail, r.restarts, r.pid]).toEqual(['liveness failed twice within 1m; start limit reached', 1, null]);
    const states = (await p.events()).filter((e) => e.service === 'svc' && e.what === 'state').map((e) => e.why);
    expect(states).toEqual([
      'pending -> starting: spawned',
      'starting -> running: started',
      'running -> stopping: restart',
      'stopping -> backoff: liveness failed 1 times in a row: exec false: exit 1',
      'backoff -> starting: restarted',
      'starting -> running: started',
      'running -> stopping: restart',
      'stopping -> failed: liveness failed twice within 1m; start limit reached',
    ]);
  });
});

describe('service names that are Object.prototype keys', () => {
  // Regression: `name in dependsOn` made every service a dependent of `constructor`: stopping it
  // stopped everything, and a shutdown waited for `constructor` to stop before itself.
  it('tend stop constructor stops it and its dependent only; shutdown stops every one', async () => {
    const p = await started(`
settings: { echo: false }
services:
  constructor:
    command: [sleep, "1001"]
  web:
    command: [sleep, "1002"]
    depends_on: [constructor]
  other:
    command: [sleep, "1003"]
    stop_timeout: 30s
`);
    const pids = await waitFor(async () => {
      const rows = await p.status();
      return rows.every((x) => x.state === 'running') ? rows.map((x) => x.pid as number) : undefined;
    }, 'every service running');
    const stop = await p.run(['stop', 'constructor']);
    expect(stop.code).toBe(0);
    expect(Object.fromEntries((await p.status()).map((x) => [x.name, x.state]))).toEqual({
      constructor: 'stopped',
      web: 'stopped',
      other: 'running',
    });
    expect((await p.run(['start', 'constructor'])).code).toBe(0);
    expect((await p.run(['shutdown'])).code).toBe(0);
    expect(await p.exit).toBe(0);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect(p.err).not.toContain('SIGKILL');
  });
});

describe('reload', () => {
  // Regression: a completed oneshot whose process spec changed did not run again.
  it('a changed completed oneshot runs again; its running dependent stays; the plan says so', async () => {
    const yaml = (version: string) => `
settings: { echo: false, watch: false }
services:
  migrate:
    type: oneshot
    command: echo "run $SCHEMA_VERSION" >> runs
    env: { SCHEMA_VERSION: "${version}" }
  web:
    command: [sleep, "1004"]
    depends_on: { migrate: completed }
`;
    const p = await started(yaml('1'));
    await p.waitState('web', 'running');
    expect(await p.state('migrate')).toBe('completed');
    const web = (await row(p, 'web')).pid;
    p.write(yaml('2'));
    const dry = await p.run(['reload', '--dry-run']);
    expect(dry.stdout).toBe('~ migrate (env.SCHEMA_VERSION; runs again)\n= 1 unchanged\n(dry run: nothing was changed)\n');
    const r = await p.run(['reload']);
    expect(r.stdout).toBe('~ migrate (env.SCHEMA_VERSION; runs again)\n= 1 unchanged\n');
    await waitFor(() => readFileSync(join(p.dir, 'runs'), 'utf8') === 'run 1\nrun 2\n', 'the second run');
    await p.waitState('migrate', 'completed');
    expect([await p.state('web'), (await row(p, 'web')).pid]).toEqual(['running', web]);
  });

  it('a changed service that is failed or stopped is not restarted, and the plan says so and how to start it', async () => {
    const yaml = (n: string) => `
settings: { echo: false, watch: false }
services:
  flaky:
    command: echo boom ${n}; exit 3
    restart: never
  off:
    command: [sleep, "100${n}"]
    autostart: false
`;
    const p = await started(yaml('1'));
    await p.waitState('flaky', 'failed');
    p.write(yaml('2'));
    const r = await p.run(['reload']);
    expect(r.stdout.split('\n').sort()).toEqual(
      [
        '~ flaky (command; not restarted: it is failed (tend start flaky))',
        '~ off (command; not restarted: it is stopped (tend start off))',
        '= 0 unchanged',
        '',
      ].sort(),
    );
    expect([await p.state('flaky'), await p.state('off')]).toEqual(['failed', 'stopped']);
  });

  it('a "~" line names the keys applied in place; the journal names the source once', async () => {
    const p = await started(
      quiet(`
  web:
    command: [sleep, "1005"]
    readiness: { exec: "true", interval: 1s }
`),
    );
    await p.waitState('web', 'running');
    p.write(
      quiet(`
  web:
    command: [sleep, "1005"]
    readiness: { exec: "true", interval: 2s }
    stop_timeout: 5s
`),
    );
    const r = await p.run(['reload']);
    expect(r.stdout).toBe('~ web (stop_timeout, readiness.interval; applied in place, no restart)\n= 0 unchanged\n');
    const line = (await p.run(['events'])).stdout.split('\n').find((l) => l.includes(' tend reload on request: '));
    expect(line).toMatch(
      / tend reload on request: ~ web \(stop_timeout, readiness\.interval; applied in place, no restart\); = 0 unchanged$/,
    );
  });
});

describe('variable names that are Object.prototype keys', () => {
  // Regression: env and env_file were read into plain objects, where `__proto__` is no key
  it('env and env_file pass __proto__, constructor and toString to the process', async () => {
    const p = await started(
      `
settings: { echo: false }
services:
  show:
    type: oneshot
    command: printenv __proto__ constructor toString > seen
    env: { __proto__: "a", constructor: "b" }
    env_file: vars.env
`,
      { 'vars.env': 'toString=c\n' },
    );
    await p.waitState('show', 'completed');
    expect(readFileSync(join(p.dir, 'seen'), 'utf8')).toBe('a\nb\nc\n');
  });
});
