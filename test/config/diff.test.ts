import { describe, expect, test } from 'vitest';
import { changedFields, diffSpecs, expandInstances, parseSpec, processHash } from '../../src/config/index.js';
import { inPlaceFields } from '../../src/config/diff.js';
import type { InstanceSpec, Spec } from '../../src/core/types.js';
import { tmpDir, yaml } from './helpers.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

const spec = (...lines: string[]): Spec => parseSpec(yaml(...lines), '/srv/app/tend.yaml');
const one = (...serviceLines: string[]): InstanceSpec =>
  expandInstances(spec('services:', '  web:', ...serviceLines.map((l) => `    ${l}`)))[0]!;

describe('expandInstances', () => {
  test('replicas 1 keeps the name; replicas N gives NAME.1..NAME.N, in file order', () => {
    const s = spec('services:', '  db: { command: x }', '  web: { command: y, replicas: 3 }', '  q: { command: z, replicas: 1 }');
    const inst = expandInstances(s);
    expect(inst.map((i) => [i.id, i.service, i.replica])).toEqual([
      ['db', 'db', undefined],
      ['web.1', 'web', 1],
      ['web.2', 'web', 2],
      ['web.3', 'web', 3],
      ['q', 'q', undefined],
    ]);
    expect('replica' in inst[0]!).toBe(false);
    expect(inst[1]!.spec).toBe(s.services[1]);
  });
});

describe('processHash', () => {
  test('stable: equal for equal specs, whatever the key order of env or limits', () => {
    const a = one('command: x', 'env: { A: "1", B: "2" }', 'limits: { memory: 1M, pids: 5 }');
    const b = one('command: x', 'env: { B: "2", A: "1" }', 'limits: { pids: 5, memory: 1M }');
    expect(processHash(a)).toMatch(/^[0-9a-f]{40}$/);
    expect(processHash(a)).toBe(processHash(b));
  });

  test.each([
    ['command', 'command: y'],
    ['command as argv', 'command: [x]'],
    ['env', 'env: { A: "2" }'],
    ['cwd', 'cwd: /tmp'],
    ['user', 'user: nobody'],
    ['group', 'group: 5'],
    ['umask', 'umask: "077"'],
    ['tty', 'tty: true'],
    ['limits', 'limits: { cpu: 1 }'],
    ['type', 'type: oneshot'],
  ])('changes with %s', (_, line) => {
    const base = one('command: x', 'env: { A: "1" }');
    const lines = ['command: x', 'env: { A: "1" }'].filter((l) => l.split(':')[0] !== line.split(':')[0]);
    expect(processHash(one(...lines, line))).not.toBe(processHash(base));
  });

  test.each([
    ['stop_signal', 'stop_signal: INT'],
    ['stop_timeout', 'stop_timeout: 1s'],
    ['start_timeout', 'start_timeout: 1s'],
    ['restart', 'restart: always'],
    ['readiness', 'readiness: { tcp: "h:1" }'],
    ['depends_on', 'depends_on: []'],
    ['logs', 'logs: { keep: 1 }'],
    ['autostart', 'autostart: false'],
    ['backoff', 'backoff: { factor: 3 }'],
  ])('does not change with %s', (_, line) => {
    expect(processHash(one('command: x', line))).toBe(processHash(one('command: x')));
  });

  test('differs between replicas of one service', () => {
    const [a, b] = expandInstances(spec('services:', '  web: { command: x, replicas: 2 }'));
    expect(processHash(a!)).not.toBe(processHash(b!));
  });

  test('env_file content counts (it is merged into env)', () => {
    const dir = tmpDir({ '.env': 'PORT=1\n' });
    const file = join(dir, 'tend.yaml');
    const text = yaml('services:', '  web: { command: x, env_file: .env }');
    const before = expandInstances(parseSpec(text, file))[0]!;
    writeFileSync(join(dir, '.env'), 'PORT=2\n');
    const after = expandInstances(parseSpec(text, file))[0]!;
    expect(processHash(after)).not.toBe(processHash(before));
    expect(changedFields(before, after)).toEqual(['env.PORT']);
  });
});

