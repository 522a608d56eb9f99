// `tend run NAME -- CMD` end to end with the built binary: in a folder without a config it starts
// a daemon for the folder and adds a transient service (supervised, logged, in status, the
// caller's folder and environment), gone at `tend shutdown`; with a config and its daemon, it adds
// to that daemon (a reload leaves it alone; a configured name is refused); with a config and no
// daemon, it says how to start one.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DetachedProject } from './detached.js';
import { pidAlive, tend, useProjects, waitFor } from './harness.js';

const { track, started } = useProjects();
const bg = (yaml?: string): DetachedProject => track(new DetachedProject(yaml));

describe('tend run NAME -- CMD without a config', () => {
  it("starts a daemon for the folder and a supervised service, in the caller's folder and environment; tend shutdown ends both", async () => {
    const p = bg();
    const sub = join(p.dir, 'sub');
    mkdirSync(sub);
    const r = await p.run(['run', 'web', '--', 'sh', '-c', 'echo "web in $PWD with $GREETING"; exec sleep 1000'], {
      GREETING: 'hello there',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^started web \(pid \d+\)\n$/);
    expect(r.stderr).toMatch(
      new RegExp(`^tend: no daemon here: started one for ${p.dir} \\(pid (\\d+)\\); tend shutdown stops it\\n$`),
    );
    const daemon = Number(/\(pid (\d+)\)/.exec(r.stderr)![1]);
    const svc = Number(/pid (\d+)/.exec(r.stdout)![1]);
    expect(await p.pid()).toBe(daemon);
    // logged to log_dir/NAME.log; in status, marked transient
    await waitFor(
      () => readFileSync(join(p.dir, '.tend/logs/web.log'), 'utf8').includes(`web in ${p.dir} with hello there`),
      'the output in web.log',
    );
    const [row] = await p.status();
    expect(row).toMatchObject({
      name: 'web',
      state: 'running',
      pid: svc,
      transient: true,
      detail: `transient: sh -c 'echo "web in $PWD with $GREETING"; exec sleep 1000'`,
    });
    // a second one from another folder, with another environment: the same daemon, its own folder
    const second = await p.run([
      'run',
      'job',
      '--',
      'sh',
      '-c',
      'echo "job in $PWD, greeting ${GREETING:-none}"; exec sleep 1000',
    ]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toBe('');
    const inSub = await tend(sub, ['run', 'sub', '--socket', p.socket, '--', 'sh', '-c', 'echo "sub in $PWD"; exec sleep 1000']);
    expect(inSub.code, inSub.stderr).toBe(0);
    await waitFor(
      () => readFileSync(join(p.dir, '.tend/logs/sub.log'), 'utf8').includes(`sub in ${sub}`),
      'the output in sub.log',
    );
    await waitFor(
      () => readFileSync(join(p.dir, '.tend/logs/job.log'), 'utf8').includes('greeting none'),
      'job without GREETING',
    );
    expect((await p.status()).map((s) => s.name)).toEqual(['web', 'job', 'sub']);
    // a reload has nothing to read
    const reload = await p.run(['reload']);
    expect(reload.code).toBe(2);
    expect(reload.stderr).toBe(
      'tend: this tend runs no config file (it was started by tend run NAME -- CMD): nothing to reload\n',
    );
    const down = await p.run(['shutdown']);
    expect(down.code).toBe(0);
    expect(down.stdout).toBe(`stopped web, job, sub\ntend exited (pid ${daemon})\n`);
    expect(pidAlive(daemon)).toBe(false);
    expect(pidAlive(svc)).toBe(false);
  });

  it('is restarted on failure, and a start that fails is reported with why, exit 1', async () => {
    const p = bg();
    const r = await p.run(['run', 'bad', '--', 'sh', '-c', 'echo oops >&2; exit 3']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    // the reason, then the last lines it printed (one a run)
    expect(r.stderr).toMatch(
      /tend: bad: exited with code 3 five times within 1m; start limit reached\n {2}its last lines:\n( {2}\| err oops\n){5}$/,
    );
    const [row] = await p.status();
    expect(row).toMatchObject({ name: 'bad', state: 'failed', restarts: 4 });
    expect(readFileSync(join(p.dir, '.tend/logs/bad.log'), 'utf8')).toContain('oops');
  });

  it('refuses a name that runs; replaces one that stopped; stays in status until shutdown', async () => {
    const p = bg();
    expect((await p.run(['run', 'w', '--', 'sleep', '1000'])).code).toBe(0);
    const again = await p.run(['run', 'w', '--', 'sleep', '1001']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^tend: run: w already runs \(pid \d+\): sleep 1000; tend stop w first\n$/);
    expect((await p.run(['stop', 'w'])).code).toBe(0);
    expect((await p.status()).map((s) => [s.name, s.state])).toEqual([['w', 'stopped']]);
    const next = await p.run(['run', 'w', '--', 'sleep', '1001']);
    expect(next.code, next.stderr).toBe(0);
    const why = await p.run(['why', 'w']);
    expect(why.stdout).toContain(
      `It is a transient service (tend run w -- ...): sleep 1001 in ${p.dir}; it goes when tend shuts down.`,
    );
    // one that ends at once, well: completed
    const done = await p.run(['run', 'once', '--', 'true']);
    expect(done.code).toBe(0);
    expect(done.stdout).toBe('once: completed (exited with code 0)\n');
    // a config written now is not what this daemon runs: tend up -d says so rather than pretend
    expect((await p.run(['init'])).code).toBe(0);
    const up = await p.run(['up', '-d']);
    expect(up.code).toBe(1);
    expect(up.stdout).toMatch(/^tend already runs on \.tend\/tend\.sock \(pid \d+\)\n$/);
    expect(up.stderr).toBe(
      'tend: it runs no config (started by tend run NAME -- CMD), not tend.yaml: tend shutdown stops it, then tend up -d starts tend.yaml\n',
    );
  });
});

describe('tend run NAME -- CMD with a config', () => {
  it('adds to the running daemon; a configured name is refused; a reload leaves it alone', async () => {
    const p = await started('settings: { watch: false }\nservices:\n  web:\n    command: ["sleep", "1000"]\n');
    const clash = await p.run(['run', 'web', '--', 'sleep', '5']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toBe(
      `tend: run: web is a service of ${p.dir}/tend.yaml; tend start web starts it (or pick another name)\n`,
    );
    const r = await p.run(['run', 'extra', '--', 'sleep', '1001']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^started extra \(pid \d+\)\n$/);
    p.write(
      'settings: { watch: false }\nservices:\n  web:\n    command: ["sleep", "1000"]\n  api:\n    command: ["sleep", "1002"]\n',
    );
    const reload = await p.run(['reload']);
    expect(reload.code).toBe(0);
    expect(reload.stdout).toBe('+ api\n= 1 unchanged\n');
    await p.waitState('api', 'running');
    // the config's services in its order, then what tend run added
    expect((await p.status()).map((s) => [s.name, s.state])).toEqual([
      ['web', 'running'],
      ['api', 'running'],
      ['extra', 'running'],
    ]);
  });

  it("with no daemon running: says how to start the config's, exit 3, and starts nothing", async () => {
    const p = bg('services:\n  web:\n    command: ["sleep", "1000"]\n');
    const r = await p.run(['run', 'x', '--', 'sleep', '5']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `tend: no tend daemon answers on ${p.socket}\ntend: \`tend up -d\` starts the daemon of ${p.dir}/tend.yaml; then tend run again\n`,
    );
    expect(await p.pid()).toBeUndefined();
  });
});

describe('tend run NAME without -- and without a daemon', () => {
  it('still says how to begin: a task needs a config', async () => {
    const p = bg();
    writeFileSync(join(p.dir, 'Procfile'), 'web: sleep 1\n');
    const r = await p.run(['run', 'backup']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('tend: to begin, `tend init` writes a commented starter config');
    expect(await p.pid()).toBeUndefined();
  });
});
