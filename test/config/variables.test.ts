// ${VAR} in config values (config/variables.ts, config/source.ts): the compose syntax, where the
// values come from (tend's environment, then .env beside the config), which values are read,
// located errors, and that a reload reads them the same way, incremental or full.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dotEnvPath, substitute, type Lookup } from '../../src/config/variables.js';
import { lastParse, parseSpec } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { tmpDir, yaml } from './helpers.js';

const vars: Record<string, string> = { A: 'a', EMPTY: '', PORT: '8080', B: 'b' };
const lookup: Lookup = (n) => (Object.hasOwn(vars, n) ? vars[n] : undefined);
const sub = (s: string) => {
  const r = substitute(s, lookup);
  return 'value' in r ? r.value : `ERROR at ${r.error.at} ${JSON.stringify(r.error.text)}: ${r.error.message}`;
};

describe('substitute: the compose syntax', () => {
  it.each([
    ['no variable', 'plain text', 'plain text'],
    ['${VAR}', 'x=${A}!', 'x=a!'],
    ['${VAR} set but empty', '[${EMPTY}]', '[]'],
    ['$$ is a literal $', 'cost $$5 and $${A}', 'cost $5 and ${A}'],
    ['a bare $VAR stays as written', 'echo $HOME $1 $! $', 'echo $HOME $1 $! $'],
    [':- when unset', '${NOPE:-def}', 'def'],
    [':- when empty', '${EMPTY:-def}', 'def'],
    [':- when set', '${A:-def}', 'a'],
    ['- when unset', '${NOPE-def}', 'def'],
    ['- when empty keeps the empty value', '[${EMPTY-def}]', '[]'],
    ['an empty default', '[${NOPE:-}]', '[]'],
    ['a default with spaces and colons', '${NOPE:-http://x:1/a b}', 'http://x:1/a b'],
    ['a nested default', '${NOPE:-${A}-${NOPE2:-z}}', 'a-z'],
    ['a default that is not used is not looked into', '${A:-${NOPE}}', 'a'],
    [':? when set', '${A:?needed}', 'a'],
    ['? when empty is fine', '[${EMPTY?needed}]', '[]'],
    [':+ when set', '${A:+yes}', 'yes'],
    [':+ when empty', '[${EMPTY:+yes}]', '[]'],
    ['+ when empty', '${EMPTY+yes}', 'yes'],
    ['+ when unset', '[${NOPE+yes}]', '[]'],
    ['several in one value', '${A}${B}:${PORT}', 'ab:8080'],
  ])('%s', (_what, input, want) => {
    expect(sub(input)).toBe(want);
  });

  it.each([
    [
      'an unset ${VAR}',
      'x ${NOPE} y',
      'ERROR at 2 "${NOPE}": variable NOPE is not set: set it in tend\'s environment or in .env beside the config, give a default (${NOPE:-value}), or write $${NOPE} to leave it to the service\'s shell',
    ],
    [
      ':? when unset',
      '${NOPE:?set NOPE to the url}',
      'ERROR at 0 "${NOPE:?set NOPE to the url}": required variable NOPE is not set: set NOPE to the url',
    ],
    [':? when empty', '${EMPTY:?give it}', 'ERROR at 0 "${EMPTY:?give it}": required variable EMPTY is empty: give it'],
    ['? without a message', '${NOPE?}', 'ERROR at 0 "${NOPE?}": required variable NOPE is not set'],
    [
      'an unset variable in a used default',
      '${NOPE:-${GONE}}',
      'ERROR at 8 "${GONE}": variable GONE is not set: set it in tend\'s environment or in .env beside the config, give a default (${GONE:-value}), or write $${GONE} to leave it to the service\'s shell',
    ],
    [
      'no name',
      'a ${} b',
      'ERROR at 2 "${}": invalid variable reference "${}": expected a name like FOO_1 after "${" (write $$ for a literal $)',
    ],
    [
      'a bad name',
      '${1X}',
      'ERROR at 0 "${1X}": invalid variable reference "${1X}": expected a name like FOO_1 after "${" (write $$ for a literal $)',
    ],
    [
      'a bad operator',
      '${A/x}',
      'ERROR at 0 "${A/x}": invalid variable reference "${A/x}": expected }, :-, -, :?, ?, :+ or + after the name',
    ],
    [
      'no closing brace',
      'x ${A',
      'ERROR at 2 "${A": invalid variable reference "${A": expected }, :-, -, :?, ?, :+ or + after the name',
    ],
    [
      'no closing brace after a default',
      'x ${A:-b',
      'ERROR at 2 "${A:-b": unterminated variable reference "${A:-b": no closing "}"',
    ],
  ])('%s is an error', (_what, input, want) => {
    expect(sub(input)).toBe(want);
  });

  it('tells which variables it looked up and what they gave (the reload cache depends on it)', () => {
    const seen: [string, string | undefined][] = [];
    substitute('${A} ${NOPE:-x} ${B:+y} $$', lookup, (n, v) => seen.push([n, v]));
    expect(seen).toEqual([
      ['A', 'a'],
      ['NOPE', undefined],
      ['B', 'b'],
    ]);
  });
});

