// The incremental reload parse (config/blocks.ts + parseIncremental in load.ts): the blocks it
// cuts, when it declines, and that whatever it returns equals the full parse of the same text.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitConfig } from '../../src/config/blocks.js';
import { lastParse, parseSpec } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { tmpDir, yaml } from './helpers.js';

describe('splitConfig', () => {
  it('cuts the services section into one block per service, comments and blank lines kept', () => {
    const text = yaml(
      '# top comment',
      'settings:',
      '  echo: false',
      'services:',
      '  web:',
      '    command: node web.js',
      '',
      '    # a comment inside web',
      '    env: { PORT: "8080" }',
      '  db:',
      '    command: |',
      '      multi line',
      '',
      '      script',
      'version: 1',
    );
    const s = splitConfig(text)!;
    expect(s.blocks.map((b) => b.name)).toEqual(['web', 'db']);
    expect(s.blocks[0]!.text).toBe('  web:\n    command: node web.js\n\n    # a comment inside web\n    env: { PORT: "8080" }');
    expect(s.blocks[1]!.text).toBe('  db:\n    command: |\n      multi line\n\n      script');
    expect(s.outside).toContain('settings:\n  echo: false');
    expect(s.outside).toContain('version: 1');
    expect(s.outside).not.toContain('web');
  });

  it.each([
    ['an anchor', 'services:\n  a: &x\n    command: x\n'],
    ['an alias', 'services:\n  a:\n    command: x\n  b: *x\n'],
    ['a merge key', 'services:\n  a:\n    <<: {command: x}\n'],
    ['a tag', 'services:\n  a:\n    command: !!str x\n'],
    ['a tab', 'services:\n  a:\n\tcommand: x\n'],
    ['a document marker', '---\nservices:\n  a:\n    command: x\n'],
    ['a directive', '%YAML 1.2\n---\nservices:\n  a:\n    command: x\n'],
    ['flow services', 'services: {a: {command: x}}\n'],
    ['an inline service', 'services:\n  a: {command: x}\n'],
    ['a duplicate service', 'services:\n  a:\n    command: x\n  a:\n    command: y\n'],
    ['two services keys', 'services:\n  a:\n    command: x\nservices:\n  b:\n    command: y\n'],
    ['an outdented line', 'services:\n    a:\n      command: x\n  b:\n    command: y\n'],
    ['a quoted name', 'services:\n  "a":\n    command: x\n'],
    ['CRLF line ends', 'services:\r\n  a:\r\n    command: x\r\n'],
    ['no services', 'settings:\n  echo: false\n'],
    ['a glob (could be an alias: declined, to be safe)', 'services:\n  a:\n    command: ls *.log\n'],
  ])('declines %s', (_what, text) => {
    expect(splitConfig(text)).toBeUndefined();
  });

  it('takes shell && and || (not anchors) and a # inside a value', () => {
    const s = splitConfig('services:\n  a:\n    command: make && ./run || exit 1 # built\n');
    expect(s?.blocks.map((b) => b.name)).toEqual(['a']);
  });
});

/** Parses `next` after `prev` was the last good parse: returns the incremental result and the full one. */
function both(dir: string, prev: string, next: string) {
  const file = join(dir, 'tend.yaml');
  parseSpec(prev, file, { incremental: false });
  const fast = parseSpec(next, file);
  const how = lastParse.how;
  const full = parseSpec(next, file, { incremental: false });
  return { fast, full, how };
}

const BASE = yaml(
  'settings:',
  '  shutdown_timeout: 5s',
  'services:',
  '  db:',
  '    command: [sleep, "1000"]',
  '    umask: 022',
  '    env_file: db.env',
  '    readiness: { tcp: "127.0.0.1:5432" }',
  '  web:',
  '    command: node web.js',
  '    depends_on: { db: healthy }',
  '    env: { PORT: "8080" }',
  '    replicas: 2',
  '    limits: { nofile: 4096 }',
  '  job:',
  '    type: oneshot',
  '    command: echo done',
);

