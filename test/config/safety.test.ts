// Adversarial configs (issue #13): NULs, alias cycles, names that are Object.prototype's, and the
// quoting hint for a colon inside an unquoted value. Each is a located config error (or loads
// right), never a crash, and the incremental reload agrees with the full parse.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffSpecs, loadSpec, parseSpec } from '../../src/config/index.js';
import { lastParse } from '../../src/config/load.js';
import type { ConfigError } from '../../src/core/errors.js';
import { errorsOf, tmpDir, yaml } from './helpers.js';

const NUL = 'a NUL character ("\\0") cannot be passed to a process (the value would end at it)';

describe('a NUL in a value is refused, located', () => {
  it.each([
    ['an env value', ['    command: x', '    env: { A: "a\\0b" }'], '4:15: services.web.env.A'],
    ['an env name', ['    command: x', '    env: { "A\\0B": x }'], '4:12: services.web.env.A\u0000B'],
    ['a command string', ['    command: "sleep 1\\0; rm -rf x"'], '3:14: services.web.command'],
    ['an argument', ['    command: [echo, "a\\x00b"]'], '3:21: services.web.command[1]'],
    ['cwd', ['    command: x', '    cwd: "/tmp\\u0000/x"'], '4:10: services.web.cwd'],
    ['a probe command', ['    command: x', '    readiness: { exec: "true\\0" }'], '4:24: services.web.readiness.exec'],
    ['an env_file path', ['    command: x', '    env_file: "a\\0.env"'], '4:15: services.web.env_file'],
  ])('%s', (_what, lines, where) => {
    expect(errorsOf(yaml('services:', '  web:', ...lines))).toEqual([`tend.yaml:${where}: ${NUL}`]);
  });

  it('settings too', () => {
    expect(errorsOf(yaml('settings: { socket: "s\\0" }', 'services: { a: { command: x } }'))).toEqual([
      `tend.yaml:1:21: settings.socket: ${NUL}`,
    ]);
  });

  it('a NUL in an env file is reported at its line', () => {
    const dir = tmpDir({ 'app.env': 'A=1\nB=x\u0000y\n' });
    const file = join(dir, 'tend.yaml');
    expect(() => parseSpec(yaml('services:', '  web:', '    command: x', '    env_file: app.env'), file)).toThrow(
      `${join(dir, 'app.env')}:2:3: services.web.env_file: ${NUL}`,
    );
  });

  it('the incremental reload gives the same error (it hands the file to the full parse)', () => {
    const dir = tmpDir();
    const file = join(dir, 'tend.yaml');
    const good = yaml('services:', '  web:', '    command: x', '  db:', '    command: y');
    parseSpec(good, file, { incremental: false });
    expect(() => parseSpec(good.replace('command: y', 'command: "y\\0"'), file)).toThrow(
      `${file}:5:14: services.db.command: ${NUL}`,
    );
    expect(lastParse.how).toBe('full');
  });
});

describe('an alias inside the value it names', () => {
  it.each([
    ['a list', ['  web:', '    command: &c [sleep, *c]'], '3:25: services.web.command[1]: alias *c'],
    ['a mapping, through a merge key', ['  web: &w', '    command: x', '    <<: *w'], '4:9: services.web.<<: alias *w'],
    ['a deeper one', ['  web:', '    command: x', '    env: &e { A: { B: [*e] } }'], '4:24: services.web.env.A.B[0]: alias *e'],
  ])('%s is a located error, not a crash', (_what, lines, where) => {
    expect(errorsOf(yaml('services:', ...lines))).toEqual([`tend.yaml:${where} is inside the value it names (a cycle)`]);
  });

  it('an alias to a value defined before is fine', () => {
    const spec = parseSpec(yaml('services:', '  a:', '    command: &c [sleep, "1"]', '  b:', '    command: *c'), 't.yaml');
    expect(spec.services.map((s) => s.command)).toEqual([
      ['sleep', '1'],
      ['sleep', '1'],
    ]);
  });
});

