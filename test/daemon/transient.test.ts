// Transient services (`tend run NAME -- CMD`): added through the Supervisor as simple services with
// the defaults, the caller's folder and environment; names checked; one that no longer runs is
// replaced; the bare spec of a daemon without a config.
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/build.js';
import { TendError } from '../../src/core/errors.js';
import type { Spec } from '../../src/core/types.js';
import { bareOutFile } from '../../src/commands/detach.js';
import { bareSpec, hasConfigFile } from '../../src/daemon/bare-spec.js';
import { serviceEnv } from '../../src/daemon/env.js';
import { explain, statusRow } from '../../src/daemon/status.js';
import { commandWords, transientServices } from '../../src/daemon/transient.js';
import { flush, harness, instanceSpec, serviceSpec } from '../helpers/fakes.js';

function setup(services = [serviceSpec('db')]) {
  const h = harness();
  const spec = { file: '/srv/app/tend.yaml', dir: '/srv/app', services, settings: { logs: { keep: 1 } } } as unknown as Spec;
  h.sup.add(services.map((s) => ({ id: s.name, service: s.name, spec: s })));
  const t = transientServices({ sup: h.sup, journal: h.journal, spec: () => spec });
  const req = (name: string, command = ['sleep', '5']) => ({
    name,
    command,
    cwd: '/srv/work',
    env: { FOO: 'bar', PATH: '/bin' },
    by: 'uid 0 (pid 7)',
  });
  return { h, t, req };
}

/** The TendError `fn` throws. */
function thrown(fn: () => unknown): TendError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TendError) return e;
    throw e;
  }
  throw new Error('it did not throw');
}

describe('transient services', () => {
  it("are simple services with the defaults (settings.logs too), wanted up, in the caller's folder with its environment, marked transient", async () => {
    const { h, t, req } = setup();
    const i = t.add(req('web', ['python3', '-m', 'http.server', '8000']));
    await flush();
    expect(h.states('web')).toEqual({ web: 'running' });
    expect(i.inst.spec).toMatchObject({
      name: 'web',
      command: ['python3', '-m', 'http.server', '8000'],
      cwd: '/srv/work',
      env: { FOO: 'bar', PATH: '/bin' },
      type: 'simple',
      restart: 'on-failure',
      backoff: DEFAULTS.backoff,
      // settings.logs, as every service of the config
      logs: { ...DEFAULTS.logs, keep: 1 },
      transient: true,
    });
    expect(h.lines()).toContain('web add: transient service added by uid 0 (pid 7): python3 -m http.server 8000 (in /srv/work)');
    // status and why say so
    const row = statusRow(h.sup.store, h.get('web'), Date.now());
    expect(row.transient).toBe(true);
    expect(row.detail).toBe('transient: python3 -m http.server 8000');
    expect(explain(h.sup.store, h.get('web'), Date.now())).toContain(
      'It is a transient service (tend run web -- ...): python3 -m http.server 8000 in /srv/work; it goes when tend shuts down.',
    );
    expect(statusRow(h.sup.store, h.get('db'), Date.now()).transient).toBeUndefined();
  });

  it("get their caller's environment alone (not tend's), plus the TEND_ variables", () => {
    const env = serviceEnv({ TEND_OWN: '1', PATH: '/usr/bin' });
    const { t, req } = setup();
    expect(env(t.add(req('web')).inst)).toEqual({ FOO: 'bar', PATH: '/bin', TEND_SERVICE: 'web', TEND_INSTANCE: 'web' });
    expect(env(instanceSpec('db', { env: { A: 'b' } }))).toEqual({
      TEND_OWN: '1',
      PATH: '/usr/bin',
      A: 'b',
      TEND_SERVICE: 'db',
      TEND_INSTANCE: 'db',
    });
  });

  it('refuse a name of the config, a bad name, all and tend', () => {
    const { t, req } = setup();
    const clash = thrown(() => t.add(req('db')));
    expect([clash.code, clash.message]).toEqual([
      'bad_request',
      'run: db is a service of /srv/app/tend.yaml; tend start db starts it (or pick another name)',
    ]);
    for (const n of ['Web', 'all', 'tend', '-x', 'a'.repeat(64)]) expect(thrown(() => t.add(req(n))).code, n).toBe('bad_request');
  });

  it('refuse a name that runs, and replace one that no longer does', async () => {
    const { h, t, req } = setup([]);
    t.add(req('job', ['sleep', '5']));
    await flush();
    const busy = thrown(() => t.add(req('job', ['true'])));
    expect([busy.code, busy.message]).toEqual([
      'already_running',
      'run: job already runs (pid 1001): sleep 5; tend stop job first',
    ]);
    h.sup.stop([h.get('job')]);
    await flush();
    h.spawner.exit('job', { kind: 'signaled', signal: 'SIGTERM' });
    await flush();
    expect(h.states('job')).toEqual({ job: 'stopped' });
    t.add(req('job', ['sh', '-c', "echo 'it''s'"]));
    await flush();
    expect(h.get('job').inst.spec.command).toEqual(['sh', '-c', "echo 'it''s'"]);
    expect(h.spawner.count('job')).toBe(2);
    expect(h.states('job')).toEqual({ job: 'running' });
  });

  it('write a command line as a shell would read it back', () => {
    expect(commandWords(['sh', '-c', 'echo "hi there"; exit 3', "it's", 'a=b', '/x/y.z'])).toBe(
      `sh -c 'echo "hi there"; exit 3' 'it'\\''s' a=b /x/y.z`,
    );
  });
});

describe('the daemon of a folder without a config', () => {
  it('has no file, no services, the default settings of the folder, no echo, no watch', () => {
    const s = bareSpec('/srv/app');
    expect(s).toEqual({
      file: '',
      dir: '/srv/app',
      settings: {
        socket: '/srv/app/.tend/tend.sock',
        logDir: '/srv/app/.tend/logs',
        shutdownTimeout: DEFAULTS.shutdownTimeout,
        echo: false,
        watch: false,
      },
      services: [],
    });
    expect(hasConfigFile(s)).toBe(false);
    expect(bareSpec('/srv/app', '/run/x.sock').settings.socket).toBe('/run/x.sock');
  });

  it('writes its own output where the CLI says: the default log_dir', () => {
    expect(bareOutFile('/srv/app')).toBe(`/srv/app/${DEFAULTS.logDir}/tend.out`);
    expect(bareOutFile('/srv/app')).toBe(`${bareSpec('/srv/app').settings.logDir}/tend.out`);
  });
});
