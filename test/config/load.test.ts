import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadSpec, parseSpec, resolveConfigPath, MAX_SOCKET_PATH } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import type { ServiceSpec } from '../../src/core/types.js';
import { errorsOf, tmpDir, yaml } from './helpers.js';

const FIXTURES = resolve(__dirname, '../fixtures/config');

describe('loadSpec on a file using every key', () => {
  const spec = loadSpec(join(FIXTURES, 'full.yaml'));
  const svc = (name: string): ServiceSpec => spec.services.find((s) => s.name === name)!;

  test('file, dir and settings', () => {
    expect(spec.file).toBe(join(FIXTURES, 'full.yaml'));
    expect(spec.dir).toBe(FIXTURES);
    expect(spec.settings).toEqual({
      socket: join(FIXTURES, 'run/tend.sock'),
      logDir: join(FIXTURES, 'var/logs'),
      shutdownTimeout: 45_000,
      echo: false,
      watch: false,
      exitWith: 'web',
    });
  });

  test('services keep the file order', () => {
    expect(spec.services.map((s) => s.name)).toEqual(['migrate', 'db', 'web', 'worker']);
  });

  test('a service with every key set', () => {
    expect(svc('db')).toEqual({
      name: 'db',
      command: 'postgres -D data',
      cwd: join(FIXTURES, 'db'),
      env: { PGUSER: 'app', PGPORT: '5432', QUOTED: 'a b\nc', SINGLE: 'raw \\n text', DEBUG: 'true', WORKERS: '4' },
      envFiles: [join(FIXTURES, 'full.env')],
      user: 'postgres',
      group: 999,
      umask: 0o027,
      tty: true,
      type: 'simple',
      autostart: false,
      restart: 'always',
      backoff: { initial: 250, max: 60_000, factor: 1.5 },
      startLimit: { burst: 3, interval: 120_000 },
      stopSignal: 'SIGINT',
      stopTimeout: 20_000,
      startTimeout: 30_000,
      readiness: {
        check: { kind: 'tcp', host: '127.0.0.1', port: 5432 },
        interval: 500,
        timeout: 2000,
        initialDelay: 1000,
        failureThreshold: 2,
      },
      liveness: {
        check: { kind: 'exec', command: ['pg_isready', '-p', '5432'] },
        interval: 5000,
        timeout: 3000,
        initialDelay: 10_000,
        failureThreshold: 4,
      },
      limits: { memory: 512 * 1024 ** 2, cpu: 0.5, pids: 256, nofile: 4096 },
      logs: { maxSize: 1024 ** 2, keep: 2, mode: 0o640 },
      replicas: 1,
      dependsOn: { migrate: 'completed' },
    } satisfies ServiceSpec);
  });

  test('defaults of a service with only a command', () => {
    expect(svc('migrate')).toEqual({
      name: 'migrate',
      command: './migrate.sh --all',
      cwd: FIXTURES,
      env: {},
      envFiles: [],
      tty: false,
      type: 'oneshot',
      autostart: true,
      restart: 'never', // oneshot default
      backoff: { initial: 100, max: 30_000, factor: 2 },
      startLimit: { burst: 5, interval: 60_000 },
      stopSignal: 'SIGTERM',
      stopTimeout: 10_000,
      limits: {},
      logs: { maxSize: 10 * 1024 ** 2, keep: 5, mode: 0o640 },
      replicas: 1,
      dependsOn: {},
    } satisfies ServiceSpec);
  });

  test('probe forms, later env files win, yaml 1.2 octal-looking umask read as octal', () => {
    const web = svc('web');
    expect(web.restart).toBe('on-failure');
    expect(web.umask).toBe(0o22);
    expect(web.envFiles).toEqual([join(FIXTURES, 'full.env'), join(FIXTURES, 'other.env')]);
    expect(web.env).toEqual({ PGUSER: 'other', PGPORT: '1111', QUOTED: 'a b\nc', SINGLE: 'raw \\n text', EXTRA: '1' });
    expect(web.readiness).toEqual({
      check: { kind: 'http', url: 'http://localhost:8080/health' },
      interval: 1000,
      timeout: 1000,
      initialDelay: 0,
      failureThreshold: 3,
    });
    expect(web.liveness?.check).toEqual({ kind: 'log', pattern: 'listening on \\d+' });
    expect(web.replicas).toBe(3);
    expect(web.dependsOn).toEqual({ db: 'healthy', migrate: 'completed' });
  });

  test('depends_on as a list means started; numbers in argv are stringified; uid as number', () => {
    const w = svc('worker');
    expect(w.dependsOn).toEqual({ db: 'started', web: 'started' });
    expect(w.command).toEqual(['sleep', '1000']);
    expect(w.user).toBe(1000);
    expect(w.readiness?.check).toEqual({ kind: 'fd', fd: 3 });
  });
});

