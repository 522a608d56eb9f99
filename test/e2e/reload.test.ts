// Hot reload end to end with the built binary (issue 6): only what changed moves; the plan
// printed by `tend reload` and `--dry-run`; a broken file changes nothing; file watching
// (plain writes, write-temp-then-rename, env_file edits, rapid saves); SIGHUP.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pidAlive, type Project, useProjects, waitFor, quiet } from './harness.js';

const { project, started } = useProjects();

/** name -> pid of every instance (null when not running). */
async function pids(p: Project): Promise<Record<string, number | null>> {
  return Object.fromEntries((await p.status()).map((r) => [r.name, r.pid]));
}

/** Waits until every named instance is running with a pid. */
async function allRunning(p: Project, names: string[], timeoutMs = 10_000): Promise<Record<string, number>> {
  return waitFor(
    async () => {
      const rows = await p.status();
      const ok = names.every((n) => rows.some((r) => r.name === n && r.state === 'running' && typeof r.pid === 'number'));
      return ok ? (Object.fromEntries(rows.map((r) => [r.name, r.pid])) as Record<string, number>) : undefined;
    },
    `${names.join(', ')} running`,
    timeoutMs,
  );
}

/** The argv of a live process, space-joined. */
function cmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
}

const BASE = `
settings: { echo: false, watch: false }
services:
  a:
    command: [sleep, "1001"]
  b:
    command: [sleep, "1002"]
  c:
    command: [sleep, "1003"]
`;

/** The service `probed`, and the same with a liveness probe that fails once the file `dead` exists. */
const PROBED = '\n  probed:\n    command: [sleep, "1002"]\n';
const PROBED_LIVE = `${PROBED}    liveness:\n      exec: test ! -f dead\n      interval: 100ms\n      timeout: 60s\n      failure_threshold: 1\n`; // only the file fails it, not a probe slow to spawn under load

/** A project of BASE, up, with a, b and c running: the project and their pids. */
async function upBase(): Promise<{ p: Project; before: Record<string, number> }> {
  const p = await started(BASE);
  return { p, before: await allRunning(p, ['a', 'b', 'c']) };
}

/**
 * Waits until `name` runs with a pid other than `old` (what: the wait's name), then until that
 * process runs `argv` (exec may still be under way): the pids of `names` then.
 */
async function rerun(
  p: Project,
  names: string[],
  name: string,
  old: number,
  argv: string,
  what: string,
): Promise<Record<string, number>> {
  const x = await waitFor(async () => {
    const now = await allRunning(p, names);
    return now[name] !== old ? now : undefined;
  }, what);
  await waitFor(() => cmdline(x[name]!) === argv, `${name} to run ${argv}`);
  return x;
}

/** `worker` with n replicas; with `other`, beside a service no reload touches. */
function workers(n: number, other = false): string {
  const rest = other ? '\n  other:\n    command: [sleep, "1006"]' : '';
  return quiet(`
  worker:
    command: [sleep, "1005"]
    replicas: ${n}${rest}
`);
}

