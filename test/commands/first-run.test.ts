// The words of the first run, pure: the config's service names by line scan (for completion),
// the no-config message, what the first Ctrl-C says, the completion table read off the commands.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptCommands } from '../../src/commands/completion-data.js';
import { completionScript } from '../../src/commands/completion-scripts.js';
import { configServiceNames } from '../../src/commands/config-names.js';
import { CLI_COMMANDS } from '../../src/commands/index.js';
import { noConfigMessage } from '../../src/commands/no-config.js';
import { newInstance, type InstanceRecord } from '../../src/core/instance.js';
import { stoppingMessage } from '../../src/core/stopping-words.js';
import type { InstanceSpec } from '../../src/core/types.js';

describe('configServiceNames', () => {
  it('reads the keys under services:, replicas expanded, comments and other blocks skipped', () => {
    const text = [
      'settings:',
      '  socket: x.sock',
      'services:',
      '  # a comment',
      '  db:',
      '    command: postgres',
      '    env: { replicas: 9 }',
      '',
      '  web:   # the web',
      '    command: node server.js',
      '    replicas: 3',
      '    depends_on:',
      '      db: healthy',
      '  job-1: { command: x }',
      'other:',
      '  nope: 1',
    ].join('\n');
    expect(configServiceNames(text)).toEqual(['db', 'web.1', 'web.2', 'web.3', 'job-1']);
  });

  it('reads quoted keys (YAML allows them; they were skipped)', () => {
    const text = 'services:\n  "web":\n    command: x\n  \'api-2\': # the api\n    command: y\n  "bad\':\n    command: z\n';
    expect(configServiceNames(text)).toEqual(['web', 'api-2']);
  });

  it('finds nothing without a block services: mapping', () => {
    expect(configServiceNames('services: { a: { command: x } }\n')).toEqual([]);
    expect(configServiceNames('settings: {}\n')).toEqual([]);
  });
});

describe('noConfigMessage', () => {
  it('says which file it looked for and why, and how to begin', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-noconf-'));
    try {
      expect(noConfigMessage(join(dir, 'tend.yaml'), 'default', dir)).toBe(
        `tend: no config file: looked for ${dir}/tend.yaml (no -c FILE given and $TEND_CONFIG unset, so ./tend.yaml)\n` +
          'tend: to begin, `tend init` writes a commented starter config\n',
      );
      writeFileSync(join(dir, 'Procfile'), 'web: x\n');
      writeFileSync(join(dir, 'tend.yml'), '');
      expect(noConfigMessage(join(dir, 'tend.yaml'), 'default', dir)).toBe(
        `tend: no config file: looked for ${dir}/tend.yaml (no -c FILE given and $TEND_CONFIG unset, so ./tend.yaml)\n` +
          'tend: there is a tend.yml here: use -c tend.yml, or rename it\n' +
          'tend: to begin, `tend init` writes a commented starter config\n' +
          "tend: or `tend init --from Procfile` turns this folder's Procfile into one\n",
      );
      expect(noConfigMessage(join(dir, 'deploy/t.yaml'), 'flag', dir)).toMatch(
        /looked for .*deploy\/t\.yaml \(given by -c\)\n.*`tend init -c deploy\/t\.yaml`/,
      );
      expect(noConfigMessage('/etc/t.yaml', 'env', dir)).toMatch(/looked for \/etc\/t\.yaml \(from \$TEND_CONFIG\)/);
      // a file outside the folder is named as given, not as ../../etc/t.yaml
      expect(noConfigMessage('/etc/t.yaml', 'flag', dir)).toContain('`tend init -c /etc/t.yaml` writes');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stoppingMessage', () => {
  const inst = (id: string, state: InstanceRecord['state'], pid: number | null): InstanceRecord => ({
    ...newInstance({ id, spec: {} } as unknown as InstanceSpec, 0, 'up'),
    state,
    pid,
  });
  it('names what shutdown waits for, four at most, and that a second Ctrl-C kills', () => {
    const all = [
      inst('web', 'running', 10),
      inst('db', 'starting', 11),
      inst('w.1', 'stopping', 12),
      inst('w.2', 'running', 13),
      inst('w.3', 'running', 14),
      inst('job', 'completed', null),
      inst('x', 'stopped', null),
    ];
    expect(stoppingMessage(all)).toBe('tend: stopping 5 services (web, db, w.1, w.2, ...); Ctrl-C again to kill them');
    expect(stoppingMessage(all.slice(0, 1))).toBe('tend: stopping 1 service (web); Ctrl-C again to kill it');
    expect(stoppingMessage(all.slice(5))).toBe('tend: nothing to stop; exiting');
  });
});

describe('the completion table', () => {
  it('is read off the command table: flags, value kinds, argument kinds', () => {
    const t = scriptCommands(CLI_COMMANDS);
    expect(t.map((c) => c.name)).toEqual(CLI_COMMANDS.map((c) => c.name));
    const signal = t.find((c) => c.name === 'signal')!;
    expect(signal.args).toEqual(['service', 'signal']);
    expect(signal.repeat).toBe(false);
    const logs = t.find((c) => c.name === 'logs')!;
    expect(logs.args).toEqual(['service']);
    expect(logs.repeat).toBe(true);
    expect(logs.valueFlags).toEqual(
      expect.arrayContaining([
        ['-n', 'number'],
        ['--lines', 'number'],
        ['-c', 'file'],
        ['--socket', 'path'],
      ]),
    );
    expect(logs.flags).toEqual(expect.arrayContaining(['-f', '--follow', '-h', '--help']));
    expect(t.find((c) => c.name === 'completion')!.args).toEqual(['choice:bash,zsh,fish']);
    expect(t.find((c) => c.name === 'init')!.valueFlags).toEqual(expect.arrayContaining([['--from', 'file']]));
    expect(t.some((c) => c.name === '__complete')).toBe(false);
  });

  it('every script names every command and asks tend for service names', () => {
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const s = completionScript(shell, CLI_COMMANDS, ['SIGTERM']);
      for (const c of CLI_COMMANDS) expect(s, `${shell}: ${c.name}`).toContain(c.name);
      expect(s).toContain('__complete services');
    }
  });
});