describe('parseSpec', () => {
  test('minimal file: settings defaults relative to the config folder', () => {
    const spec = parseSpec(yaml('services:', '  a:', '    command: run'), '/srv/app/tend.yaml');
    expect(spec.file).toBe('/srv/app/tend.yaml');
    expect(spec.dir).toBe('/srv/app');
    expect(spec.settings).toEqual({
      socket: '/srv/app/.tend/tend.sock',
      logDir: '/srv/app/.tend/logs',
      shutdownTimeout: 30_000,
      echo: true,
      watch: true,
    });
    expect(spec.services[0]!.cwd).toBe('/srv/app');
  });

  test('absolute paths stay as they are; relative ones resolve against the config folder', () => {
    const spec = parseSpec(
      yaml('settings: { socket: /run/t.sock, log_dir: ../logs }', 'services:', '  a: { command: x, cwd: /tmp }'),
      '/srv/app/tend.yaml',
    );
    expect(spec.settings.socket).toBe('/run/t.sock');
    expect(spec.settings.logDir).toBe('/srv/logs');
    expect(spec.services[0]!.cwd).toBe('/tmp');
  });

  test('env: numbers and booleans stringified, env wins over env_file', () => {
    const dir = tmpDir({ '.env': 'A=from-file\nB=file-only\n' });
    const spec = parseSpec(
      yaml('services:', '  a:', '    command: x', '    env_file: .env', '    env: { A: 1, C: false }'),
      join(dir, 'tend.yaml'),
    );
    expect(spec.services[0]!.env).toEqual({ A: '1', B: 'file-only', C: 'false' });
    expect(spec.services[0]!.envFiles).toEqual([join(dir, '.env')]);
  });

  test('empty mappings (everything under a key commented out) count as absent', () => {
    const spec = parseSpec(yaml('settings:', 'services:', '  a:', '    command: x', '    env:', '    depends_on:'), '/x/t.yaml');
    expect(spec.services[0]!.env).toEqual({});
    expect(spec.services[0]!.dependsOn).toEqual({});
    expect(spec.settings.echo).toBe(true);
  });

  test('YAML anchors and merge keys work', () => {
    const merged = parseSpec(
      yaml('services:', '  a: &a { command: x, restart: always, stop_timeout: 2s }', '  b: { <<: *a, command: y }'),
      '/x/t.yaml',
    );
    expect(merged.services[1]).toMatchObject({ name: 'b', command: 'y', restart: 'always', stopTimeout: 2000 });
  });

  test('a merge key over a scalar is a ConfigError, not a crash', () => {
    expect(errorsOf(yaml('services:', '  a: &a x', '  b: { <<: *a, command: y }'))).toEqual([
      'tend.yaml: Merge sources must be maps or map aliases',
    ]);
  });

  test('services keep the file order, integer-like names included', () => {
    const spec = parseSpec(
      yaml('services:', '  b: { command: x }', '  "2": { command: x }', '  a: { command: x }', '  1: { command: x }'),
      '/x/t.yaml',
    );
    expect(spec.services.map((s) => s.name)).toEqual(['b', '2', 'a', '1']);
  });

  test('healthy on a dependency without a readiness probe is allowed', () => {
    const spec = parseSpec(
      yaml('services:', '  a: { command: x }', '  b: { command: y, depends_on: { a: healthy } }'),
      '/x/t.yaml',
    );
    expect(spec.services[1]!.dependsOn).toEqual({ a: 'healthy' });
  });

  test('a bracketed IPv6 tcp address', () => {
    const spec = parseSpec(yaml('services:', '  a: { command: x, readiness: { tcp: "[::1]:80" } }'), '/x/t.yaml');
    expect(spec.services[0]!.readiness!.check).toEqual({ kind: 'tcp', host: '::1', port: 80 });
  });

  test('a socket path at the limit is fine, one byte over is an error naming the key', () => {
    const dir = '/' + 'd'.repeat(MAX_SOCKET_PATH - 11); // "/ddd.../t.yaml", socket "/ddd.../s.sock"
    const ok = `${dir}/${'s'.repeat(MAX_SOCKET_PATH - dir.length - 1)}`;
    expect(ok.length).toBe(MAX_SOCKET_PATH);
    const spec = parseSpec(yaml(`settings: { socket: ${ok} }`, 'services: { a: { command: x } }'), `${dir}/t.yaml`);
    expect(spec.settings.socket).toBe(ok);
    expect(errorsOf(yaml(`settings: { socket: ${ok}x }`, 'services: { a: { command: x } }'), 't.yaml')).toEqual([
      `t.yaml:1:21: settings.socket: socket path ${ok}x is 108 bytes, over the 107-byte limit of Unix sockets; set a shorter settings.socket`,
    ]);
  });

  test('the default socket under a deep folder is also checked', () => {
    const deep = '/' + 'd'.repeat(100);
    expect(errorsOf(yaml('services: { a: { command: x } }'), `${deep}/t.yaml`)).toEqual([
      `${deep}/t.yaml: settings.socket: socket path ${deep}/.tend/tend.sock is 117 bytes, over the 107-byte limit of Unix sockets; set a shorter settings.socket`,
    ]);
  });
});

