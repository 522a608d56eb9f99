import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseSpec } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { variableAt } from '../../src/config/yaml-errors.js';
import { errorsOf, tmpDir, yaml } from './helpers.js';

/** A file with one service `web` whose extra lines follow `command: x` (4-space indent). */
const web = (...lines: string[]) => yaml('services:', '  web:', '    command: x', ...lines.map((l) => `    ${l}`));

describe('config errors: exact file:line:col: path: message', () => {
  test.each<[string, string, string[]]>([
    [
      'the README example: a bad enum, with a did-you-mean',
      yaml(
        ...Array.from({ length: 10 }, (_, i) => `# line ${i + 1}`),
        'services:',
        '  web:',
        '    command: x',
        '    restart: alway',
      ),
      ['tend.yaml:14:14: services.web.restart: expected one of always, on-failure, never; got "alway" (did you mean "always"?)'],
    ],
    [
      'bad signals: a name',
      web('stop_signal: SIGTREM'),
      ['tend.yaml:4:18: services.web.stop_signal: expected a signal name like SIGTERM; got "SIGTREM" (did you mean "SIGTERM"?)'],
    ],
    [
      'bad signals: a number',
      web('stop_signal: 99'),
      ['tend.yaml:4:18: services.web.stop_signal: expected a signal name like SIGTERM or its number; got 99'],
    ],
    [
      "docker compose's restart words point to tend's",
      web('restart: no'),
      ['tend.yaml:4:14: services.web.restart: expected one of always, on-failure, never; got "no" (did you mean "never"?)'],
    ],
    [
      "docker compose's unless-stopped, and false",
      yaml('services:', '  a:', '    command: x', '    restart: unless-stopped', '  b:', '    command: x', '    restart: false'),
      [
        'tend.yaml:4:14: services.a.restart: expected one of always, on-failure, never; got "unless-stopped" (did you mean "always"?)',
        'tend.yaml:7:14: services.b.restart: expected one of always, on-failure, never; got false (did you mean "never"?)',
      ],
    ],
    [
      'a bad enum far from any value has no hint',
      web('type: daemon'),
      ['tend.yaml:4:11: services.web.type: expected one of simple, oneshot; got "daemon"'],
    ],
    [
      'unknown keys, at the key, with a hint when one is close',
      web('restrat: always', 'dependsOn: [x]', 'zzz: 1'),
      [
        'tend.yaml:4:5: services.web.restrat: unknown key "restrat" (did you mean "restart"?)',
        'tend.yaml:5:5: services.web.dependsOn: unknown key "dependsOn" (did you mean "depends_on"?)',
        'tend.yaml:6:5: services.web.zzz: unknown key "zzz"',
      ],
    ],
    [
      'unknown keys at the top, in settings and in nested mappings',
      yaml(
        'setings: {}',
        'settings: { echoo: true }',
        'services:',
        '  web:',
        '    command: x',
        '    readiness: { tcp: "h:1", intervall: 1s }',
        '    limits: { mem: 1M }',
      ),
      [
        'tend.yaml:1:1: setings: unknown key "setings" (did you mean "settings"?)',
        'tend.yaml:2:13: settings.echoo: unknown key "echoo" (did you mean "echo"?)',
        'tend.yaml:6:30: services.web.readiness.intervall: unknown key "intervall" (did you mean "interval"?)',
        'tend.yaml:7:15: services.web.limits.mem: unknown key "mem" (did you mean "memory"?)',
      ],
    ],
    [
      'bad durations',
      web('stop_timeout: 10x', 'backoff: { initial: -1 }', 'readiness: { exec: y, interval: 0s }'),
      [
        'tend.yaml:4:19: services.web.stop_timeout: expected a duration like 250ms, 10s, 5m, 1h, 1h30m, 2d or a number of seconds; got "10x"',
        'tend.yaml:5:25: services.web.backoff.initial: expected a duration like 250ms, 10s, 5m, 1h, 1h30m, 2d or a number of seconds; got -1',
        'tend.yaml:6:37: services.web.readiness.interval: expected a duration > 0; got "0s"',
      ],
    ],
    [
      'bad sizes',
      web('limits: { memory: 12Q }', 'logs: { max_size: [1] }'),
      [
        'tend.yaml:4:23: services.web.limits.memory: expected a size like 512K, 10M, 1G or a number of bytes; got "12Q"',
        'tend.yaml:5:13: services.web.logs.max_size: expected a size like 512K, 10M, 1G or a number of bytes; got a list',
      ],
    ],
    [
      'unknown dependencies, in both forms, with did-you-mean',
      yaml(
        'services:',
        '  db: { command: x }',
        '  web:',
        '    command: y',
        '    depends_on: { dbb: healthy }',
        '  api:',
        '    command: z',
        '    depends_on: [db, redis]',
      ),
      [
        'tend.yaml:5:19: services.web.depends_on.dbb: unknown service "dbb" (did you mean "db"?)',
        'tend.yaml:8:22: services.api.depends_on[1]: unknown service "redis"',
      ],
    ],
    [
      'a bad dependency condition',
      yaml('services:', '  db: { command: x }', '  web: { command: y, depends_on: { db: healty } }'),
      [
        'tend.yaml:3:40: services.web.depends_on.db: expected one of started, healthy, completed; got "healty" (did you mean "healthy"?)',
      ],
    ],
    [
      'completed on a service that is not a oneshot',
      yaml('services:', '  db: { command: x }', '  web: { command: y, depends_on: { db: completed } }'),
      ['tend.yaml:3:40: services.web.depends_on.db: expected started or healthy (db is not a oneshot service); got "completed"'],
    ],
    [
      'dependency cycles, named, at the entry of the first service of the cycle',
      yaml(
        'services:',
        '  web: { command: a, depends_on: [api] }',
        '  api: { command: b, depends_on: { db: started } }',
        '  db: { command: c, depends_on: [web] }',
        '  self: { command: d, depends_on: [self] }',
      ),
      [
        'tend.yaml:2:35: services.web.depends_on[0]: dependency cycle: web -> api -> db -> web',
        'tend.yaml:5:36: services.self.depends_on[0]: dependency cycle: self -> self',
      ],
    ],
    [
      'bad tcp addresses',
      yaml(
        'services:',
        '  a: { command: x, readiness: { tcp: localhost } }',
        '  b: { command: x, readiness: { tcp: "h:0" } }',
        '  c: { command: x, readiness: { tcp: "::1:80" } }',
        '  d: { command: x, readiness: { tcp: 5432 } }',
      ),
      [
        'tend.yaml:2:38: services.a.readiness.tcp: expected host:port, e.g. 127.0.0.1:5432; got "localhost"',
        'tend.yaml:3:38: services.b.readiness.tcp: expected a port from 1 to 65535; got 0',
        'tend.yaml:4:38: services.c.readiness.tcp: expected host:port, e.g. 127.0.0.1:5432; got "::1:80"',
        'tend.yaml:5:38: services.d.readiness.tcp: expected host:port, e.g. 127.0.0.1:5432; got 5432',
      ],
    ],
    [
      'bad URLs',
      web('readiness: { http: "localhost:8080/x" }', 'liveness: { http: "not a url" }'),
      [
        'tend.yaml:4:24: services.web.readiness.http: expected an http:// or https:// URL; got "localhost:8080/x"',
        'tend.yaml:5:23: services.web.liveness.http: expected an http:// or https:// URL; got "not a url"',
      ],
    ],
    [
      'bad regexes',
      web('readiness: { log: "ready (" }', 'liveness: { log: "[z-a]" }'),
      [
        'tend.yaml:4:23: services.web.readiness.log: expected a valid regular expression; got "ready (" (missing closing ): `ready (`)',
        'tend.yaml:5:22: services.web.liveness.log: expected a valid regular expression; got "[z-a]" (invalid character class range: `z-a`)',
      ],
    ],
    [
      'a probe needs exactly one form',
      web('readiness:', '  tcp: "h:1"', '  http: "http://h/"', 'liveness: { interval: 1s }'),
      [
        'tend.yaml:4:5: services.web.readiness: expected exactly one of exec, tcp, http, log, fd, notify; got tcp and http',
        'tend.yaml:7:5: services.web.liveness: expected one of exec, tcp, http, log, fd, notify; got none',
      ],
    ],
    [
      'wrong types say what they got',
      web(
        'tty: 12',
        'autostart: [true]',
        'env: { A: [1], B: null }',
        'replicas: 0',
        'user: -3',
        'umask: 18',
        'cwd: ""',
        'limits: { pids: 1.5, cpu: "half" }',
        'readiness: { fd: 2, failure_threshold: 0 }',
        'backoff: { factor: 0.5 }',
        'logs: { keep: -1 }',
        'start_limit: { burst: 0 }',
      ),
      [
        'tend.yaml:4:10: services.web.tty: expected true or false; got 12',
        'tend.yaml:5:5: services.web.autostart: expected true or false; got a list',
        'tend.yaml:6:12: services.web.env.A: expected a string, number or boolean; got a list',
        'tend.yaml:6:23: services.web.env.B: expected a string, number or boolean; got null',
        'tend.yaml:7:15: services.web.replicas: expected an integer >= 1; got 0',
        'tend.yaml:8:11: services.web.user: expected a name or a numeric id; got -3',
        'tend.yaml:9:12: services.web.umask: expected an octal umask like "022"; got "18"',
        'tend.yaml:10:10: services.web.cwd: expected a non-empty string; got ""',
        'tend.yaml:11:21: services.web.limits.pids: expected an integer >= 1; got 1.5',
        'tend.yaml:11:31: services.web.limits.cpu: expected a number of cores > 0; got "half"',
        'tend.yaml:12:22: services.web.readiness.fd: expected a file descriptor number >= 3; got 2',
        'tend.yaml:12:44: services.web.readiness.failure_threshold: expected an integer >= 1; got 0',
        'tend.yaml:13:24: services.web.backoff.factor: expected a number >= 1; got 0.5',
        'tend.yaml:14:19: services.web.logs.keep: expected an integer >= 0; got -1',
        'tend.yaml:15:27: services.web.start_limit.burst: expected an integer >= 1; got 0',
      ],
    ],
    [
      'backoff.max below backoff.initial',
      web('backoff: { initial: 1m, max: 30s }'),
      ['tend.yaml:4:34: services.web.backoff.max: expected at least backoff.initial (60000ms); got "30s"'],
    ],
    [
      'commands: missing, empty, a bad argv item',
      yaml('services:', '  a:', '    cwd: /', '  b: { command: [] }', '  c: { command: [run, { x: 1 }] }'),
      [
        'tend.yaml:2:3: services.a.command: expected a command string or a list of arguments; got nothing',
        'tend.yaml:4:8: services.b.command: expected a command string or a list of arguments; got an empty list',
        'tend.yaml:5:23: services.c.command[1]: expected a string; got a mapping',
      ],
    ],
    [
      'a service that is not a mapping (and no cascade of unknown-dependency errors)',
      yaml('services:', '  a:', '  b: run', '  c: { command: x, depends_on: [a] }'),
      [
        'tend.yaml:2:3: services.a: expected a mapping with at least a command; got null',
        'tend.yaml:3:6: services.b: expected a mapping with at least a command; got "run"',
      ],
    ],
    [
      'settings: bad values, exit_with naming no service',
      yaml(
        'settings:',
        '  shutdown_timeout: forever',
        '  echo: "yes"',
        '  exit_with: wbe',
        '  log_dir: [x]',
        'services:',
        '  web: { command: x }',
      ),
      [
        'tend.yaml:2:21: settings.shutdown_timeout: expected a duration like 250ms, 10s, 5m, 1h, 1h30m, 2d or a number of seconds; got "forever"',
        'tend.yaml:3:9: settings.echo: expected true or false; got "yes"',
        'tend.yaml:4:14: settings.exit_with: unknown service "wbe" (did you mean "web"?)',
        'tend.yaml:5:3: settings.log_dir: expected a string; got a list',
      ],
    ],
    [
      'settings: exit_with naming an Object property is no service either',
      yaml('settings: { exit_with: constructor }', 'services: { web: { command: x } }'),
      ['tend.yaml:1:24: settings.exit_with: unknown service "constructor"'],
    ],
    [
      'settings: exit_with naming a task with a schedule, which never ends for good',
      yaml('settings: { exit_with: nightly }', 'services: { nightly: { command: x, type: oneshot, every: 1h } }'),
      [
        'tend.yaml:1:24: settings.exit_with: nightly is a task with a schedule: it never ends for good (it rests in scheduled between runs), so tend would never exit with it',
      ],
    ],
    [
      'services missing',
      yaml('settings: {}'),
      ['tend.yaml: services: expected a mapping of service names to services, at least one; got nothing'],
    ],
    [
      'services empty',
      yaml('services: {}'),
      ['tend.yaml:1:1: services: expected a mapping of service names to services, at least one; got an empty mapping'],
    ],
    [
      'services not a mapping',
      yaml('services: [a, b]'),
      ['tend.yaml:1:1: services: expected a mapping of service names to services, at least one; got a list'],
    ],
    ['the top not a mapping', yaml('- a'), ['tend.yaml:1:1: expected a mapping with settings and services; got a list']],
    ['an empty file', '', ['tend.yaml: empty config']],
    ['a file with only comments', '# nothing yet\n\n', ['tend.yaml: empty config']],
    [
      'YAML syntax errors carry the yaml package position: a flow sequence left open',
      yaml('services:', '  web:', '    command: [a, b', '  api: x'),
      ['tend.yaml:4:3: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ],
    [
      'a variable unquoted in a flow mapping: the exact input of the report, with the value quoted',
      web('env: { A: ${NOPE} }'),
      [
        // only the first: what yaml reports of the tokens after it follows from it
        'tend.yaml:4:16: Unexpected flow-map-start at node end; hint: quote it: A: "${NOPE}" (in { } or [ ] an unquoted ${ starts a nested mapping)',
      ],
    ],
    [
      'a variable unquoted in a flow list, inside a value',
      web('readiness: { exec: [check, --url=${URL}/health] }'),
      [
        'tend.yaml:4:39: Missing , or : between flow sequence items; hint: quote it: "--url=${URL}/health" (in { } or [ ] an unquoted ${ starts a nested mapping)',
      ],
    ],
    [
      'two variables in one flow mapping: a hint for each, once',
      yaml('services: { web: { command: x, env: { A: ${X}, B: "${Y}", C: ${Z:-${W}} } } }'),
      [
        'tend.yaml:1:43: Unexpected flow-map-start at node end; hint: quote it: A: "${X}" (in { } or [ ] an unquoted ${ starts a nested mapping)',
        // the errors between and after follow from the first; the nested default's own: no second hint
        'tend.yaml:1:63: Unexpected flow-map-start at node end; hint: quote it: C: "${Z:-${W}}" (in { } or [ ] an unquoted ${ starts a nested mapping)',
      ],
    ],
    [
      'what follows a syntax error on the lines below is not reported: it follows from it',
      yaml('services:', '  web:', '    command: sleep 1', '    env: { A: ${NOPE} }', '  db:', '    command: echo "a: b"'),
      [
        'tend.yaml:4:16: Unexpected flow-map-start at node end; hint: quote it: A: "${NOPE}" (in { } or [ ] an unquoted ${ starts a nested mapping)',
      ],
    ],
    [
      'a key twice: its path and the line of the first',
      yaml('services:', '  web: { command: a }', '  web: { command: b }'),
      ['tend.yaml:3:3: services.web: key "web" appears twice in this mapping (first at line 2); keep one'],
    ],
    [
      'a key twice deeper, in a list item',
      yaml(
        'services:',
        '  web:',
        '    command: a',
        '    depends_on:',
        '      - name: db',
        '        name: cache',
        '  db: { command: b }',
      ),
      ['tend.yaml:6:9: services.web.depends_on[0].name: key "name" appears twice in this mapping (first at line 5); keep one'],
    ],
  ])('%s', (_, text, lines) => {
    expect(errorsOf(text)).toEqual(lines);
  });

  test('bad service names, at the key', () => {
    expect(errorsOf(yaml('services:', '  Web:', '    command: x', '  -x: { command: y }', '  a.b: { command: z }'))).toEqual([
      'tend.yaml:2:3: services.Web: expected a service name matching [a-z0-9][a-z0-9_-]{0,62}; got "Web"',
      'tend.yaml:4:3: services.-x: expected a service name matching [a-z0-9][a-z0-9_-]{0,62}; got "-x"',
      'tend.yaml:5:3: services.a.b: expected a service name matching [a-z0-9][a-z0-9_-]{0,62}; got "a.b"',
    ]);
    const long = 'a'.repeat(64);
    expect(errorsOf(yaml('services:', `  ${long}: { command: y }`))[0]).toBe(
      `tend.yaml:2:3: services.${long}: expected a service name matching [a-z0-9][a-z0-9_-]{0,62}; got "${long.slice(0, 57)}..."`,
    );
  });

  test('a missing env_file, as a path and as a list item', () => {
    const dir = tmpDir({ 'ok.env': 'A=1\n' });
    const file = join(dir, 'tend.yaml');
    expect(errorsOf(web('env_file: nope.env'), file)).toEqual([
      `${file}:4:15: services.web.env_file: cannot read env file "nope.env": no such file or directory`,
    ]);
    expect(errorsOf(web('env_file: [ok.env, gone.env]'), file)).toEqual([
      `${file}:4:24: services.web.env_file[1]: cannot read env file "gone.env": no such file or directory`,
    ]);
    expect(errorsOf(web('env_file: .'), file)).toEqual([
      `${file}:4:15: services.web.env_file: cannot read env file ".": is a directory`,
    ]);
  });

  test('bad lines of an env file are located in the env file', () => {
    const dir = tmpDir({ '.env': '# ok\nA=1\nnot a pair\n1BAD=x\nQ="open\n' });
    const file = join(dir, 'tend.yaml');
    expect(errorsOf(web('env_file: .env'), file)).toEqual([
      `${join(dir, '.env')}:3:1: services.web.env_file: expected KEY=VALUE; got "not a pair"`,
      `${join(dir, '.env')}:4:1: services.web.env_file: expected a variable name; got "1BAD"`,
      `${join(dir, '.env')}:5:3: services.web.env_file: unterminated double-quoted value`,
    ]);
  });

  test('start_timeout: a duration > 0 a timer can wait; not on a oneshot, whose run has timeout', () => {
    expect(errorsOf(web('start_timeout: 0s'))).toEqual([
      'tend.yaml:4:20: services.web.start_timeout: expected a duration > 0; got "0s"',
    ]);
    expect(errorsOf(web('start_timeout: 600h'))).toEqual([
      'tend.yaml:4:20: services.web.start_timeout: expected a duration of at most 24 days (576h), the longest a timer waits; got "600h"',
    ]);
    expect(errorsOf(web('start_timeout: soon'))[0]).toMatch(
      /^tend\.yaml:4:20: services\.web\.start_timeout: expected a duration/,
    );
    expect(errorsOf(web('type: oneshot', 'readiness: { tcp: "h:1" }', 'start_timeout: 5s'))).toEqual([
      'tend.yaml:6:5: services.web.start_timeout: start_timeout is for a long-running service (type simple); a oneshot bounds its whole run with timeout',
    ]);
    const s = parseSpec(web('readiness: { tcp: "h:1" }', 'start_timeout: 1m30s'), '/srv/tend.yaml').services[0]!;
    expect(s.startTimeout).toBe(90_000);
    expect(parseSpec(web('start_timeout: 0.25'), '/srv/tend.yaml').services[0]!.startTimeout).toBe(250);
    // absent: no bound, as before the key existed
    expect('startTimeout' in parseSpec(web(), '/srv/tend.yaml').services[0]!).toBe(false);
  });

  test('notify is a readiness form only; watchdog, settings.http and notify_socket are checked', () => {
    expect(errorsOf(web('liveness: notify', 'watchdog: 0s'))).toEqual([
      'tend.yaml:4:15: services.web.liveness: notify is a readiness form only; for liveness use watchdog: DURATION (WATCHDOG=1 pings)',
      'tend.yaml:5:15: services.web.watchdog: expected a duration > 0; got "0s"',
    ]);
    expect(
      errorsOf(yaml('settings:', '  http: nohost', '  notify_socket: "@"', 'services:', '  web:', '    command: x')),
    ).toEqual([
      'tend.yaml:2:9: settings.http: expected host:port, e.g. 127.0.0.1:5432; got "nohost"',
      'tend.yaml:3:18: settings.notify_socket: expected a socket path, or @name for an abstract socket; got "@"',
    ]);
    const spec = parseSpec(
      yaml(
        'settings:',
        '  http: 127.0.0.1:9100',
        '  notify_socket: n.sock',
        'services:',
        '  web:',
        '    command: x',
        '    readiness: notify',
        '    watchdog: 2s',
      ),
      '/srv/tend.yaml',
    );
    expect(spec.settings.http).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(spec.settings.notifySocket).toBe('/srv/n.sock');
    expect([spec.services[0]!.readiness?.check, spec.services[0]!.watchdog]).toEqual([{ kind: 'notify' }, 2000]);
  });

  test('an unknown dependency is never "did you mean" the service that names it', () => {
    // `a` removed, `b` still naming it: "b" is one edit from "a", but b cannot depend on itself
    expect(errorsOf(yaml('services:', '  b:', '    command: x', '    depends_on: [a]', '  c:', '    command: x'))).toEqual([
      'tend.yaml:4:18: services.b.depends_on[0]: unknown service "a" (did you mean "c"?)',
    ]);
  });

  test('several errors at once, across services and settings, sorted by line', () => {
    const lines = errorsOf(
      yaml(
        'services:',
        '  web:',
        '    command: [node, server.js]',
        '    restart: alway',
        '    depends_on: [dbb]',
        '  db:',
        '    command: postgres',
        '    stop_signal: NOPE',
        '    limits: { memory: lots }',
        'settings:',
        '  exit_with: nobody',
      ),
    );
    expect(lines).toEqual([
      'tend.yaml:4:14: services.web.restart: expected one of always, on-failure, never; got "alway" (did you mean "always"?)',
      'tend.yaml:5:18: services.web.depends_on[0]: unknown service "dbb" (did you mean "db"?)',
      'tend.yaml:8:18: services.db.stop_signal: expected a signal name like SIGTERM; got "NOPE"',
      'tend.yaml:9:23: services.db.limits.memory: expected a size like 512K, 10M, 1G or a number of bytes; got "lots"',
      'tend.yaml:11:14: settings.exit_with: unknown service "nobody"',
    ]);
  });

  test('the ConfigError carries structured problems', () => {
    try {
      parseSpec(web('restart: alway'), 'tend.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toEqual([
        {
          file: 'tend.yaml',
          line: 4,
          col: 14,
          path: 'services.web.restart',
          message: 'expected one of always, on-failure, never; got "alway" (did you mean "always"?)',
        },
      ]);
    }
  });
});

describe('variableAt: an unquoted ${...} where yaml reports a syntax error, and the value quoted', () => {
  const at = (line: string, text: string, nth = 0): number => {
    let i = -1;
    for (let k = 0; k <= nth; k++) i = line.indexOf(text, i + 1);
    return i + 1; // yaml's columns are 1-based
  };
  test.each<[string, string, number, { at: number; fix: string } | undefined]>([
    // the report: on the `{`, the `$`, inside, on the closing `}`; not past it
    ['    env: { A: ${NOPE} }', '{N', 0, { at: 14, fix: 'A: "${NOPE}"' }],
    ['    env: { A: ${NOPE} }', '$', 0, { at: 14, fix: 'A: "${NOPE}"' }],
    ['    env: { A: ${NOPE} }', 'O', 0, { at: 14, fix: 'A: "${NOPE}"' }],
    ['    env: { A: ${NOPE} }', '} }', 0, { at: 14, fix: 'A: "${NOPE}"' }],
    ['    env: { A: ${NOPE} }', ' }', 0, undefined],
    ['    env: { A: ${NOPE} }', 'A', 0, undefined],
    ['    env: { A: ${NOPE} }', 'env', 0, undefined],
    // quoted ones are not the fault; a quote inside a plain value does not quote it
    ['    env: { A: "${X}", B: ${Y} }', '{X', 0, undefined],
    ['    env: { A: "${X}", B: ${Y} }', '{Y', 0, { at: 25, fix: 'B: "${Y}"' }],
    ["    env: { A: 'it''s ${X}', B: ${Y} }", '{X', 0, undefined],
    ["    env: { A: 'it''s ${X}', B: ${Y} }", '{Y', 0, { at: 31, fix: 'B: "${Y}"' }],
    ['    env: { A: "a\\"${X}", B: ${Y} }', '{Y', 0, { at: 28, fix: 'B: "${Y}"' }],
    ['    env: { A: a"b${H} }', '{H', 0, { at: 17, fix: `A: 'a"b\${H}'` }],
    // the whole plain value, up to the flow's `,`, `]` or `}`
    ['    env: { URL: http://${HOST}:80/x, B: 1 }', '{H', 0, { at: 23, fix: 'URL: "http://${HOST}:80/x"' }],
    ['    command: [echo, ${MSG}]', '{', 0, { at: 20, fix: '"${MSG}"' }],
    ['    command: [echo, --url=${URL}/health, x]', '{', 0, { at: 26, fix: '"--url=${URL}/health"' }],
    ['    command: [echo, x${Y}z]', '{', 0, { at: 21, fix: '"x${Y}z"' }],
    ['      A: ${NOPE},', '{', 0, { at: 9, fix: 'A: "${NOPE}"' }],
    ['services: {web: {command: x, env: {A: ${NOPE}}}}', '{N', 0, { at: 38, fix: 'A: "${NOPE}"' }],
    // a nested default: the outer variable, whole, whichever `{` the error is at
    ['    env: { A: ${X:-${Y}} }', '{X', 0, { at: 14, fix: 'A: "${X:-${Y}}"' }],
    ['    env: { A: ${X:-${Y}} }', '{Y', 0, { at: 14, fix: 'A: "${X:-${Y}}"' }],
    // a backslash or a double quote in the value: single quotes, where nothing is an escape
    ['    env: { P: C:\\dir\\${X} }', '{', 1, { at: 21, fix: "P: 'C:\\dir\\${X}'" }],
    ['    env: { A: a"b\'${X} }', '{', 1, { at: 18, fix: `A: 'a"b''\${X}'` }],
    // `$$` is a literal `$`: the `{` after it still opens a mapping
    ['    env: { A: $${X} }', '{X', 0, { at: 15, fix: 'A: "$${X}"' }],
    // a comment is not YAML; a value with a trailing comment ends before it
    ['    env: { A: 1 } # ${X}', '{X', 0, undefined],
    ['    env: { A: ${NOPE} # c', '{N', 0, { at: 14, fix: 'A: "${NOPE}"' }],
    ['', '', 0, undefined],
    ['    env: { A: ${NOPE} }', '', -1, undefined],
  ])('%j at %j', (line, text, nth, want) => {
    expect(variableAt(line, nth < 0 ? 0 : at(line, text, nth))).toEqual(want);
  });

  test('the line it gives reads as meant', () => {
    for (const [bad, key, value] of [
      ['    env: { A: ${NOPE:-x}/y, B: "2" }', 'A', 'x/y'],
      ['    env: { P: C:\\d\\${NOPE:-x} }', 'P', 'C:\\d\\x'],
      ['    env: { Q: a"b${NOPE:-x} }', 'Q', 'a"bx'],
    ] as const) {
      const [line] = errorsOf(web(bad.trim()));
      const fix = /hint: quote it: (.*) \(in \{ \}/.exec(line!)![1]!;
      const good = bad.replace(/(\w+): (\S*\$\{NOPE:-x\}\S*?)(?=,| \})/, fix);
      expect(good, bad).not.toBe(bad);
      expect(parseSpec(web(good.trim()), '/x/tend.yaml').services[0]!.env[key], good).toBe(value);
    }
  });
});