describe('names that Object.prototype also has', () => {
  const text = yaml(
    'settings: { exit_with: constructor }',
    'services:',
    '  constructor:',
    '    command: x',
    '    env: { constructor: c, __proto__: p, toString: t, hasOwnProperty: h }',
    '  hasownproperty:',
    '    command: y',
    '    depends_on: [constructor]',
    '  valueof:',
    '    command: z',
    '    depends_on: { constructor: started, hasownproperty: started }',
  );

  it('load as services, env names and dependencies like any other', () => {
    const spec = parseSpec(text, 't.yaml', { incremental: false });
    expect(spec.services.map((s) => s.name)).toEqual(['constructor', 'hasownproperty', 'valueof']);
    expect(spec.settings.exitWith).toBe('constructor');
    const env = spec.services[0]!.env;
    expect(Object.keys(env)).toEqual(['constructor', '__proto__', 'toString', 'hasOwnProperty']);
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
    expect([env.constructor, env.toString, env.hasOwnProperty]).toEqual(['c', 't', 'h']);
    expect(Object.getOwnPropertyDescriptor(env, '__proto__')!.value).toBe('p');
    expect(spec.services[1]!.dependsOn).toEqual({ constructor: 'started' });
    expect(Object.keys(spec.services[2]!.dependsOn)).toEqual(['constructor', 'hasownproperty']);
  });

  it('an env file may set __proto__ too', () => {
    const dir = tmpDir({ 'a.env': '__proto__=p\nconstructor=c\n' });
    const spec = parseSpec(yaml('services:', '  web:', '    command: x', '    env_file: a.env'), join(dir, 't.yaml'));
    expect(Object.keys(spec.services[0]!.env)).toEqual(['__proto__', 'constructor']);
  });

  it('reload: the same incremental or full, and a diff that sees an added or removed "constructor"', () => {
    const dir = tmpDir();
    const file = join(dir, 't.yaml');
    const before = parseSpec(text, file, { incremental: false });
    const edited = text.replace('command: y', 'command: y2');
    const after = parseSpec(edited, file);
    expect(lastParse.how).toBe('incremental');
    expect(after).toEqual(parseSpec(edited, file, { incremental: false }));
    expect(diffSpecs(before, after)).toMatchObject({
      added: [],
      removed: [],
      changed: [{ id: 'hasownproperty', fields: ['command'] }],
    });

    const without = yaml('services:', '  hasownproperty:', '    command: y');
    const plan = diffSpecs(before, parseSpec(without, file));
    expect(plan.removed).toEqual(['constructor', 'valueof']);
    expect(diffSpecs(parseSpec(without, file), before).added).toEqual(['constructor', 'valueof']);
  });

  it('an env gaining a variable named constructor or toString is a change', () => {
    const a = parseSpec(yaml('services:', '  web:', '    command: x'), 't.yaml');
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      const b = parseSpec(yaml('services:', '  web:', '    command: x', `    env: { ${name}: v }`), 't.yaml');
      expect(diffSpecs(a, b).changed, name).toEqual([{ id: 'web', fields: [`env.${name}`] }]);
      expect(diffSpecs(b, a).changed, name).toEqual([{ id: 'web', fields: [`env.${name}`] }]);
    }
  });

  it('an exit_with or a dependency on a name that only Object.prototype has is unknown', () => {
    expect(
      errorsOf(
        yaml('settings: { exit_with: toString }', 'services:', '  web:', '    command: x', '    depends_on: [constructor]'),
      ),
    ).toEqual([
      'tend.yaml:1:24: settings.exit_with: unknown service "toString"',
      'tend.yaml:5:18: services.web.depends_on[0]: unknown service "constructor"',
    ]);
  });

  it('__proto__ as a service name is refused by the name rule, clearly', () => {
    expect(errorsOf(yaml('services:', '  __proto__:', '    command: x', '  web:', '    command: y'))).toEqual([
      'tend.yaml:2:3: services.__proto__: expected a service name matching [a-z0-9][a-z0-9_-]{0,62}; got "__proto__"',
    ]);
  });

  it('a key named constructor inside a service is an unknown key', () => {
    expect(errorsOf(yaml('services:', '  web:', '    command: x', '    constructor: 1'))[0]).toMatch(
      /^tend\.yaml:4:5: services\.web\.constructor: unknown key "constructor"/,
    );
  });
});

describe('a colon and a space inside an unquoted value', () => {
  it('gets the line to write instead, and that line reads as meant', () => {
    const dir = tmpDir();
    const file = join(dir, 'tend.yaml');
    const line = `    command: echo it's "x: y" # a comment`;
    writeFileSync(file, yaml('services:', '  web:', line));
    let message = '';
    try {
      loadSpec(file);
    } catch (e) {
      message = (e as ConfigError).message;
    }
    const fix = `command: 'echo it''s "x: y"'`;
    expect(message).toBe(`${file}:3:14: Nested mappings are not allowed in compact mappings; quote the value: ${fix}`);
    writeFileSync(file, yaml('services:', '  web:', `    ${fix}`));
    expect(loadSpec(file).services[0]!.command).toBe(`echo it's "x: y"`);
  });
});
