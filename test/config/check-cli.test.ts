// `tend check` end to end (the built dist/tend.cjs): what the loader's new checks look like where
// the user sees them, exit code 2 with file:line:col, and exit 0 for what is now accepted.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir, yaml } from './helpers.js';

const TEND = join(import.meta.dirname, '../../dist/tend.cjs');

/** Runs `tend check -c dir/tend.yaml` with `env` added to a bare environment. */
function check(
  files: Record<string, string>,
  env: Record<string, string> = {},
): { status: number | null; out: string; err: string; file: string } {
  const dir = tmpDir(files);
  const file = join(dir, 'tend.yaml');
  const r = spawnSync(process.execPath, [TEND, 'check', '-c', file], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout, err: r.stderr, file };
}

describe('tend check', () => {
  it('reads variables from its environment and from .env beside the config', () => {
    const r = check(
      {
        'tend.yaml': yaml('services:', '  web:', '    command: [node, "${APP}", "--port=${PORT:-80}"]', '    replicas: ${N}'),
        '.env': 'APP=web.js\nN=2\n',
      },
      { N: '3' },
    );
    expect([r.status, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/: ok \(1 services?, 3 instances\)\n$/);
  });

  it('an unset variable: exit 2, located', () => {
    const r = check({
      'tend.yaml': yaml('services:', '  web:', '    command: ./app --db ${DB_URL:?set DB_URL to the database url}'),
    });
    expect([r.status, r.out, r.err]).toEqual([
      2,
      '',
      `${r.file}:3:25: services.web.command: required variable DB_URL is not set: set DB_URL to the database url\n`,
    ]);
  });

  it('a self-referencing alias: exit 2 with file:line:col, not a stack trace', () => {
    const r = check({ 'tend.yaml': yaml('services:', '  web:', '    command: &c [sleep, *c]') });
    expect([r.status, r.err]).toEqual([
      2,
      `${r.file}:3:25: services.web.command[1]: alias *c is inside the value it names (a cycle)\n`,
    ]);
  });

  it('a NUL in env: exit 2', () => {
    const r = check({ 'tend.yaml': yaml('services:', '  web:', '    command: x', '    env: { A: "a\\0b" }') });
    expect([r.status, r.err]).toEqual([
      2,
      `${r.file}:4:15: services.web.env.A: a NUL character ("\\0") cannot be passed to a process (the value would end at it)\n`,
    ]);
  });

  it('a colon in an unquoted command: the line to write instead', () => {
    const r = check({ 'tend.yaml': yaml('services:', '  web:', '    command: echo "x: y"') });
    expect([r.status, r.err]).toEqual([
      2,
      `${r.file}:3:14: Nested mappings are not allowed in compact mappings; quote the value: command: 'echo "x: y"'\n`,
    ]);
  });

  it('replicas past the limit and a probe interval no timer can wait: exit 2, both at once', () => {
    const r = check({
      'tend.yaml': yaml(
        'services:',
        '  web:',
        '    command: x',
        '    replicas: 1000000000',
        '    liveness: { exec: "true", interval: 720h }',
      ),
    });
    expect(r.status).toBe(2);
    expect(r.err.split('\n')).toEqual([
      `${r.file}:4:15: services.web.replicas: expected an integer <= 5000 (the limit of instances in all); got 1000000000`,
      `${r.file}:5:41: services.web.liveness.interval: expected a duration of at most 24 days (576h), the longest a timer waits; got "720h"`,
      '',
    ]);
  });

  it('logs.max_size: 0 (never rotate) is accepted', () => {
    const r = check({ 'tend.yaml': yaml('services:', '  web:', '    command: sleep 1', '    logs: { max_size: 0 }') });
    expect([r.status, r.err]).toEqual([0, '']);
  });
});