/** The spec parsed from `text` as dir/tend.yaml, in full (no reload cache). */
function parsed(dir: string, text: string, env: NodeJS.ProcessEnv = {}) {
  return parseSpec(text, join(dir, 'tend.yaml'), { env, incremental: false });
}

/** The ConfigError lines of parsing `text` as dir/tend.yaml. */
function errors(dir: string, text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseSpec(text, join(dir, 'tend.yaml'), { env, incremental: false });
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split('\n');
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('variables in a config file', () => {
  it('come from the environment, then .env beside the config; the environment wins', () => {
    const dir = tmpDir({ '.env': 'HOST=from-dotenv\nPORT=7000\n# a comment\nexport NAME=api\n' });
    const spec = parsed(
      dir,
      yaml('services:', '  web:', '    command: [serve, "--host=${HOST}", "--port=${PORT}"]', '    env: { NAME: "${NAME}" }'),
      { PORT: '9000' },
    );
    expect(spec.services[0]!.command).toEqual(['serve', '--host=from-dotenv', '--port=9000']);
    expect(spec.services[0]!.env).toEqual({ NAME: 'api' });
  });

  it("read tend's own process.env by default", () => {
    const dir = tmpDir();
    process.env.TEND_TEST_VARIABLE = 'seen';
    try {
      const spec = parseSpec(yaml('services:', '  web:', '    command: echo ${TEND_TEST_VARIABLE}'), join(dir, 'tend.yaml'), {
        incremental: false,
      });
      expect(spec.services[0]!.command).toBe('echo seen');
    } finally {
      delete process.env.TEND_TEST_VARIABLE;
    }
  });

  it('apply to every string value, settings too, and to no key: service names and env names stay as written', () => {
    const dir = tmpDir({ '.env': 'D=data\nS=run/t.sock\nSIG=INT\nT=3s\n' });
    const spec = parsed(
      dir,
      yaml(
        'settings:',
        '  socket: ${S}',
        '  log_dir: ${D}/logs',
        'services:',
        '  web:',
        '    command: x',
        '    cwd: ${D}',
        '    stop_signal: ${SIG}',
        '    stop_timeout: ${T}',
        '    env:',
        '      ${D}: v',
        '      $${D}: ${D}',
        '    readiness: { http: "http://127.0.0.1:${P:-80}/health" }',
      ),
    );
    expect(spec.settings.socket).toBe(join(dir, 'run/t.sock'));
    expect(spec.settings.logDir).toBe(join(dir, 'data/logs'));
    const web = spec.services[0]!;
    expect([web.cwd, web.stopSignal, web.stopTimeout]).toEqual([join(dir, 'data'), 'SIGINT', 3000]);
    expect(web.env).toEqual({ '${D}': 'v', '$${D}': 'data' });
    // (inside a flow mapping { } a ${...} must be quoted: the braces are YAML's own there)
    expect(web.readiness!.check).toEqual({ kind: 'http', url: 'http://127.0.0.1:80/health' });
  });

  it('$$ gives the service a literal $ (in env and in a shell command)', () => {
    const dir = tmpDir();
    const spec = parsed(
      dir,
      yaml('services:', '  web:', '    command: echo $$PPID $$$$ ${X:-$$}', '    env: { PRICE: "$$5", REF: "$${HOME}" }'),
    );
    expect(spec.services[0]!.command).toBe('echo $PPID $$ $');
    expect(spec.services[0]!.env).toEqual({ PRICE: '$5', REF: '${HOME}' });
  });

  it('an unquoted value that reads as a number or a boolean becomes one; quoted it stays a string', () => {
    const text = yaml(
      'services:',
      '  web:',
      '    command: x',
      '    replicas: ${N}',
      '    tty: ${YES}',
      '    umask: ${MASK}',
      '    env:',
      '      PORT: ${PORT}',
      '      N: ${N}',
    );
    const dir = tmpDir({ '.env': 'N=3\nYES=true\nMASK=022\nPORT=08\n' });
    const web = parsed(dir, text).services[0]!;
    expect([web.replicas, web.tty, web.umask]).toEqual([3, true, 0o22]);
    expect(web.env).toEqual({ PORT: '08', N: '3' });
    expect(errors(dir, yaml('services:', '  web:', '    command: x', '    replicas: "${N}"'))).toEqual([
      `${join(dir, 'tend.yaml')}:4:15: services.web.replicas: expected an integer >= 1; got "3"`,
    ]);
  });

  it('a umask given as decimal digits is still read as octal', () => {
    const dir = tmpDir({ '.env': 'MASK=27\n' });
    const spec = parsed(dir, yaml('services:', '  web:', '    command: x', '    umask: ${MASK}'));
    expect(spec.services[0]!.umask).toBe(0o27);
  });

  it('errors are located at the reference, file:line:col, all of them at once', () => {
    const dir = tmpDir();
    const f = join(dir, 'tend.yaml');
    expect(
      errors(
        dir,
        yaml(
          'services:',
          '  web:',
          '    command: ./run --db ${DB_URL}',
          '    env:',
          '      TOKEN: "${TOKEN:?ask the ops team}"',
          '      BAD: "x ${1}"',
          '  job:',
          '    command: [a, "${A}"]',
        ),
      ),
    ).toEqual([
      `${f}:3:25: services.web.command: variable DB_URL is not set: set it in tend's environment or in .env beside the config, give a default (\${DB_URL:-value}), or write $\${DB_URL} to leave it to the service's shell`,
      `${f}:5:15: services.web.env.TOKEN: required variable TOKEN is not set: ask the ops team`,
      `${f}:6:15: services.web.env.BAD: invalid variable reference "\${1}": expected a name like FOO_1 after "\${" (write $$ for a literal $)`,
      `${f}:8:19: services.job.command[1]: variable A is not set: set it in tend's environment or in .env beside the config, give a default (\${A:-value}), or write $\${A} to leave it to the service's shell`,
    ]);
  });

  it('an unset variable does not hide the other problems of the file; its value is not checked again', () => {
    const dir = tmpDir();
    const f = join(dir, 'tend.yaml');
    expect(
      errors(
        dir,
        yaml('services:', '  web:', '    command: x', '    replicas: ${N}', '    restart: alway', '  job:', '    comand: y'),
      ),
    ).toEqual([
      `${f}:4:15: services.web.replicas: variable N is not set: set it in tend's environment or in .env beside the config, give a default (\${N:-value}), or write $\${N} to leave it to the service's shell`,
      `${f}:5:14: services.web.restart: expected one of always, on-failure, never; got "alway" (did you mean "always"?)`,
      `${f}:6:3: services.job.command: expected a command string or a list of arguments; got nothing`,
      `${f}:7:5: services.job.comand: unknown key "comand" (did you mean "command"?)`,
    ]);
  });

  it('a block scalar: the error points at the reference inside it', () => {
    const dir = tmpDir();
    expect(errors(dir, yaml('services:', '  web:', '    command: |', '      echo start', '      exec ./app ${NOPE}'))[0]).toMatch(
      /tend\.yaml:5:18: services\.web\.command: variable NOPE is not set/,
    );
  });

  it('env_file values are not variables of the config, and .env is not given to services', () => {
    const dir = tmpDir({ 'app.env': 'X=1\n', '.env': 'Y=2\n' });
    const spec = parsed(dir, yaml('services:', '  web:', '    command: echo ${Y} ${X:-none}', '    env_file: app.env'));
    expect(spec.services[0]!.command).toBe('echo 2 none');
    expect(spec.services[0]!.env).toEqual({ X: '1' });
  });

  it('a bad .env is reported where its line is, when the config uses variables', () => {
    const dir = tmpDir({ '.env': 'GOOD=1\nnot a pair\n' });
    const text = yaml('services:', '  web:', '    command: echo ${GOOD}');
    expect(errors(dir, text)).toEqual([`${join(dir, '.env')}:2:1: expected KEY=VALUE; got "not a pair"`]);
    // a config without ${...} does not read .env at all (it may be an app's own, in another syntax)
    expect(parsed(dir, yaml('services:', '  web:', '    command: echo $$')).services[0]!.command).toBe('echo $');
  });

  it('.env is the file beside the config (what the daemon must watch)', () => {
    expect(dotEnvPath('/srv/app/tend.yaml')).toBe('/srv/app/.env');
  });

  it('names such as constructor or __proto__ are variables like any other', () => {
    const dir = tmpDir({ '.env': '__proto__=p\n' });
    const spec = parsed(dir, yaml('services:', '  web:', '    command: echo ${__proto__} ${constructor:-c} ${toString:-t}'));
    expect(spec.services[0]!.command).toBe('echo p c t');
  });
});

describe('variables on reload', () => {
  const BASE = yaml(
    'settings:',
    '  shutdown_timeout: ${STOP:-5s}',
    'services:',
    '  db:',
    '    command: [db, "--port=${DB_PORT}"]',
    '  web:',
    '    command: node web.js',
    '    env: { DB: "127.0.0.1:${DB_PORT}" }',
    '  job:',
    '    command: echo $$ ${GREETING:-hi}',
  );

  it('an edit of another service: incremental, and the same as the full parse', () => {
    const dir = tmpDir({ '.env': 'DB_PORT=5432\n' });
    const file = join(dir, 'tend.yaml');
    parseSpec(BASE, file, { incremental: false, env: {} });
    const next = BASE.replace('node web.js', 'node web2.js');
    const fast = parseSpec(next, file, { env: {} });
    expect(lastParse.how).toBe('incremental');
    expect(fast).toEqual(parseSpec(next, file, { incremental: false, env: {} }));
    expect(fast.services[0]!.command).toEqual(['db', '--port=5432']);
  });

  it('a change of .env alone reaches every block that uses the variable, and only what changed differs', () => {
    const dir = tmpDir({ '.env': 'DB_PORT=5432\n' });
    const file = join(dir, 'tend.yaml');
    const before = parseSpec(BASE, file, { incremental: false, env: {} });
    writeFileSync(join(dir, '.env'), 'DB_PORT=6543\nGREETING=hello\n');
    const after = parseSpec(BASE, file, { env: {} });
    expect(lastParse.how).toBe('incremental');
    expect(after).toEqual(parseSpec(BASE, file, { incremental: false, env: {} }));
    expect(after.services.map((s) => s.command)).toEqual([['db', '--port=6543'], 'node web.js', 'echo $ hello']);
    expect(after.services[1]!.env).toEqual({ DB: '127.0.0.1:6543' });
    expect(before.services[1]!.env).toEqual({ DB: '127.0.0.1:5432' });
  });

  it('a change of the environment does too (the settings outside services included)', () => {
    const dir = tmpDir({ '.env': 'DB_PORT=5432\n' });
    const file = join(dir, 'tend.yaml');
    parseSpec(BASE, file, { incremental: false, env: {} });
    const after = parseSpec(BASE, file, { env: { DB_PORT: '1', STOP: '9s' } });
    expect(lastParse.how).toBe('incremental');
    expect(after.settings.shutdownTimeout).toBe(9000);
    expect(after.services[0]!.command).toEqual(['db', '--port=1']);
  });

  it('a variable that becomes unset: the full parse reports it, located', () => {
    const dir = tmpDir({ '.env': 'DB_PORT=5432\n' });
    const file = join(dir, 'tend.yaml');
    parseSpec(BASE, file, { incremental: false, env: {} });
    writeFileSync(join(dir, '.env'), '# emptied\n');
    let message = '';
    try {
      parseSpec(BASE, file, { env: {} });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(lastParse.how).toBe('full');
    expect(message.split('\n').map((l) => l.replace(/ is not set.*/, ''))).toEqual([
      `${file}:5:27: services.db.command[1]: variable DB_PORT`,
      `${file}:8:27: services.web.env.DB: variable DB_PORT`,
    ]);
  });
});