describe('tend reload converges touching only what changed', () => {
  it('a changed command restarts only that service; the plan names it and counts the rest', async () => {
    const { p, before } = await upBase();
    p.write(BASE.replace('"1001"', '"1011"'));
    const r = await p.run(['reload']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('~ a (command)\n= 2 unchanged\n');
    const after = await rerun(p, ['a', 'b', 'c'], 'a', before.a, 'sleep 1011', 'a new pid for a');
    expect(after.b).toBe(before.b);
    expect(after.c).toBe(before.c);
    expect(pidAlive(before.a)).toBe(false);
    expect((await p.run(['events'])).stdout).toMatch(/tend reload .*~ a \(command\)/);
  });

  it('added -> started, removed -> stopped and gone from status; env and unchanged lines', async () => {
    const { p, before } = await upBase();
    p.write(
      quiet(`
  a:
    command: [sleep, "1001"]
  b:
    command: [sleep, "1002"]
    env: { PORT: "8080" }
  d:
    command: [sleep, "1004"]
`),
    );
    const r = await p.run(['reload']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['+ d', '- c', '= 1 unchanged', '~ b (env.PORT)'].sort());
    const after = await waitFor(async () => {
      const rows = await p.status();
      const names = rows.map((x) => x.name);
      if (names.includes('c') || !names.includes('d')) return undefined;
      return allRunning(p, ['a', 'b', 'd'], 100).catch(() => undefined);
    }, 'c gone and d running');
    expect((await p.status()).map((x) => x.name)).toEqual(['a', 'b', 'd']);
    expect(pidAlive(before.c)).toBe(false);
    expect(after.a).toBe(before.a);
    await waitFor(async () => (await pids(p)).b !== before.b, 'b restarted for its env');
    const bPid = (await allRunning(p, ['b'])).b;
    expect(readFileSync(`/proc/${bPid}/environ`, 'utf8').split('\0')).toContain('PORT=8080');
    // a removed service is unknown afterwards
    expect((await p.run(['start', 'c'])).code).toBe(1);
  });

  it('a renamed service: the old name stops before the new one starts (status says what it waits for)', async () => {
    // srv drains at SIGTERM until the test lets it go, then leaves a mark; the new name notes whether it was there
    const srv = (name: string) =>
      `  ${name}:\n    stop_timeout: 60s\n    command: trap 'until test -e release; do sleep 0.05; done; touch drained; exit 0' TERM; test -e drained && echo after > seen-${name} || echo before > seen-${name}; while :; do sleep 0.1; done\n`;
    const p = await started(`settings: { echo: false, watch: false }\nservices:\n${srv('srv')}`);
    await allRunning(p, ['srv']);
    p.write(`settings: { echo: false, watch: false }\nservices:\n${srv('srv-new')}`);
    expect((await p.run(['reload'])).stdout).toBe('+ srv-new\n- srv\n= 0 unchanged\n');
    const waiting = await waitFor(async () => (await p.status()).find((r) => r.name === 'srv-new'), 'srv-new in status');
    expect(waiting.state).toBe('pending');
    expect(waiting.detail).toBe('waiting for srv to stop (removed by the reload that added it)');
    expect((await p.run(['why', 'srv-new'])).stdout).toContain('It is waiting for srv to stop');
    writeFileSync(join(p.dir, 'release'), '');
    await allRunning(p, ['srv-new'], 20_000);
    expect((await p.status()).map((r) => r.name)).toEqual(['srv-new']);
    await waitFor(async () => existsSync(join(p.dir, 'seen-srv-new')) || undefined, 'srv-new to look');
    expect(readFileSync(join(p.dir, 'seen-srv-new'), 'utf8')).toBe('after\n');
  });

  it('probe and restart-policy changes apply in place: same pid, and the new policy is in force', async () => {
    const p = await started(
      quiet(`
  a:
    command: [sleep, "1001"]
    restart: always
    backoff: { initial: 100ms }
${PROBED}`),
    );
    const before = await allRunning(p, ['a', 'probed']);
    p.write(
      quiet(`
  a:
    command: [sleep, "1001"]
    restart: never
    backoff: { initial: 200ms }
${PROBED_LIVE}`),
    );
    const r = await p.run(['reload']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('~ a (restart, backoff.initial; applied in place, no restart)');
    expect(r.stdout).toContain('~ probed (liveness; applied in place, no restart)');
    expect(r.stdout).toContain('= 0 unchanged');
    expect(await pids(p)).toEqual(before);
    // restart: never now: a killed `a` stays down
    process.kill(before.a, 'SIGKILL');
    await p.waitState('a', 'failed');
    expect((await p.status()).find((x) => x.name === 'a')!.restarts).toBe(0);
  });

  it("settings.logs and a service's logs apply in place to the open log: it rotates at the new max_size, takes the new mode", async () => {
    // a steady writer `w`, with settings.logs and w's own logs as given
    const config = (settingsLogs: string, ownLogs = '') => `
settings: { echo: false, watch: false, logs: ${settingsLogs} }
services:
  w:
    command: i=0; while true; do i=$$((i+1)); echo "line $$i of a steady writer"; sleep 0.005; done
${ownLogs ? `    logs: ${ownLogs}\n` : ''}`;
    const p = await started(config('{ max_size: 1G }'));
    const dir = join(p.dir, '.tend/logs');
    await waitFor(() => existsSync(join(dir, 'w.log')), 'the log file');
    expect(statSync(join(dir, 'w.log')).mode & 0o777).toBe(0o640);
    p.write(config('{ max_size: 4K, keep: 2 }', '{ mode: "0600" }'));
    const r = await p.run(['reload']);
    expect(r.stdout).toContain('~ w (logs.max_size, logs.keep, logs.mode; applied in place, no restart)');
    // at once: the mode; at the next writes: rotation at 4K, two old files kept
    expect(statSync(join(dir, 'w.log')).mode & 0o777).toBe(0o600);
    await waitFor(() => existsSync(join(dir, 'w.log.2')), 'two rotations', 30_000);
    await waitFor(() => existsSync(join(dir, 'w.log.dropped')), 'a third', 30_000);
    expect(existsSync(join(dir, 'w.log.3'))).toBe(false);
    // every file but the first one rotated holds at most 4K (the first had grown before)
    expect(statSync(join(dir, 'w.log.1')).size).toBeLessThanOrEqual(4096);
    expect(statSync(join(dir, 'w.log.1')).mode & 0o777).toBe(0o600);
    // a mode for the rotated files too, at once; a lower keep deletes the file past it at the next rotation
    p.write(config('{ max_size: 4K, keep: 1 }', '{ mode: "0644" }'));
    expect((await p.run(['reload'])).stdout).toContain('~ w (logs.keep, logs.mode; applied in place, no restart)');
    expect([statSync(join(dir, 'w.log')).mode & 0o777, statSync(join(dir, 'w.log.1')).mode & 0o777]).toEqual([0o644, 0o644]);
    await waitFor(() => !existsSync(join(dir, 'w.log.2')), 'w.log.2 deleted at the next rotation', 30_000);
  });

  it('a liveness probe added by reload runs against the live process (failure -> restart)', async () => {
    const p = await started(quiet(PROBED));
    const before = await allRunning(p, ['probed']);
    p.write(quiet(PROBED_LIVE));
    expect((await p.run(['reload'])).stdout).toContain('~ probed (liveness; applied in place, no restart)');
    expect((await pids(p)).probed).toBe(before.probed);
    writeFileSync(join(p.dir, 'dead'), '');
    await waitFor(async () => (await pids(p)).probed !== before.probed, 'the liveness failure to restart probed', 10_000);
  });

  it('replicas 2 -> 3 adds only worker.3; 3 -> 2 removes only worker.3', async () => {
    const yaml = (n: number) => workers(n, true);
    const p = await started(yaml(2));
    const before = await allRunning(p, ['worker.1', 'worker.2', 'other']);
    p.write(yaml(3));
    const up = await p.run(['reload']);
    expect(up.stdout).toBe('+ worker.3\n= 3 unchanged\n');
    const mid = await allRunning(p, ['worker.1', 'worker.2', 'worker.3', 'other']);
    // listed as the config has them: the new replica beside its set, not after `other`
    expect((await p.status()).map((x) => x.name)).toEqual(['worker.1', 'worker.2', 'worker.3', 'other']);
    expect([mid['worker.1'], mid['worker.2'], mid.other]).toEqual([before['worker.1'], before['worker.2'], before.other]);
    p.write(yaml(2));
    const down = await p.run(['reload']);
    expect(down.stdout).toBe('- worker.3\n= 3 unchanged\n');
    await waitFor(async () => !(await p.status()).some((x) => x.name === 'worker.3'), 'worker.3 gone');
    expect(pidAlive(mid['worker.3']!)).toBe(false);
    expect(await pids(p)).toEqual({ 'worker.1': before['worker.1'], 'worker.2': before['worker.2'], other: before.other });
  });

  it('replicas 1 -> 2 replaces `worker` by worker.1 and worker.2 (the names and TEND_REPLICA change)', async () => {
    // Documented in the README: a single instance is `worker`, a set is `worker.1..N`, and each
    // replica gets TEND_REPLICA, so going from 1 to 2 is a new process set, not a scale-up.
    const yaml = (n: number) => workers(n);
    const p = await started(yaml(1));
    const before = await allRunning(p, ['worker']);
    p.write(yaml(2));
    const r = await p.run(['reload']);
    expect(r.stdout).toBe('+ worker.1\n+ worker.2\n- worker\n= 0 unchanged\n');
    const after = await waitFor(async () => {
      const rows = (await p.status()).filter((x) => x.state === 'running');
      return rows.length === 2 && !rows.some((x) => x.name === 'worker') ? rows : undefined;
    }, 'two running workers');
    expect(after.map((x) => x.name).sort()).toEqual(['worker.1', 'worker.2']);
    expect(pidAlive(before.worker!)).toBe(false);
  });

  it('--dry-run prints the plan and changes nothing; the real reload then applies it', async () => {
    const { p, before } = await upBase();
    const same = await p.run(['reload', '--dry-run']);
    expect(same.stdout).toMatch(
      /^the running config already matches tend\.yaml \(read \d+(ms|s) ago at start-up\)\n= 3 unchanged\n/,
    );
    p.write(
      quiet(`
  a:
    command: [sleep, "1011"]
  b:
    command: [sleep, "1002"]
  d:
    command: [sleep, "1004"]
`),
    );
    const dry = await p.run(['reload', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe('+ d\n- c\n~ a (command)\n= 1 unchanged\n(dry run: nothing was changed)\n');
    const json = JSON.parse((await p.run(['reload', '--dry-run', '--json'])).stdout);
    expect(json).toMatchObject({
      added: ['d'],
      removed: ['c'],
      changed: [{ id: 'a', fields: ['command'] }],
      unchanged: 1,
      dry_run: true,
    });
    expect(await pids(p)).toEqual(before);
    expect((await p.run(['events'])).stdout).not.toMatch(/reload/);
    const real = await p.run(['reload']);
    expect(real.stdout).toBe('+ d\n- c\n~ a (command)\n= 1 unchanged\n');
    await waitFor(async () => {
      const x = await pids(p);
      return Object.keys(x).join() === 'a,b,d' && x.a !== before.a && x.d;
    }, 'the plan applied');
    const again = await p.run(['reload', '--dry-run']);
    expect(again.stdout).toMatch(
      /^the running config already matches tend\.yaml \(applied \d+(ms|s) ago by tend reload: \+ d; - c; ~ a \(command\)\)\n= 3 unchanged\n/,
    );
  });

  it('settings that cannot change live are reported as needing a restart', async () => {
    const { p, before } = await upBase();
    p.write(BASE.replace('watch: false }', 'watch: false, log_dir: elsewhere }'));
    const r = await p.run(['reload']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('= 3 unchanged');
    expect(r.stdout).toMatch(/settings\.log_dir changed: needs a restart/);
    expect(await pids(p)).toEqual(before);
  });
});

describe('a broken file changes nothing', () => {
  it('invalid value: reload exits 2 with file:line:col; status shows the error until a good file', async () => {
    const { p, before } = await upBase();
    p.write(BASE.replace('"1001"]', '"1011"]\n    restart: alway').replace('"1002"]', '"1002"]\n    stop_signal: SIGNOPE'));
    const r = await p.run(['reload']);
    expect(r.code).toBe(2);
    // the command prints every problem, one a line
    expect(r.stderr).toMatch(
      /tend\.yaml:\d+:\d+: services\.a\.restart: expected one of always, on-failure, never; got "alway".*\n.*tend\.yaml:\d+:\d+: services\.b\.stop_signal: /,
    );
    expect(await pids(p)).toEqual(before);
    const st = await p.run(['status']);
    expect(st.code).toBe(0);
    expect(st.stderr).toMatch(/tend\.yaml:\d+:\d+: services\.a\.restart[^\n]*\n[^\n]*services\.b\.stop_signal/);
    // the journal's entry is one line (tend events prints one line an entry): the first and how many more
    const events = (await p.run(['events'])).stdout.trimEnd().split('\n');
    for (const line of events) expect(line).toMatch(/^\d{4}-\d{2}-\d{2} /);
    expect(events.filter((l) => l.includes('config rejected'))).toEqual([
      expect.stringMatching(
        /tend reload on request: config rejected, keeping the running one: \S+tend\.yaml:\d+:\d+: services\.a\.restart: .* \(and 1 more problem; tend check lists it\)$/,
      ),
    ]);
    // a dry run of a broken file fails the same way
    expect((await p.run(['reload', '--dry-run'])).code).toBe(2);
    // a good file: applied, and status stops complaining
    p.write(BASE.replace('"1001"', '"1011"'));
    const ok = await p.run(['reload']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('~ a (command)\n= 2 unchanged\n');
    expect((await p.run(['status'])).stderr).toBe('');
  });

  it('a YAML syntax error and an empty file change nothing', async () => {
    const { p, before } = await upBase();
    p.write('services:\n  a:\n    command: [sleep, "1"\n');
    const syntax = await p.run(['reload']);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/tend\.yaml:\d+:\d+/);
    p.write('');
    const empty = await p.run(['reload']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('tend.yaml');
    expect(await pids(p)).toEqual(before);
    for (const pid of Object.values(before)) expect(pidAlive(pid!)).toBe(true);
  });
});

describe('watching the file (settings.watch)', () => {
  const W = (a: string, extra = '') => `
services:
  a:
    command: [sleep, "${a}"]
  b:
    command: [sleep, "1002"]
${extra}`;

  it('a plain write, then an editor-style write-temp-then-rename, each reload by themselves', async () => {
    const p = await started(W('1001'));
    const before = await allRunning(p, ['a', 'b']);
    p.write(W('1011'));
    const first = await rerun(p, ['a', 'b'], 'a', before.a, 'sleep 1011', 'the watcher to restart a');
    // an editor saving: write a temp file, rename it over tend.yaml (a new inode)
    const tmp = join(p.dir, '.tend.yaml.swp');
    writeFileSync(tmp, W('1021'));
    renameSync(tmp, join(p.dir, 'tend.yaml'));
    await rerun(p, ['a', 'b'], 'a', first.a, 'sleep 1021', 'the watcher to restart a after the rename');
    // and the watch survives the rename: a third save is seen too
    writeFileSync(tmp, W('1031', '  c:\n    command: [sleep, "1003"]\n'));
    renameSync(tmp, join(p.dir, 'tend.yaml'));
    const third = await allRunning(p, ['a', 'b', 'c']);
    await waitFor(async () => cmdline((await allRunning(p, ['a'])).a) === 'sleep 1031', 'a to run the third command');
    expect(third.b).toBe(before.b);
    expect((await p.run(['events'])).stdout).toMatch(/file changed/);
  });

  it('a config reached through a link that is swapped (a Kubernetes ConfigMap) reloads, and so does an edit of the file it leads to now', async () => {
    const p = project(W('1001'));
    // tend.yaml -> data/tend.yaml, data -> v1: as a ConfigMap volume shows it
    for (const [v, a] of [
      ['v1', '1001'],
      ['v2', '1011'],
    ] as const) {
      mkdirSync(join(p.dir, v));
      writeFileSync(join(p.dir, v, 'tend.yaml'), W(a));
    }
    rmSync(join(p.dir, 'tend.yaml'));
    symlinkSync('v1', join(p.dir, 'data'));
    symlinkSync('data/tend.yaml', join(p.dir, 'tend.yaml'));
    await p.up();
    const before = await allRunning(p, ['a', 'b']);
    // an edit of v1 through the links: the watch is armed (on v1/tend.yaml)
    writeFileSync(join(p.dir, 'v1', 'tend.yaml'), W('1002'));
    const armed = await rerun(p, ['a', 'b'], 'a', before.a, 'sleep 1002', 'the watcher to restart a after the edit of v1');
    // the update: a new link renamed over the old one
    symlinkSync('v2', join(p.dir, 'data.new'));
    renameSync(join(p.dir, 'data.new'), join(p.dir, 'data'));
    const swapped = await rerun(p, ['a', 'b'], 'a', armed.a, 'sleep 1011', 'the watcher to restart a after the swap');
    // an edit of the file the link leads to now is seen
    writeFileSync(join(p.dir, 'v2', 'tend.yaml'), W('1021'));
    await rerun(p, ['a', 'b'], 'a', swapped.a, 'sleep 1021', 'the watcher to restart a after the edit of v2');
    const reloads = (await p.events()).filter((e) => e.what === 'reload');
    expect(reloads.map((e) => e.why)).toEqual(Array(3).fill('file changed: ~ a (command); = 1 unchanged'));
  });

  it('an env_file edit restarts the services using it: ~ changed (env.X)', async () => {
    const p = await started(
      `
services:
  uses:
    command: echo "X=$X"; exec sleep 1000
    env_file: app.env
  plain:
    command: [sleep, "1002"]
`,
      { 'app.env': 'X=one\n' },
    );
    const before = await allRunning(p, ['uses', 'plain']);
    writeFileSync(join(p.dir, 'app.env'), 'X=two\n');
    await waitFor(
      async () => (await p.events()).some((e) => /~ uses \(env\.X\)/.test(e.why)),
      'the env_file reload in the journal',
    );
    await waitFor(async () => (await pids(p)).uses !== before.uses, 'uses restarted');
    const log = join(p.dir, '.tend/logs/uses.log');
    await waitFor(() => readFileSync(log, 'utf8').includes('out X=two'), 'the new value in the log');
    expect((await pids(p)).plain).toBe(before.plain);
  });

  it('20 rapid saves end in one consistent state: the last file', async () => {
    const version = (i: number) => `
services:
  keep:
    command: [sleep, "1000"]
  a:
    command: [sleep, "${2000 + i}"]
  extra_${i}:
    command: [sleep, "${3000 + i}"]
`;
    const p = await started(version(0));
    const before = await allRunning(p, ['keep', 'a', 'extra_0']);
    for (let i = 1; i <= 20; i++) p.write(version(i)); // no waiting between saves
    await waitFor(
      async () => {
        const rows = await p.status();
        if (rows.map((r) => r.name).join() !== 'keep,a,extra_20') return false;
        if (!rows.every((r) => r.state === 'running')) return false;
        return cmdline(rows[1]!.pid) === 'sleep 2020' && cmdline(rows[2]!.pid) === 'sleep 3020';
      },
      'the state of the last file',
      20_000,
    );
    // the daemon's spec is the file's: a reload now has nothing to do, and says the watch did it
    const dry = await p.run(['reload', '--dry-run']);
    expect(dry.stdout).toMatch(
      /^the running config already matches tend\.yaml \(applied \d+(ms|s) ago by the file watch: .+\)\n= 3 unchanged\n\(dry run: nothing was changed\)\n$/,
    );
    expect((await pids(p)).keep).toBe(before.keep);
    expect(pidAlive(before.a)).toBe(false);
    expect(pidAlive(before.extra_0!)).toBe(false);
  });
});

describe('SIGHUP', () => {
  it('SIGHUP to the daemon reloads the file', async () => {
    const { p, before } = await upBase();
    p.write(BASE.replace('"1002"', '"1012"'));
    p.daemon!.kill('SIGHUP');
    const after = await rerun(p, ['a', 'b', 'c'], 'b', before.b, 'sleep 1012', 'b restarted by SIGHUP');
    expect([after.a, after.c]).toEqual([before.a, before.c]);
    expect((await p.run(['events'])).stdout).toMatch(/SIGHUP: .*~ b \(command\)/);
  });
});
