// Help end to end through the built `tend` (dist/tend.cjs): every way of asking exits 0 and shows
// the command's page, without reading the config or touching the socket (both are broken here).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_COMMANDS } from '../../src/commands/index.js';

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

  // two node starts a command: slow on a loaded machine, hence the longer timeout
  it('help COMMAND and COMMAND --help (or -h) show the same page for every command, exit 0', { timeout: 120_000 }, () => {
    CLI_COMMANDS.forEach((c, k) => {
      const page = tend('help', c.name);
      expect([page.code, page.stderr], c.name).toEqual([0, '']);
      expect(page.stdout, c.name).toMatch(new RegExp(`^usage: tend ${c.name}\\b`));
      expect(page.stdout, c.name).toContain('\nexamples:\n  tend ');
      const flag = k % 2 ? '-h' : '--help';
      const r = tend(c.name, flag);
      expect([r.code, r.stderr, r.stdout], `${c.name} ${flag}`).toEqual([0, '', page.stdout]);
    });
    // flags before --help do not matter, nor missing arguments
    expect(tend('logs', '-n', '5', '--help').code).toBe(0);
    expect(tend('signal', '--help').stdout).toContain('usage: tend signal NAME SIGNAL');
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
  });

  it('without --help the broken config and the missing socket do matter', () => {
    expect(tend('check').code).toBe(2);
    const status = tend('status');
    expect(status.code).toBe(3);
    expect(status.stderr).toContain(join(dir, 'no', 'tend.sock'));
  });
});
