// Help end to end through the built `tend` (dist/tend.cjs): every way of asking exits 0 and shows
// the command's page, without reading the config or touching the socket (both are broken here).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { commandHelp } from '../../src/commands/help-text.js';
import { CLI_COMMANDS } from '../../src/commands/index.js';
import { top } from '../../src/commands/top.js';

const SHELL_ONLY_TOP = top.elsewhere!;

const CLI = fileURLToPath(new URL('../../dist/tend.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tend-help-'));
// a config that cannot be parsed, and a socket that does not exist
writeFileSync(join(dir, 'tend.yaml'), 'services: [\n  settings: socket: {\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tend(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', TEND_CONFIG: '', TEND_SOCKET: join(dir, 'no', 'tend.sock') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tend help', () => {
  it('lists the commands in 80 columns, exit 0', () => {
    const r = tend('help');
    expect([r.code, r.stderr]).toEqual([0, '']);
    for (const c of CLI_COMMANDS) expect(r.stdout).toMatch(new RegExp(`\\n  ${c.name}\\b`));
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(tend('--help').stdout).toBe(r.stdout);
    expect(tend('-h').stdout).toBe(r.stdout);
  });

  // one node start a command, by one of the three ways in turn (its page rendered here is what
  // each way must print); both ways for a command of the socket and one of the client
  it('help COMMAND, COMMAND --help and COMMAND -h show the page of every command, exit 0', { timeout: 120_000 }, () => {
    const ways = [(n: string) => ['help', n], (n: string) => [n, '--help'], (n: string) => [n, '-h']];
    CLI_COMMANDS.forEach((c, k) => {
      const page = `${commandHelp(c, 'cli', 80)}\n`;
      expect(page, c.name).toMatch(new RegExp(`^usage: tend ${c.name}\\b`));
      expect(page, c.name).toContain('\nexamples:\n  tend ');
      const args = ways[k % ways.length]!(c.name);
      const r = tend(...args);
      expect([r.code, r.stderr, r.stdout], args.join(' ')).toEqual([0, '', page]);
    });
    for (const name of ['status', 'check']) {
      const page = tend('help', name).stdout;
      for (const flag of ['--help', '-h']) expect(tend(name, flag).stdout, `${name} ${flag}`).toBe(page);
    }
    // flags before --help do not matter, nor missing arguments
    expect(tend('logs', '-n', '5', '--help').code).toBe(0);
    expect(tend('signal', '--help').stdout).toContain('usage: tend signal NAME SIGNAL');
  });

  it('no command and no terminal: the help on stderr, exit 2; with -c or --socket too (it said the shell needs a terminal)', () => {
    for (const args of [[], ['-c', 'x.yaml'], ['--socket', 'x.sock']]) {
      const r = tend(...args);
      expect([r.code, r.stdout], args.join(' ')).toEqual([2, '']);
      expect(r.stderr, args.join(' ')).toContain('usage: tend COMMAND');
    }
  });

  it('-v, --version and version print the version', () => {
    const v = tend('version');
    expect([v.code, v.stderr]).toEqual([0, '']);
    expect(v.stdout).toMatch(/^tend \d+\.\d+\.\d+\n$/);
    expect(tend('-v').stdout).toBe(v.stdout);
    expect(tend('--version').stdout).toBe(v.stdout);
  });

  it('an unknown topic or command is a usage error with a suggestion', () => {
    const topic = tend('help', 'stauts');
    expect(topic.code).toBe(2);
    expect(topic.stderr).toContain('did you mean "status"');
    const cmd = tend('stauts');
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain('did you mean "status"');
    // a short word that begins a few commands names them all
    expect(tend('sta').stderr).toMatch(/^tend: unknown command "sta" \(did you mean "start" or "status"\?\)\n/);
    // a command of the shell is not unknown (`top` was "did you mean stop"): one line says where it is
    const top = tend('top');
    expect([top.code, top.stdout, top.stderr]).toEqual([2, '', `tend: ${SHELL_ONLY_TOP}\n`]);
    expect(tend('help', 'top').stderr).toBe(`tend: ${SHELL_ONLY_TOP}\n`);
  });

  it('without --help the broken config and the missing socket do matter', () => {
    expect(tend('check').code).toBe(2);
    const status = tend('status');
    expect(status.code).toBe(3);
    expect(status.stderr).toContain(join(dir, 'no', 'tend.sock'));
  });
});