describe('loadSpec file errors', () => {
  test('a missing config file is a ConfigError naming the file', () => {
    const dir = tmpDir();
    const file = join(dir, 'nope.yaml');
    expect(() => loadSpec(file)).toThrow(ConfigError);
    expect(() => loadSpec(file)).toThrow(`${file}: cannot read config: no such file or directory`);
  });

  test('loadSpec reads the file and reports positions in it', () => {
    const dir = tmpDir();
    const file = join(dir, 'tend.yaml');
    writeFileSync(file, yaml('services:', '  a:', '    command: x', '    tty: maybe'));
    expect(() => loadSpec(file)).toThrow(`${file}:4:10: services.a.tty: expected true or false; got "maybe"`);
  });
});

describe('resolveConfigPath', () => {
  test('-c wins, then $TEND_CONFIG, then ./tend.yaml; always absolute', () => {
    expect(resolveConfigPath({ config: 'x.yaml', env: { TEND_CONFIG: '/e.yaml' }, cwd: '/w' })).toBe('/w/x.yaml');
    expect(resolveConfigPath({ config: '/abs/x.yaml', env: {}, cwd: '/w' })).toBe('/abs/x.yaml');
    expect(resolveConfigPath({ env: { TEND_CONFIG: 'e.yaml' }, cwd: '/w' })).toBe('/w/e.yaml');
    expect(resolveConfigPath({ env: { TEND_CONFIG: '' }, cwd: '/w' })).toBe('/w/tend.yaml');
    expect(resolveConfigPath({ env: {}, cwd: '/w/sub' })).toBe('/w/sub/tend.yaml');
  });
});
