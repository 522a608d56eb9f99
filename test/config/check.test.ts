// `tend check`'s loader call (config/check.ts, config/host.ts): errors and warnings as located
// lists, the counts; warnings about this machine from real files, PATHs, users and groups.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpec } from '../../src/config/check.js';
import { programOf, whyNotRunnable } from '../../src/config/host.js';
import { tmpDir, yaml } from './helpers.js';

/** A folder with an executable `bin/tool`, a plain file `bin/data` and the config `text`. */
function setup(text: string): { dir: string; file: string } {
  const dir = tmpDir();
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin/tool'), '#!/bin/sh\n');
  chmodSync(join(dir, 'bin/tool'), 0o755);
  writeFileSync(join(dir, 'bin/data'), 'x');
  chmodSync(join(dir, 'bin/data'), 0o644);
  const file = join(dir, 'tend.yaml');
  writeFileSync(file, text);
  return { dir, file };
}

/** The warnings as `line:col: path: message` with the folder shown as DIR. */
const shown = (dir: string, list: { line: number; col: number; path: string; message: string }[]) =>
  list.map((w) => `${w.line}:${w.col}: ${w.path}: ${w.message}`.replaceAll(dir, 'DIR'));

describe('checkSpec', () => {
  it('a good config: the spec, no problem, no warning, and the counts', () => {
    const { file } = setup(
      yaml('services:', '  web:', '    command: [sh, -c, "exit 0"]', '    replicas: 3', '  db:', '    command: sleep 1'),
    );
    const r = checkSpec(file);
    expect([r.problems, r.warnings, r.services, r.instances]).toEqual([[], [], 2, 4]);
    expect(r.spec!.services.map((s) => s.name)).toEqual(['web', 'db']);
  });

  it('a bad config: every problem as {file, line, col, path, message}, no spec', () => {
    const { file } = setup(yaml('services:', '  web:', '    command: x', '    restart: alway'));
    expect(checkSpec(file)).toEqual({
      problems: [
        {
          file,
          line: 4,
          col: 14,
          path: 'services.web.restart',
          message: 'expected one of always, on-failure, never; got "alway" (did you mean "always"?)',
        },
      ],
      warnings: [],
      services: 0,
      instances: 0,
    });
    expect(checkSpec(join(file, '..', 'missing.yaml')).problems[0]!.message).toBe(
      'cannot read config: no such file or directory',
    );
  });

  it('warns of programs that would not run, cwds that do not exist, unknown users and groups', () => {
    const { dir, file } = setup(
      yaml(
        'services:',
        '  a:',
        '    command: [no-such-program-x1, --flag]',
        '  b:',
        '    command: no-such-program-x2 --port 80',
        '  c:',
        '    command: exec ./bin/data',
        '  d:',
        '    command: [./bin/missing]',
        '    cwd: gone',
        '  e:',
        '    command: [tool]',
        '    env: { PATH: "/nowhere:bin" }',
        '    readiness: { exec: [./bin/data] }',
        '  f:',
        '    command: ./bin/tool',
        '    user: no-such-user-x',
        '    group: no-such-group-x',
        '  g:',
        '    command: x',
        '    env: { PATH: "/nowhere" }',
        '    liveness: { exec: "missing-probe-tool --check" }',
      ),
    );
    const r = checkSpec(file, { env: { PATH: '/usr/bin:/bin' } });
    expect(r.problems).toEqual([]);
    expect(r.warnings.every((w) => w.file === file)).toBe(true);
    expect(shown(dir, r.warnings)).toEqual([
      '3:15: services.a.command[0]: program "no-such-program-x1" is not found on PATH',
      '5:14: services.b.command: program "no-such-program-x2" is not found on PATH',
      '7:14: services.c.command: program "./bin/data" is not executable',
      '10:10: services.d.cwd: cwd DIR/gone does not exist',
      '14:25: services.e.readiness.exec[0]: program "./bin/data" is not executable',
      '17:11: services.f.user: user "no-such-user-x" does not exist on this machine (not in /etc/passwd)',
      '18:12: services.f.group: group "no-such-group-x" does not exist on this machine (not in /etc/group)',
      '20:14: services.g.command: program "x" is not found on the service\'s PATH',
      '22:23: services.g.liveness.exec: program "missing-probe-tool" is not found on the service\'s PATH',
    ]);
  });

  it("a service's own PATH is the one searched, relative entries from its cwd", () => {
    const { file } = setup(yaml('services:', '  e:', '    command: [tool]', '    env: { PATH: "/nowhere:bin" }'));
    expect(checkSpec(file, { env: { PATH: '/usr/bin:/bin' } }).warnings).toEqual([]);
    const other = setup(yaml('services:', '  e:', '    command: [tool]'));
    expect(checkSpec(other.file, { env: { PATH: `/nowhere:${join(other.dir, 'bin')}` } }).warnings).toEqual([]);
    expect(checkSpec(other.file, { env: { PATH: '/nowhere' } }).warnings.map((w) => w.message)).toEqual([
      'program "tool" is not found on PATH',
    ]);
  });

  it('a program found but not executable says where; a directory is not a program', () => {
    const { dir } = setup('');
    expect(whyNotRunnable('data', dir, join(dir, 'bin'))).toBe(`program "data": ${join(dir, 'bin/data')} is not executable`);
    expect(whyNotRunnable('bin', dir, dir)).toBe(`program "bin": ${join(dir, 'bin')} is not a file`);
    expect(whyNotRunnable('tool', dir, `${join(dir, 'bin')}`)).toBeUndefined();
    expect(whyNotRunnable('tool', dir, undefined)).toBe('program "tool" is not found on PATH (PATH is not set)');
  });

  it('numeric users and groups are not looked up (any id may be used)', () => {
    const { file } = setup(yaml('services:', '  a:', '    command: [sh]', '    user: 4242', '    group: 4242'));
    expect(checkSpec(file, { env: { PATH: '/usr/bin:/bin' } }).warnings).toEqual([]);
  });
});