describe('changedFields', () => {
  test('names each differing field, env and limits per key', () => {
    const a = one('command: x', 'env: { PORT: "1", KEEP: k, GONE: g }', 'limits: { memory: 1M }', 'tty: false');
    const b = one(
      'command: y',
      'env: { PORT: "2", KEEP: k, NEW: n }',
      'limits: { memory: 2M, pids: 3 }',
      'tty: true',
      'stop_signal: INT',
    );
    expect(changedFields(a, b)).toEqual(['command', 'env.GONE', 'env.NEW', 'env.PORT', 'tty', 'limits.memory', 'limits.pids']);
  });

  test('nothing for equal process fields', () => {
    expect(changedFields(one('command: x'), one('command: x', 'restart: never'))).toEqual([]);
  });
});

describe('diffSpecs', () => {
  const old = spec(
    'services:',
    '  db: { command: postgres }',
    '  web: { command: node, replicas: 2 }',
    '  cache: { command: redis }',
    '  job: { command: job, type: oneshot }',
  );

  test('identical specs: everything unchanged', () => {
    expect(diffSpecs(old, old)).toEqual({
      added: [],
      removed: [],
      changed: [],
      inPlace: [],
      unchanged: ['db', 'web.1', 'web.2', 'cache', 'job'],
    });
  });

  test('added, removed, changed, in place, unchanged', () => {
    const next = spec(
      'services:',
      '  db: { command: postgres, env: { PGPORT: "1" } }',
      '  web: { command: node, replicas: 3, restart: always }',
      '  job: { command: job, type: oneshot }',
      '  api: { command: api }',
    );
    expect(diffSpecs(old, next)).toEqual({
      added: ['web.3', 'api'],
      removed: ['cache'],
      changed: [{ id: 'db', fields: ['env.PGPORT'] }],
      inPlace: ['web.1', 'web.2'],
      unchanged: ['job'],
    });
  });

  test('a replica count change alone leaves the kept replicas unchanged', () => {
    const next = spec(
      'services:',
      '  db: { command: postgres }',
      '  web: { command: node, replicas: 1 }',
      '  cache: { command: redis }',
      '  job: { command: job, type: oneshot }',
    );
    expect(diffSpecs(old, next)).toEqual({
      added: ['web'],
      removed: ['web.1', 'web.2'],
      changed: [],
      inPlace: [],
      unchanged: ['db', 'cache', 'job'],
    });
  });

  test('stop_signal, probes and dependencies change in place', () => {
    const next = spec(
      'services:',
      '  db: { command: postgres, stop_signal: INT }',
      '  web: { command: node, replicas: 2, readiness: { tcp: "h:1" } }',
      '  cache: { command: redis, depends_on: [db] }',
      '  job: { command: job, type: oneshot }',
    );
    const d = diffSpecs(old, next);
    expect(d.inPlace).toEqual(['db', 'web.1', 'web.2', 'cache']);
    expect(d.changed).toEqual([]);
    expect(d.unchanged).toEqual(['job']);
  });

  test('start_timeout changes in place, named as in the file', () => {
    const a = one('command: x', 'readiness: { tcp: "h:1" }');
    const b = one('command: x', 'readiness: { tcp: "h:1" }', 'start_timeout: 30s');
    expect(inPlaceFields(a.spec, b.spec)).toEqual(['start_timeout']);
    expect(inPlaceFields(b.spec, one('command: x', 'readiness: { tcp: "h:1" }', 'start_timeout: 1m').spec)).toEqual([
      'start_timeout',
    ]);
    expect(changedFields(a, b)).toEqual([]);
  });

  test("a schedule's change is named by the keys of the file, and a key left out reads as its default", () => {
    const task = (...lines: string[]) => one('command: x', 'type: oneshot', ...lines).spec;
    const every3 = task('every: 3s');
    expect(inPlaceFields(every3, task('every: 4s'))).toEqual(['every']);
    expect(inPlaceFields(task('schedule: "0 3 * * *"'), task('schedule: "0 4 * * *"'))).toEqual(['schedule']);
    expect(inPlaceFields(task('schedule: "0 3 * * *"'), task('schedule: "0 3 * * *"', 'timezone: UTC'))).toEqual(['timezone']);
    expect(inPlaceFields(every3, task('schedule: "0 3 * * *"'))).toEqual(['every', 'schedule']);
    // removing every: overlap and catch_up were their defaults and still are
    expect(inPlaceFields(every3, task())).toEqual(['every']);
    expect(inPlaceFields(every3, task('every: 3s', 'overlap: queue'))).toEqual(['overlap']);
  });
});