describe('parseSpec incremental', () => {
  const edits: Array<[string, (t: string) => string]> = [
    ['nothing', (t) => t],
    ['one command', (t) => t.replace('node web.js', 'node web2.js')],
    ['a umask written as octal', (t) => t.replace('    command: echo done', '    command: echo done\n    umask: 027')],
    ['a service added', (t) => `${t}  extra:\n    command: sleep 5\n`],
    ['a service removed', (t) => t.replace(/ {2}job:\n {4}type: oneshot\n {4}command: echo done\n/, '')],
    ['services reordered', (t) => t.replace(/( {2}db:[\s\S]*?)( {2}web:[\s\S]*?)( {2}job:)/, '$2$1$3')],
    ['a setting', (t) => t.replace('5s', '7s')],
    ['a comment and blank lines', (t) => t.replace('  web:\n', '\n  # the web tier\n  web:\n')],
    ['replicas', (t) => t.replace('replicas: 2', 'replicas: 3')],
    ['a probe', (t) => t.replace('127.0.0.1:5432', '127.0.0.1:5433')],
  ];
  it.each(edits)('equals the full parse after: %s', (_what, edit) => {
    const dir = tmpDir({ 'db.env': 'A=1\nB=2\n' });
    const { fast, full, how } = both(dir, BASE, edit(BASE));
    expect(how).toBe('incremental');
    expect(fast).toEqual(full);
  });

  it('reads env files again even when no block changed', () => {
    const dir = tmpDir({ 'db.env': 'A=1\n' });
    const file = join(dir, 'tend.yaml');
    parseSpec(BASE, file, { incremental: false });
    writeFileSync(join(dir, 'db.env'), 'A=2\n');
    const again = parseSpec(BASE, file);
    expect(lastParse.how).toBe('incremental');
    expect(again.services.find((s) => s.name === 'db')!.env).toMatchObject({ A: '2' });
  });

  it('a broken edit gets the full parse: the same file:line:col as without the cache', () => {
    const dir = tmpDir({ 'db.env': 'A=1\n' });
    const file = join(dir, 'tend.yaml');
    const bad = BASE.replace('replicas: 2', 'replicas: many').replace('command: echo done', 'comand: echo done');
    const messages = (incremental: boolean): string => {
      parseSpec(BASE, file, { incremental: false });
      try {
        parseSpec(bad, file, { incremental });
      } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
      }
      throw new Error('expected a ConfigError');
    };
    const withCache = messages(true);
    expect(lastParse.how).toBe('full');
    expect(withCache).toBe(messages(false));
    expect(withCache).toMatch(/tend\.yaml:13:15: services\.web\.replicas: /);
    expect(withCache).toMatch(/tend\.yaml:17:5: services\.job\.comand: unknown key "comand" \(did you mean "command"\?\)/);
  });

  it('a file with anchors is parsed whole, and right', () => {
    const dir = tmpDir({ 'db.env': 'A=1\n' });
    const anchored = yaml(
      'services:',
      '  a: &c',
      '    command: sleep 1',
      '    restart: always',
      '  b:',
      '    <<: *c',
      '    env: { B: "1" }',
    );
    const { fast, full, how } = both(dir, BASE, anchored);
    expect(how).toBe('full');
    expect(fast).toEqual(full);
  });

  it('the examples parse the same both ways after a no-op reload', () => {
    for (const name of ['basic.yaml', 'restarts.yaml', 'stack.yaml']) {
      const path = join(import.meta.dirname, '../../examples', name);
      const text = readFileSync(path, 'utf8');
      parseSpec(text, path, { incremental: false });
      const fast = parseSpec(text, path);
      expect([name, fast]).toEqual([name, parseSpec(text, path, { incremental: false })]);
    }
  });
});
