// `tend up -d` and `tend up NAME...` end to end with the built binary: the daemon in the
// background returns once the services have started (status table, exit 0), or says which failed
// and why (exit 1, the daemon stays); a daemon that dies while starting is reported with its last
// words; a second `up -d` finds the first; `up NAME` brings up only those and their dependencies.
// And the README's first run from an empty folder: tend init, tend up -d, tend status.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DetachedProject } from './detached.js';
import { pidAlive, useProjects, waitFor } from './harness.js';

const { track, project } = useProjects();
const bg = (yaml?: string): DetachedProject => track(new DetachedProject(yaml));

/** The status table's rows as NAME -> [STATE, DETAIL]. */
function rows(table: string): Record<string, [string, string]> {
  const lines = table.trim().split('\n');
  const detailAt = lines[0]!.indexOf('DETAIL');
  const out: Record<string, [string, string]> = {};
  for (const l of lines.slice(1)) {
    const [name, state] = l.split(/\s+/);
    out[name!] = [state!, detailAt < 0 ? '' : l.slice(detailAt).trim()];
  }
  return out;
}

const STACK = `
services:
  db:
    command: ["sh", "-c", "echo db says hi; exec sleep 1000"]
  web:
    command: ["sleep", "1001"]
    depends_on: [db]
  other:
    command: ["sleep", "1002"]
`;