describe('start_timeout warnings', () => {
  const svc = (...lines: string[]) => yaml('services:', '  a:', '    command: [sh]', ...lines.map((l) => `    ${l}`));
  const warnings = (...lines: string[]) => {
    const { dir, file } = setup(svc(...lines));
    return shown(dir, checkSpec(file, { env: { PATH: '/usr/bin:/bin' } }).warnings);
  };
  const ready = 'readiness: { tcp: "127.0.0.1:1" }';

  it('none when its runs fit in the start limit window (5 x 10s < 60s), or with restart: never', () => {
    expect(warnings(ready, 'start_timeout: 10s')).toEqual([]);
    expect(warnings(ready, 'start_timeout: 90s', 'restart: never')).toEqual([]);
    expect(warnings(ready, 'start_timeout: 90s', 'start_limit: { burst: 3, interval: 5m }')).toEqual([]);
  });

  it('without readiness it does nothing', () => {
    expect(warnings('start_timeout: 10s')).toEqual([
      '4:20: services.a.start_timeout: start_timeout does nothing without readiness: the service is running as soon as it is spawned',
    ]);
  });

  it('when burst runs of it do not fit in start_limit.interval, a service never ready restarts forever', () => {
    expect(warnings(ready, 'start_timeout: 12s')).toEqual([
      '5:20: services.a.start_timeout: 5 starts of 12s (start_timeout) do not fit in start_limit.interval 1m: a service that never gets ready is restarted forever; set start_limit.interval above 1m, with room for the stops and the backoff',
    ]);
    expect(warnings(ready, 'start_timeout: 90s', 'restart: always', 'start_limit: { burst: 2 }')).toEqual([
      '5:20: services.a.start_timeout: 2 starts of 1m30s (start_timeout) do not fit in start_limit.interval 1m: a service that never gets ready is restarted forever; set start_limit.interval above 3m, with room for the stops and the backoff',
    ]);
  });
});

describe('readiness initial_delay and timeout against start_timeout', () => {
  const warnings = (readiness: string, startTimeout: string) => {
    const { dir, file } = setup(
      yaml('services:', '  a:', '    command: [sh]', `    readiness: ${readiness}`, `    start_timeout: ${startTimeout}`),
    );
    return shown(dir, checkSpec(file, { env: { PATH: '/usr/bin:/bin' } }).warnings);
  };
  const tcp = 'tcp: "127.0.0.1:1"';

  it('none when the delay and one run fit, or for a form without initial_delay', () => {
    expect(warnings(`{ ${tcp}, initial_delay: 2s, timeout: 3s }`, '5s')).toEqual([]);
    expect(warnings('{ log: "^ready$" }', '500ms')).toEqual([]);
  });

  it('initial_delay at or past start_timeout: the probe never runs before the bound', () => {
    for (const [delay, limit] of [
      ['10s', '5s'],
      ['5s', '5s'],
    ]) {
      expect(warnings(`{ ${tcp}, initial_delay: ${delay} }`, limit)).toEqual([
        `4:53: services.a.readiness.initial_delay: readiness.initial_delay ${delay} is not before start_timeout ${limit}: the probe never runs before the bound, so every start fails; make initial_delay shorter or start_timeout longer`,
      ]);
    }
  });

  it('initial_delay and one run past start_timeout: a slow first run ends too late', () => {
    expect(warnings(`{ ${tcp}, initial_delay: 3s, timeout: 2.5s }`, '5s')).toEqual([
      '4:53: services.a.readiness.initial_delay: readiness.initial_delay 3s and one run of the probe (timeout 2.5s) take 5.5s, past start_timeout 5s: a first run that needs its timeout ends after the bound',
    ]);
    expect(warnings('{ exec: "true", timeout: 10s }', '2s')).toEqual([
      '4:41: services.a.readiness.timeout: one run of the readiness probe takes up to its timeout 10s, past start_timeout 2s: a first run that needs its timeout ends after the bound',
    ]);
  });
});

describe('programOf: what a command runs, when tend can tell', () => {
  it.each([
    [['node', 'x.js'], 'node'],
    ['node server.js --port 80', 'node'],
    ['  ./bin/app   -v', './bin/app'],
    ['exec /usr/bin/env node', '/usr/bin/env'],
    ['exec gunicorn app:app', 'gunicorn'],
  ])('%j runs %s', (command, program) => {
    expect(programOf(command)?.program).toBe(program);
  });

  it.each([
    'cd app && ./run',
    'FOO=1 node x.js',
    'echo hi',
    '"quoted" x',
    '$HOME/bin/x',
    'a|b',
    'while true; do x; done',
    '(sub)',
    'x;y',
    '~/bin/x',
    '[ -f x ]',
    'exec',
  ])('%j: not without a shell', (command) => {
    expect(programOf(command)).toBeUndefined();
  });
});
