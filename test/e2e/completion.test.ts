// The completion scripts in real shells: `tend completion bash` sourced in bash and its function
// called as bash calls it (COMP_WORDS/COMP_CWORD); zsh typing Tab in a real terminal (tmux); fish
// asked with `complete -C`. Service names come from the running daemon, else from the config.
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, useProjects, waitFor, type Project } from './harness.js';

const { project } = useProjects();
const has = (cmd: string): boolean => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
const hasZsh = has('zsh');
const hasFish = has('fish');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasZsh) console.log('skipping the zsh completion test: zsh is not installed (apt-get install zsh)');
if (hasZsh && !hasTmux) console.log('skipping the zsh completion test: tmux is not installed (apt-get install tmux)');
if (!hasFish) console.log('skipping the fish completion test: fish is not installed (apt-get install fish)');

const YAML =
  'settings: { watch: false }\nservices:\n  db:\n    command: sleep 1000\n  web:\n    command: sleep 1000\n    replicas: 2\n';

/** A folder on PATH holding `tend` (the built binary) beside the project; the environment to run shells in. */
function shellEnv(p: Project): NodeJS.ProcessEnv {
  const bin = join(p.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(CLI, join(bin, 'tend'));
  return { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: p.dir, NO_COLOR: '1', TERM: 'xterm' };
}

function script(p: Project, env: NodeJS.ProcessEnv, shell: string): string {
  const r = spawnSync('tend', ['completion', shell], { env, cwd: p.dir, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const file = join(p.dir, `completion.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

describe('bash', () => {
  it('completes commands, flags, flag values, services (daemon, else config) and signals', async () => {
    const p = project(YAML, { 'notes.txt': '' });
    const env = shellEnv(p);
    const file = script(p, env, 'bash');
    const ask = (lines: string[][]): string[] => {
      const calls = lines.map((words) => `t ${words.map((w) => `'${w}'`).join(' ')}`).join('\n');
      const body = `source '${file}'\nt() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tend; echo "\${COMPREPLY[*]}"; }\n${calls}\ncomplete -p tend`;
      const r = spawnSync('bash', ['--norc', '--noprofile', '-c', body], { env, cwd: p.dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      return r.stdout.trimEnd().split('\n');
    };
    const lines = [
      ['tend', 'st'],
      ['tend', 'status', ''],
      ['tend', 'logs', '-n', '5', 'w'],
      ['tend', 'signal', 'db', 'SIGT'],
      ['tend', 'signal', 'db', 'HU'],
      ['tend', 'signal', 'db', 'SIGTERM', ''],
      ['tend', 'shutdown', '--n'],
      ['tend', 'up', '-c', 'no'],
      ['tend', 'completion', ''],
      ['tend', 'help', 'sh'],
      ['tend', '--v'],
      // -c in the forms people write it: bash splits --config=FILE at the =, ~ and quotes come
      // unexpanded, the flags may come before the command (each found nothing, or the wrong file)
      ['tend', 'stop', '--config', '=', 'sub/other.yaml', ''],
      ['tend', '-c', 'sub/other.yaml', 'stop', ''],
      ['tend', 'stop', '-c', '~/sub/other.yaml', ''],
      ['tend', 'stop', '-c', '"sub/other.yaml"', ''],
      ['tend', '--config', '=', 'sub/other.yaml', 'st'],
      ['tend', 'stop', '--config', '=', 'no'],
      ['tend', '-c', 'no'],
    ];
    mkdirSync(join(p.dir, 'sub'));
    writeFileSync(join(p.dir, 'sub/other.yaml'), 'services:\n  alpha:\n    command: sleep 1000\n');
    const fromConfig = ask(lines);
    expect(fromConfig).toEqual([
      'status start stop',
      'all db web web.1 web.2',
      'web web.1 web.2',
      'SIGTRAP SIGTERM SIGTSTP SIGTTIN SIGTTOU',
      'HUP', // the form without SIG too
      '',
      '--no-wait',
      'notes.txt',
      'bash zsh fish',
      'shell shutdown',
      '--version',
      'all alpha',
      'all alpha',
      'all alpha',
      'all alpha',
      'status start stop',
      'notes.txt',
      'notes.txt',
      'complete -F _tend tend',
    ]);
    // with a daemon, its names: a service added to the file since is not offered
    await p.up();
    p.write(YAML + '  later:\n    command: sleep 1000\n');
    expect(ask([['tend', 'stop', '']])[0]).toBe('all db web web.1 web.2');
  });
});

describe.skipIf(!hasZsh || !hasTmux)('zsh', () => {
  it('completes at the Tab key in a real terminal', async () => {
    const p = project(YAML);
    const env = shellEnv(p);
    const file = script(p, env, 'zsh');
    const server = join(p.dir, 'tmux.sock');
    const tmux = (...args: string[]): string => {
      const r = spawnSync('tmux', ['-S', server, '-f', '/dev/null', ...args], { encoding: 'utf8', env });
      if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    tmux('new-session', '-d', '-s', 'z', '-x', '100', '-y', '20', '-c', p.dir, 'zsh -f');
    try {
      const screen = () => tmux('capture-pane', '-p', '-t', 'z');
      tmux(
        'send-keys',
        '-t',
        'z',
        '-l',
        `PS1='> '; autoload -Uz compinit && compinit -u -d '${p.dir}/zcd' && source '${file}' && echo loaded`,
      );
      tmux('send-keys', '-t', 'z', 'Enter');
      await waitFor(() => /^loaded$/m.test(screen()), 'zsh to load the script', 15_000);
      tmux('send-keys', '-t', 'z', '-l', 'tend stat');
      tmux('send-keys', '-t', 'z', 'Tab');
      await waitFor(() => /^> tend status *$/m.test(screen()), 'tend stat<Tab> to complete to status', 15_000);
      tmux('send-keys', '-t', 'z', '-l', 'w');
      tmux('send-keys', '-t', 'z', 'Tab');
      await waitFor(() => /^> tend status web$/m.test(screen()), 'w<Tab> to complete to the service web', 15_000);
      tmux('send-keys', '-t', 'z', '-l', '.');
      tmux('send-keys', '-t', 'z', 'Tab');
      tmux('send-keys', '-t', 'z', 'Tab');
      await waitFor(() => /web\.1 +web\.2/.test(screen()), 'a second Tab to list web.1 and web.2', 15_000);
    } finally {
      tmux('kill-server');
    }
  });
});

describe.skipIf(!hasFish)('fish', () => {
  it('answers complete -C with commands (described), flags, services and signals', async () => {
    const p = project(YAML);
    const env = shellEnv(p);
    const file = script(p, env, 'fish');
    const ask = (line: string): string[] => {
      const r = spawnSync('fish', ['--no-config', '-c', `source '${file}'; complete -C'${line}'`], {
        env,
        cwd: p.dir,
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      return r.stdout.trimEnd().split('\n');
    };
    expect(ask('tend stat')).toEqual(['status\tone row a service: state, pid, uptime, restarts, cpu, memory']);
    expect(ask('tend status ')).toEqual(['all', 'db', 'web', 'web.1', 'web.2']);
    expect(ask('tend signal web SIGTE')).toEqual(['SIGTERM']);
    expect(ask('tend shutdown --no')).toEqual(['--no-wait']);
    expect(ask('tend completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(ask('tend init --from tend.y')).toEqual(['tend.yaml']);
  });
});