describe('tend up -d', () => {
  it('returns once every service has started, printing the status; the daemon runs on in the background', async () => {
    const p = bg(STACK);
    const r = await p.run(['up', '-d']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [first, ...table] = r.stdout.trimEnd().split('\n');
    expect(first).toMatch(
      /^tend runs in the background \(pid \d+\); its own output goes to \.tend\/logs\/tend\.out; tend shutdown stops it$/,
    );
    const pid = Number(/pid (\d+)/.exec(first!)![1]);
    expect(pidAlive(pid)).toBe(true);
    expect(table[0]).toMatch(/^NAME\s+STATE\s+PID/);
    expect(Object.fromEntries(Object.entries(rows(table.join('\n'))).map(([k, v]) => [k, v[0]]))).toEqual({
      db: 'running',
      web: 'running',
      other: 'running',
    });
    // it answers as any daemon does
    expect(await p.pid()).toBe(pid);
    expect((await p.status()).map((s) => s.state)).toEqual(['running', 'running', 'running']);
    // its state lines went to tend.out; the services' output to their logs, not echoed there
    await waitFor(() => readFileSync(join(p.dir, '.tend/logs/db.log'), 'utf8').includes('db says hi'), 'the db log');
    const out = readFileSync(p.outFile, 'utf8');
    expect(out).toMatch(/ db running started\n/);
    expect(out).not.toContain('db says hi');
    // a second up -d finds it: nothing is started twice
    const again = await p.run(['up', '-d']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^tend already runs on \\.tend/tend\\.sock \\(pid ${pid}\\)\\nNAME`));
    expect(await p.pid()).toBe(pid);
    // waiting for the start is a read: the journal has no request of it
    const events = JSON.parse((await p.run(['events', '--json'])).stdout) as Array<{ what: string }>;
    expect(events.filter((e) => e.what === 'request')).toEqual([]);
    // -d's echo: false is the command line's, not a change of the file that a reload would report
    writeFileSync(join(p.dir, 'tend.yaml'), `${STACK}  late:\n    command: ["sleep", "1003"]\n`);
    expect((await p.run(['reload'])).code).toBe(0); // or the file watch was first: either applies it
    const reloads = JSON.parse((await p.run(['events', '--json'])).stdout) as Array<{ what: string; why: string }>;
    const whys = reloads.filter((e) => e.what === 'reload').map((e) => e.why);
    expect(whys.filter((w) => w.endsWith(': + late; = 3 unchanged'))).toHaveLength(1);
    expect(whys.filter((w) => w.includes('settings.'))).toEqual([]);
    // a name it does not have, from the daemon: the closest one and the known ones
    const typo = await p.run(['stop', 'wbe']);
    expect([typo.code, typo.stderr]).toEqual([
      1,
      'tend: unknown service "wbe" — did you mean "web"? (known: db, web, other, late)\n',
    ]);
    // journaled under tend, as a request for all is: not under a service that does not exist
    expect((await p.run(['restart', 'all'])).code).toBe(0);
    const asked = JSON.parse((await p.run(['events', '--json'])).stdout) as Array<{ service: string; what: string; why: string }>;
    expect(asked.filter((e) => e.what === 'request').map((e) => [e.service, e.why.replace(/ asked by .*/, '')])).toEqual([
      ['tend', 'tend reload'],
      ['tend', 'tend stop wbe'],
      ['tend', 'tend restart all'],
    ]);
    // a name the config lacks is an unknown service (1) with a daemon, as without one
    const unknown = await p.run(['up', '-d', 'wbe']);
    expect([unknown.code, unknown.stderr]).toEqual([
      1,
      'tend: unknown service "wbe" — did you mean "web"? (known: db, web, other, late)\n',
    ]);
    // the file broken since: the daemon runs its last good config, and up -d of this file says so, exit 2
    writeFileSync(join(p.dir, 'tend.yaml'), `${STACK}  late:\n    command: ["sleep", "1003"]\n    restart: alway\n`);
    expect((await p.run(['reload'])).code).toBe(2);
    const broken = await p.run(['up', '-d']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('tend: the config on disk is broken; running the last good one:');
    const down = await p.run(['shutdown']);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`tend exited (pid ${pid})`);
    expect(pidAlive(pid)).toBe(false);
  });

  it('exits 1 with the reason of each service that failed and the last lines it printed; the daemon stays up', async () => {
    const p = bg(`
services:
  ok:
    command: ["sleep", "1000"]
  bad:
    command: ["sh", "-c", "echo boom >&2; exit 3"]
    backoff: { initial: 10ms }
    start_limit: { burst: 2 }
`);
    const r = await p.run(['up', '-d']);
    expect(r.code).toBe(1);
    // as a failed tend start: what the service printed last, under the reason (both runs)
    expect(r.stderr).toBe(
      'tend: bad: exited with code 3 twice within 1m; start limit reached\n' + '  its last lines:\n  | err boom\n  | err boom\n',
    );
    const t = rows(r.stdout.split('\n').slice(1).join('\n'));
    expect(t.ok![0]).toBe('running');
    expect(t.bad).toEqual(['failed', 'exited with code 3 twice within 1m; start limit reached']);
    expect(await p.pid()).toBeGreaterThan(0);
  });

  it('does not wait for what an approval gate holds, nor count a scheduled dependency that ran well as not started', async () => {
    const yaml = `
services:
  deploy:
    type: oneshot
    command: echo deployed
    approval: true
  web:
    command: ["sleep", "1003"]
    depends_on: { deploy: completed }
  migrate:
    type: oneshot
    command: sleep 1.5; echo migrated
    schedule: "0 3 * * *"
  api:
    command: ["sleep", "1004"]
    depends_on: { migrate: completed }
  slow:
    command: ["sleep", "1005"]
    readiness: { exec: "false", interval: 100ms }
`;
    const p = bg(yaml);
    // slow keeps the wait to its deadline, past migrate's dependency run (it completed: not named)
    const r = await p.run(['up', '-d', '--timeout', '8s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tend: slow: still starting after 8s: not ready: [^\n]*\n$/);
    const t = rows(r.stdout.split('\n').slice(1).join('\n'));
    expect(t.deploy).toEqual(['pending', 'waiting for approval (tend approve deploy)']);
    expect(t.web).toEqual(['pending', 'waiting for deploy: completed']);
    expect(t.api![0]).toBe('running');
    // its next run is known by the time the table is printed
    expect(t.migrate![0]).toBe('scheduled');
    expect(t.migrate![1]).toMatch(/^next run [-\d: ]+ \(in /);
    // without slow: at once, exit 0
    await p.run(['shutdown']);
    writeFileSync(join(p.dir, 'tend.yaml'), yaml.slice(0, yaml.indexOf('  slow:')));
    const again = await p.run(['up', '-d', '--timeout', '20s']);
    expect([again.code, again.stderr]).toEqual([0, '']);
  });

  it('with exit_with, a service that ends at once takes tend with it: said so, with its exit code', async () => {
    const p = bg('settings:\n  exit_with: job\nservices:\n  job:\n    type: oneshot\n    command: ["true"]\n');
    const r = await p.run(['up', '-d']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    // the status table when the daemon still answered, and in any case the last line
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(
      'job ended (exited with code 0); tend exited with it (settings.exit_with), exit code 0',
    );
    expect(pidAlive(Number(/pid (\d+)/.exec(r.stdout)![1]))).toBe(false);
    writeFileSync(
      join(p.dir, 'tend.yaml'),
      'settings:\n  exit_with: job\nservices:\n  job:\n    command: ["sh", "-c", "exit 3"]\n    restart: never\n',
    );
    const bad = await p.run(['up', '-d']);
    expect(bad.code).toBe(3);
    expect(bad.stderr.trimEnd().split('\n').at(-1)).toBe(
      'tend: job ended (exited with code 3); tend exited with it (settings.exit_with), exit code 3; tend logs job shows its output',
    );
    expect(await p.pid()).toBeUndefined();
  });

  it('gives up waiting at --timeout, saying where each service is', async () => {
    const p = bg(`
services:
  slow:
    command: ["sleep", "1000"]
    readiness: { exec: "false", interval: 100ms }
`);
    const r = await p.run(['up', '-d', '--timeout', '1s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tend: slow: still starting after 1s: not ready: /);
  });

  it('reports a daemon that dies while starting with its last words, exit 1', async () => {
    const busy: Server = createServer();
    await new Promise<void>((res) => busy.listen(0, '127.0.0.1', res));
    const port = (busy.address() as { port: number }).port;
    try {
      const p = bg(`
settings:
  http: 127.0.0.1:${port}
services:
  a:
    command: ["sleep", "1000"]
`);
      const r = await p.run(['up', '-d']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^tend: the daemon exited while starting \(exit code 1\):\n/);
      expect(r.stderr).toContain('EADDRINUSE');
      expect(await p.pid()).toBeUndefined();
    } finally {
      busy.close();
    }
  });

  it('runs with a log_dir it cannot write: its own output goes to the temp dir, the services run (as tend up does)', async () => {
    const p = bg('settings:\n  log_dir: blocked/logs\nservices:\n  a:\n    command: ["sleep", "1000"]\n');
    writeFileSync(join(p.dir, 'blocked'), 'a file where log_dir needs a folder\n');
    const r = await p.run(['up', '-d']);
    // it exited 1 with a bare ENOTDIR and started nothing
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(
      /^tend runs in the background \(pid \d+\); its own output goes to \/\S+\/tend-out-\w+\/tend\.out \(blocked\/logs\/tend\.out cannot be written: ENOTDIR: not a directory, mkdir '.*blocked\/logs'\); tend shutdown stops it$/,
    );
    const out = /goes to (\S+) /.exec(r.stdout)![1]!;
    expect(readFileSync(out, 'utf8')).toContain('a running');
    rmSync(dirname(out), { recursive: true, force: true });
    expect(rows(r.stdout.split('\n').slice(1).join('\n')).a![0]).toBe('running');
  });

  it('checks the config first: a broken one is printed, exit 2, nothing started', async () => {
    const p = bg('services:\n  web:\n    command: ["sleep", "1"]\n    restart: alway\n');
    const r = await p.run(['up', '-d']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('services.web.restart');
    expect(existsSync(p.socket)).toBe(false);
  });
});

describe('tend up NAME...', () => {
  it('starts only those and their dependencies; the others are stopped, saying why; with -d too', async () => {
    const p = bg(STACK);
    const r = await p.run(['up', '-d', 'web']);
    expect(r.code).toBe(0);
    const t = rows(r.stdout.split('\n').slice(1).join('\n'));
    expect(t).toEqual({ db: ['running', ''], web: ['running', ''], other: ['stopped', 'not selected by tend up web'] });
    // `up -d NAME` on a running daemon starts the named ones
    const more = await p.run(['up', '-d', 'other']);
    expect(more.code).toBe(0);
    expect(more.stdout).toMatch(/\(pid \d+\)\nstarted other\nNAME/);
    expect((await p.status()).map((s) => s.state)).toEqual(['running', 'running', 'running']);
  });

  it('in the foreground', async () => {
    const p = project(STACK);
    await p.up(['other']);
    await p.waitState('other', 'running');
    const s = await p.status();
    expect(s.map((x) => [x.name, x.state, x.detail])).toEqual([
      ['db', 'stopped', 'not selected by tend up other'],
      ['web', 'stopped', 'not selected by tend up other'],
      ['other', 'running', ''],
    ]);
  });

  it('refuses a name the config does not have: an unknown service, exit 1', async () => {
    const p = bg(STACK);
    const one = await p.run(['up', 'wbe']);
    expect([one.code, one.stderr]).toEqual([1, 'tend: unknown service "wbe" — did you mean "web"? (known: db, web, other)\n']);
    const two = await p.run(['up', '-d', 'wbe', 'x']);
    expect([two.code, two.stderr]).toEqual([1, 'tend: unknown services "wbe", "x" (known: db, web, other)\n']);
    expect(existsSync(p.socket)).toBe(false);
  });
});

describe("the README's first run", () => {
  it('from an empty folder: tend init, tend up -d, tend status', async () => {
    const p = bg();
    const init = await p.run(['init']);
    expect(init.code).toBe(0);
    expect(init.stdout).toBe('wrote tend.yaml (1 service: hello)\nnext: tend up -d   (then tend status)\n');
    const up = await p.run(['up', '-d']);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/\nNAME\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+CPU\s+MEM\nhello\s+running\s+\d+/);
    const st = await p.run(['status']);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/^NAME\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+CPU\s+MEM\nhello\s+running\s+\d+/);
    await waitFor(
      () => readFileSync(join(p.dir, '.tend/logs/hello.log'), 'utf8').includes('hello from tend'),
      'hello to say hello',
    );
  });
});
