// The one-shot commands' edges with the built binary (issue 13): stdout closed by its reader,
// the socket named by a config that no longer parses, and a socket that refuses us.
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, Project, tend, useProjects, waitFor } from './harness.js';
import { NOBODY } from './rootless.js';

const { track, started } = useProjects();

/** Runs the built tend with its stdout a pipe closed by us: at once, or after its first line. */
function closedStdout(
  cwd: string,
  args: string[],
  after: 'start' | 'first line',
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    if (after === 'start') child.stdout!.destroy();
    else {
      let out = '';
      child.stdout!.on('data', (c) => {
        out += c;
        if (out.includes('\n')) child.stdout!.destroy(); // as `| head -1` does
      });
    }
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tend ${args.join(' ')} did not end with its stdout closed; stderr: ${stderr}`));
    }, 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stderr });
    });
  });
}

describe('stdout closed by its reader', () => {
  it('every command ends quietly with exit 0, as cat does', async () => {
    const p = await started(`
settings:
  echo: false
services:
  spam:
    command: yes a-line-of-spam
`);
    await waitFor(async () => (await p.run(['logs', 'spam', '-n', '1'])).stdout.includes('a-line-of-spam'), 'spam output');
    // all at once: each command has its own stdout to be closed, and `yes` (the daemon busy with
    // its output) runs for as long as the slowest of them, not for the sum of all ten
    const cases = [
      [['logs', 'spam', '-f'], 'first line'],
      [['events', '-f'], 'start'],
      [['events'], 'first line'],
      [['events', '-n', '10000'], 'start'],
      [['status'], 'start'],
      [['status', '--json'], 'start'],
      [['logs', 'spam', '-n', '1000'], 'start'],
      [['logs', 'spam', '-f'], 'start'],
      [['help'], 'start'],
      [['version'], 'start'],
    ] as const;
    const results = await Promise.all(cases.map(([args, after]) => closedStdout(p.dir, [...args], after)));
    cases.forEach(([args], k) => {
      const r = results[k]!;
      // a follower of `yes` may fall behind before its reader goes: saying so is right; no error is
      const stderr = r.stderr.replace(
        /^tend: (\d+ (lines|events) skipped: this client read too slowly|lines were rotated away while this client read too slowly: .*)\n/gm,
        '',
      );
      expect({ args, ...r, stderr }).toEqual({ args, code: 0, signal: null, stderr: '' });
    });
  }, 180_000);
});

/** A project whose daemon listens on settings.socket `run/custom.sock`. */
class CustomSocket extends Project {
  override get socket(): string {
    return join(this.dir, 'run/custom.sock');
  }
}

describe('finding the socket', () => {
  it('reads settings.socket of a config broken elsewhere (a line scan, not the YAML parser)', async () => {
    const yaml = `
settings:
  echo: false   # a comment
  socket: "run/custom.sock"
services:
  nap:
    command: sleep 1000
`;
    const p = track(new CustomSocket(yaml));
    await p.up();
    p.write(yaml + '  broken: "this quote never closes\n');
    const r = await p.run(['status']);
    expect(r.stderr).not.toContain('no tend daemon answers');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nap\s+running/m);
  }, 60_000);

  it('up -d with a settings.socket too long for a unix socket: the config error with its place, exit 2 (as tend check)', async () => {
    const p = track(new Project(''));
    const long = join(p.dir, `${'s'.repeat(110)}.sock`);
    p.write(`settings:\n  socket: ${long}\nservices:\n  nap:\n    command: sleep 1000\n`);
    // without -c or --socket, as a user runs it: the socket is the config's
    const r = await tend(p.dir, ['up', '-d']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${join(p.dir, 'tend.yaml')}:2:11: settings\\.socket: socket path `));
  });

  it('with a config and no daemon: says how to start its daemon (exit 3), but not to shutdown', async () => {
    const p = track(new Project('settings:\n  echo: false\nservices:\n  nap:\n    command: sleep 1000\n'));
    const file = join(p.dir, 'tend.yaml');
    const r = await p.run(['status']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `tend: no tend daemon answers on ${p.socket}\ntend: \`tend up -d\` starts it (the daemon of ${file})\n`,
    );
    // named with -c: the command to type names it too
    expect((await p.run(['stop', 'nap', '-c', file])).stderr).toContain(`\`tend up -d -c ${file}\` starts it\n`);
    const s = await p.run(['shutdown']);
    expect(s.code).toBe(3);
    expect(s.stderr).toBe(`tend: no tend daemon answers on ${p.socket}\n`);
  }, 60_000);
});

describe('a socket that refuses us', () => {
  it.skipIf(process.getuid?.() !== 0)(
    'says permission denied (exit 3) for a folder or a socket we may not use',
    async () => {
      const p = await started(`
settings:
  echo: false
services:
  nap:
    command: sleep 1000
`);
      const asNobody = async (): Promise<{ code: number | null; stderr: string }> => {
        const { code, stderr } = await tend('/', ['status', '--socket', p.socket], { as: NOBODY });
        return { code, stderr };
      };
      // the project folder is 0700: a folder on the way may not be searched
      const folder = await asNobody();
      expect(folder).toEqual({
        code: 3,
        stderr: `tend: permission denied on ${p.socket}: a folder on its path may not be searched (you are uid 65534); run tend as its owner or root\n`,
      });
      // the folders open, the socket itself (0600, root's) refuses
      chmodSync(p.dir, 0o755);
      chmodSync(join(p.dir, '.tend'), 0o755);
      const sock = await asNobody();
      expect(sock).toEqual({
        code: 3,
        stderr: `tend: permission denied on ${p.socket}: the socket is uid 0's, mode 0600 (you are uid 65534); run tend as that user or root\n`,
      });
    },
    60_000,
  );
  if (process.getuid?.() !== 0) console.log('skipped the permission test: it needs root to run tend as another user');
});
