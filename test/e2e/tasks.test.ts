// Tasks end to end, with the built binary and real time: schedules, tend run (and its overlap),
// timeouts, pools (counted from /proc), approval gates, history on disk, stop/disable/enable.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { askDaemon, pidAlive, useProjects, waitFor } from './harness.js';

const { project, started } = useProjects();

interface Run {
  start: string;
  end: string;
  duration_ms: number;
  exit: Record<string, unknown>;
  trigger: string;
  result: string;
  reason: string;
}

async function history(
  p: { run(a: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> },
  name: string,
  n = 100,
): Promise<Run[]> {
  const r = await p.run(['history', name, '-n', String(n), '--json']);
  if (r.code !== 0) throw new Error(`history failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Run[];
}

/** Processes whose command line is exactly `argv` (read from /proc). */
function processesRunning(argv: string[]): number[] {
  const want = argv.join('\0') + '\0';
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8') === want) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const SETTINGS = 'settings:\n  echo: false\n';

describe('a scheduled task', () => {
  it('@every 1s runs on its own, rests in scheduled with its next run, and keeps 3+ history rows across a restart of tend', async () => {
    const p = await started(
      `${SETTINGS}services:\n  tick:\n    type: oneshot\n    command: echo tick\n    schedule: "@every 1s"\n`,
    );
    // waited for on the socket (a `tend history` process each look was a node start every 25 ms
    // for 3 s); the rows are then read with the CLI
    await waitFor(
      async () => (await askDaemon(p.socket, 'history', { names: ['tick'], lines: 100 }))?.runs.length >= 3,
      'three runs of tick',
      30_000,
    );
    const rows = await history(p, 'tick');
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const r of rows.slice(0, 3))
      expect([r.trigger, r.result, r.exit, r.reason]).toEqual(['schedule', 'completed', { code: 0 }, 'exited with code 0']);
    // each run starts a second (or more) after the end of the one before
    expect(Date.parse(rows[1]!.start) - Date.parse(rows[0]!.end)).toBeGreaterThanOrEqual(1000);
    const row = await waitFor(
      async () => (await p.status()).find((s) => s.name === 'tick' && s.state === 'scheduled' && s.next_run),
      'tick at rest',
    );
    expect(row.last_run.result).toBe('completed');
    expect(row.detail).toMatch(/^next run \d\d:\d\d:\d\d \(in \d+(ms|s)\); last run completed/);
    // -n all: every run kept, as tend logs -n all
    const all = await p.run(['history', 'tick', '-n', 'all', '--json']);
    expect([all.code, (JSON.parse(all.stdout) as Run[]).length >= 3]).toEqual([0, true]);
    const text = (await p.run(['history', 'tick', '-n', '2'])).stdout.split('\n');
    expect(text[0]).toMatch(/^START +END +DURATION +RESULT +EXIT +TRIGGER +REASON$/);
    expect(text[1]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d\d:\d\d:\d\d +\d+m?s +completed +0 +schedule +exited with code 0$/,
    );

    // the history is on disk: read with no daemon (the same rows), and a new tend sees it
    expect((await p.run(['shutdown'])).code).toBe(0);
    await p.exit;
    const offline = await history(p, 'tick');
    expect(offline.slice(0, rows.length)).toEqual(rows);
    const refused = await p.run(['history', 'nope']);
    expect([refused.code, refused.stderr]).toEqual([1, 'tend: unknown service "nope" (known: tick)\n']);
    const before = (await history(await restarted(p), 'tick')).length;
    expect(before).toBeGreaterThanOrEqual(3);
  }, 90_000);

  it('tend stop ends the run and keeps the schedule; disable pauses it (status says so), enable resumes it', async () => {
    const p = await started(`${SETTINGS}services:\n  job:\n    type: oneshot\n    command: sleep 30\n    every: 1h\n`);
    await p.waitState('job', 'scheduled');
    expect((await p.run(['run', 'job', '--no-wait'])).code).toBe(0);
    await p.waitState('job', 'running');
    const pid = (await p.status()).find((s) => s.name === 'job')!.pid as number;
    const stop = await p.run(['stop', 'job']);
    expect(stop.code).toBe(0);
    expect(pidAlive(pid)).toBe(false);
    let row = (await p.status()).find((s) => s.name === 'job')!;
    expect([row.state, typeof row.next_run, row.last_run.result, row.last_run.reason]).toEqual([
      'scheduled',
      'string',
      'failed',
      'stopped by tend stop (killed by SIGTERM)',
    ]);

    expect((await p.run(['disable', 'job'])).stdout).toBe('disabled job: no scheduled runs until tend enable\n');
    row = await waitFor(
      async () => (await p.status()).find((s) => s.name === 'job' && s.next_run === null),
      'the schedule paused',
    );
    expect([row.state, row.paused]).toEqual(['scheduled', true]);
    expect(row.detail).toMatch(/^paused \(tend enable job\); last run failed/);
    expect((await p.run(['enable', 'job'])).stdout).toBe('enabled job: scheduled again\n');
    row = await waitFor(
      async () => (await p.status()).find((s) => s.name === 'job' && s.next_run !== null),
      'the schedule resumed',
    );
    // resumed from now: the next run is an hour away
    expect(Date.parse(row.next_run) - Date.now()).toBeGreaterThan(50 * 60_000);
  }, 60_000);
});

describe('tend run', () => {
  it('a reload gives a resting oneshot with autostart off a schedule: paused until tend enable, which runs it on schedule', async () => {
    const p = await started(
      `${SETTINGS}  watch: false\nservices:\n  resting:\n    type: oneshot\n    autostart: false\n    command: "true"\n`,
    );
    expect(await p.state('resting')).toBe('stopped');
    p.write(
      `${SETTINGS}  watch: false\nservices:\n  resting:\n    type: oneshot\n    autostart: false\n    command: "true"\n    every: 1s\n`,
    );
    expect((await p.run(['reload'])).code).toBe(0);
    const row = (await p.status()).find((r) => r.name === 'resting')!;
    expect([row.state, row.detail]).toEqual(['scheduled', 'paused (tend enable resting); given a schedule by a reload']);
    expect((await p.run(['enable', 'resting'])).code).toBe(0);
    await waitFor(async () => (await history(p, 'resting')).length > 0 || undefined, 'a run on schedule');
    expect((await history(p, 'resting'))[0]).toMatchObject({ trigger: 'schedule', result: 'completed' });
  });

  it('tend wait counts a task whose run is going as started once the run has gone 1 s (it waited for the run)', async () => {
    const p = await started(`${SETTINGS}services:\n  longjob:\n    type: oneshot\n    command: sleep 300\n    every: 1h\n`);
    expect((await p.run(['run', 'longjob', '--no-wait'])).stdout).toBe('longjob: run started\n');
    // the run lasts 5 minutes; the client's own bound (30 s) fails the test if tend waits for it
    const r = await p.run(['wait', 'longjob', '--timeout', '5m']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'started longjob\n', '']);
    expect(await p.state('longjob')).toBe('running');
  });

  it('tend history with no daemon beside a config that has errors reads the history files of its log_dir', async () => {
    const good = `${SETTINGS}services:\n  job:\n    type: oneshot\n    command: "true"\n`;
    const p = await started(good);
    await p.waitState('job', 'completed');
    expect((await p.run(['shutdown'])).code).toBe(0);
    await p.exit;
    p.write(good.replace('type: oneshot', 'type: oneshoot'));
    const r = await p.run(['history', 'job', '--json']);
    expect([r.code, r.stderr]).toEqual([
      0,
      'tend: tend.yaml has an error (tend check -c tend.yaml says which); reading the files in .tend/logs\n',
    ]);
    expect((JSON.parse(r.stdout) as Run[]).map((x) => x.result)).toEqual(['completed']);
    const nope = await p.run(['history', 'nope']);
    expect([nope.code, nope.stderr.split('\n')[1]]).toEqual([1, 'tend: no run history of nope in .tend/logs']);
  });

  it('a run that tend shutdown ends is in the history (read with no daemon)', async () => {
    const p = await started(`${SETTINGS}services:\n  long:\n    type: oneshot\n    command: sleep 300\n`);
    await p.waitState('long', 'running');
    expect((await p.run(['shutdown'])).code).toBe(0);
    await p.exit;
    const runs = await history(p, 'long');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ result: 'failed', exit: { signal: 'SIGTERM' }, trigger: 'start-up' });
    expect(runs[0]!.reason).toMatch(/^stopped/);
  });

  it('runs a task now, follows its output, exits 0 when it completed and 1 when it failed', async () => {
    const p = await started(
      `${SETTINGS}services:\n` +
        '  hello:\n    type: oneshot\n    autostart: false\n    command: "echo one; sleep 0.1; echo two >&2"\n' +
        '  bad:\n    type: oneshot\n    autostart: false\n    command: "echo oops; exit 3"\n',
    );
    const ok = await p.run(['run', 'hello', '--follow']);
    expect(ok.code).toBe(0);
    // stderr lines marked as tend logs marks them
    expect(ok.stdout).toMatch(/^one\nerr two\nhello: completed after \d+m?s \(exited with code 0\)\n$/);
    // --json: each line as tend logs --json prints it, then the result
    const json = (await p.run(['run', 'hello', '-f', '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json.slice(0, 2).map((l) => [Object.keys(l).join(), l.instance, l.stream, l.line])).toEqual([
      ['ts,instance,stream,line', 'hello', 'stdout', 'one'],
      ['ts,instance,stream,line', 'hello', 'stderr', 'two'],
    ]);
    expect(json[2]).toMatchObject({ name: 'hello', result: 'completed' });
    const bad = await p.run(['run', 'bad']);
    expect([bad.code, bad.stdout]).toEqual([1, '']);
    // with the lines it printed, as tend start shows them (it said only the reason)
    expect(bad.stderr).toMatch(/^bad: failed after \d+m?s: exited with code 3\n {2}its last lines:\n {2}\| oops\n$/);
    // this run's lines only: a second run that printed nothing shows none of the first's
    p.write(readFileSync(join(p.dir, 'tend.yaml'), 'utf8').replace('echo oops; exit 3', 'exit 4'));
    expect((await p.run(['reload'])).code).toBe(0);
    const quiet = await p.run(['run', 'bad']);
    expect(quiet.stderr).toMatch(/^bad: failed after \d+m?s: exited with code 4\n$/);
    expect((await history(p, 'bad')).map((r) => [r.trigger, r.result, r.exit])).toEqual([
      ['run', 'failed', { code: 3 }],
      ['run', 'failed', { code: 4 }],
    ]);
    // a replica set too: not a oneshot, said first (not "run one of web.1, web.2", then this)
    const simple = await started(`${SETTINGS}services:\n  web:\n    command: sleep 30\n    replicas: 2\n`);
    for (const name of ['web', 'web.1']) {
      const refused = await simple.run(['run', name]);
      expect([refused.code, refused.stderr]).toEqual([
        2,
        `tend: run: ${name} is not a oneshot (type simple); tend start starts a service\n`,
      ]);
    }
    const hist = await simple.run(['history', 'web.2']);
    expect([hist.code, hist.stderr]).toEqual([
      2,
      'tend: history: web is not a oneshot (type simple); only tasks keep a run history\n',
    ]);
  }, 60_000);

  it('tend start of a task resting between scheduled runs waits for the run it asked for, and fails with it', async () => {
    const p = await started(
      `${SETTINGS}services:\n` + '  yearly:\n    type: oneshot\n    command: "sleep 1.5; exit 2"\n    schedule: "0 0 1 1 *"\n',
    );
    await p.waitState('yearly', 'scheduled');
    const r = await p.run(['start', 'yearly']);
    // not "started yearly" after 1 s of running: the run's end is the answer
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(/^tend: yearly: exited with code 2\n/);
    expect(await p.state('yearly')).toBe('scheduled');
  }, 60_000);

  it('tend start of a resting task, and tend restart of a service, whose asked run never spawns (a dependency failed) fail with that reason', async () => {
    const p = await started(
      `${SETTINGS}services:\n` +
        '  db:\n    command: "sleep 0.2; exit 3"\n    restart: never\n    readiness: { exec: "false", interval: 100ms }\n' +
        '  yearly:\n    type: oneshot\n    command: "true"\n    schedule: "0 0 1 1 *"\n    depends_on: { db: healthy }\n' +
        '  web:\n    command: sleep 30\n    depends_on: { db: healthy }\n',
    );
    await p.waitState('web', 'failed');
    await p.waitState('yearly', 'scheduled');
    // before, both waited for the whole --timeout: no spawn came to judge
    const r = await p.run(['start', 'yearly', '--timeout', '40s']);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(/^tend: yearly: dependency db failed: exited with code 3\n/);
    const w = await p.run(['restart', 'web', '--timeout', '40s']);
    expect([w.code, w.stdout]).toEqual([1, '']);
    expect(w.stderr).toMatch(/^tend: web: dependency db failed: exited with code 3\n/);
  }, 60_000);

  it('a timeout stops a long run (stop signal) and the run fails with that reason', async () => {
    const p = await started(
      `${SETTINGS}services:\n  slow:\n    type: oneshot\n    autostart: false\n    command: sleep 60\n    timeout: 1s\n`,
    );
    const running = p.run(['run', 'slow']);
    const pid = await waitFor(
      async () => (await p.status()).find((s) => s.name === 'slow' && s.state === 'running')?.pid as number,
      'slow running',
    );
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^slow: failed after 1s: timed out after 1s \(killed by SIGTERM\)\n$/);
    expect(pidAlive(pid)).toBe(false);
    const [run] = await history(p, 'slow');
    expect([run!.result, run!.exit, run!.reason]).toEqual([
      'failed',
      { signal: 'SIGTERM' },
      'timed out after 1s (killed by SIGTERM)',
    ]);
    expect((await p.status()).find((s) => s.name === 'slow')!.state).toBe('failed');
  }, 60_000);

  it('overlap: skip refuses a second run, queue runs it after, replace stops the running one first', async () => {
    // each first run waits on a file; a later run ends at once
    const body = (name: string) =>
      `"if [ -e ${name}.once ]; then echo again; exit 0; fi; touch ${name}.once; while [ ! -e ${name}.go ]; do sleep 0.05; done"`;
    const task = (name: string, overlap: string) =>
      `  ${name}:\n    type: oneshot\n    every: 1h\n    overlap: ${overlap}\n    command: ${body(name)}\n`;
    const paused = `${task('qp', 'queue')}    autostart: false\n`;
    const p = await started(`${SETTINGS}services:\n${task('sk', 'skip')}${task('qu', 'queue')}${task('re', 'replace')}${paused}`);
    for (const n of ['sk', 'qu', 're']) {
      expect((await p.run(['run', n, '--no-wait'])).code).toBe(0);
      await p.waitState(n, 'running');
    }
    const skipped = await p.run(['run', 'sk']);
    expect(skipped.code).toBe(1);
    expect(skipped.stderr).toMatch(
      /^tend: sk: skipped a run asked by tend run: the previous run \(started \d+m?s ago\) is still running \(overlap: skip\); tend stop sk ends that run\n$/,
    );

    const replacedPid = (await p.status()).find((s) => s.name === 're')!.pid as number;
    const replaced = await p.run(['run', 're']);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toMatch(
      /^re: completed after \d+m?s \(exited with code 0\) \(it replaced the run that was going\)\n$/,
    );
    expect(pidAlive(replacedPid)).toBe(false);
    expect((await history(p, 're')).map((r) => [r.trigger, r.result, r.reason])).toEqual([
      ['run', 'failed', 'replaced by a run asked by tend run (overlap: replace) (killed by SIGTERM)'],
      ['run', 'completed', 'exited with code 0'],
    ]);

    const queued = p.run(['run', 'qu']);
    await waitFor(async () => (await p.events()).some((e) => e.service === 'qu' && e.what === 'queue'), 'the run queued');
    expect((await history(p, 'qu')).length).toBe(0); // the first run is still going
    writeFileSync(`${p.dir}/qu.go`, '');
    const q = await queued;
    expect(q.code).toBe(0);
    expect(q.stdout).toMatch(/\(queued behind the run that was going\)\n$/);
    const runs = await history(p, 'qu');
    expect(runs.map((r) => [r.trigger, r.result])).toEqual([
      ['run', 'completed'],
      ['run', 'completed'],
    ]);
    expect(Date.parse(runs[1]!.start)).toBeGreaterThanOrEqual(Date.parse(runs[0]!.end));
    const kinds = (await p.events())
      .filter((e) => ['skip', 'queue', 'replace'].includes(e.what))
      .map((e) => `${e.service} ${e.what}`);
    expect(kinds).toEqual(['sk skip', 're replace', 'qu queue']);

    // a paused task (autostart off, or tend disable): tend run still runs it, and a run it queued
    // runs after the going one (it was dropped, and the `tend run` waiting for it never returned)
    expect((await p.run(['run', 'qp', '--no-wait'])).code).toBe(0);
    await p.waitState('qp', 'running');
    const behind = p.run(['run', 'qp']);
    await waitFor(async () => (await p.events()).some((e) => e.service === 'qp' && e.what === 'queue'), 'the paused run queued');
    writeFileSync(`${p.dir}/qp.go`, '');
    const b = await behind;
    expect([b.code, b.stderr]).toEqual([0, '']);
    expect(b.stdout).toMatch(/\(queued behind the run that was going\)\n$/);
    expect((await history(p, 'qp')).map((r) => [r.trigger, r.result])).toEqual([
      ['run', 'completed'],
      ['run', 'completed'],
    ]);
  }, 90_000);

  it('tend stop while a replacing run waits for the replaced one to end: that run is dropped, and its tend run says so', async () => {
    // the going run takes its time to end at SIGTERM (until the test lets it), so the replacing one waits
    const cmd = `trap 'until test -e let-go; do sleep 0.05; done; exit 0' TERM; while :; do sleep 0.05; done`;
    const p = await started(
      `${SETTINGS}services:\n  rp:\n    type: oneshot\n    every: 1h\n    overlap: replace\n    stop_timeout: 60s\n    command: ${JSON.stringify(cmd)}\n`,
    );
    expect((await p.run(['run', 'rp', '--no-wait'])).code).toBe(0);
    await p.waitState('rp', 'running');
    const replacing = p.run(['run', 'rp']);
    await p.waitState('rp', 'stopping');
    const stop = p.run(['stop', 'rp']);
    await waitFor(async () => (await p.events()).some((e) => e.service === 'rp' && e.what === 'skip'), 'the drop');
    writeFileSync(join(p.dir, 'let-go'), '');
    expect((await stop).code).toBe(0);
    const r = await replacing;
    expect([r.code, r.stderr]).toEqual([
      1,
      'rp: failed: the queued run was dropped (tend stop) before it started (it replaced the run that was going)\n',
    ]);
    expect(await p.state('rp')).toBe('scheduled');
  });

  it('tend stop of a task drops its queued run too, and the tend run waiting for it says so', async () => {
    const p = await started(
      `${SETTINGS}services:\n  sq:\n    type: oneshot\n    every: 1h\n    overlap: queue\n    command: sleep 300\n`,
    );
    expect((await p.run(['run', 'sq', '--no-wait'])).code).toBe(0);
    await p.waitState('sq', 'running');
    const queued = p.run(['run', 'sq']);
    await waitFor(async () => (await p.events()).some((e) => e.service === 'sq' && e.what === 'queue'), 'the run queued');
    expect((await p.run(['stop', 'sq'])).stdout).toBe('stopped sq\n');
    const q = await queued;
    expect([q.code, q.stderr]).toEqual([
      1,
      'sq: failed: the queued run was dropped (tend stop) before it started (queued behind the run that was going)\n',
    ]);
    expect(await p.state('sq')).toBe('scheduled');
    expect((await history(p, 'sq')).map((r) => r.reason)).toEqual(['stopped by tend stop (killed by SIGTERM)']);
    expect((await p.events()).filter((e) => e.service === 'sq' && e.what === 'skip').map((e) => e.why)).toEqual([
      'dropped the queued run: tend stop',
    ]);
  });
});

describe('pools', () => {
  it('a pool of 2 never has 3 running (counted from /proc); the others wait in pending saying why', async () => {
    const marker = ['sleep', '1.37'];
    // each job waits for the test's go, so that the wait in the pool is seen however slow the machine
    const job = `sh -c 'while [ ! -e go ]; do sleep 0.05; done; exec sleep 1.37'`;
    const jobs = [1, 2, 3, 4, 5]
      .map((k) => `  job${k}:\n    type: oneshot\n    command: ${JSON.stringify(job)}\n    pool: two\n`)
      .join('');
    const later = `  job6:\n    type: oneshot\n    autostart: false\n    command: ${JSON.stringify(job)}\n    pool: two\n`;
    const p = project(`settings:\n  echo: false\n  pools: { two: 2 }\nservices:\n${jobs}${later}`);
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, processesRunning(marker).length);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await p.up();
    const waiting = await waitFor(
      async () => (await p.status()).find((s) => s.state === 'pending' && s.detail),
      'a job waiting for the pool',
    );
    expect(waiting.detail).toBe('waiting for pool two (2 running)');
    expect((await p.run(['why', waiting.name])).stdout).toContain('It is waiting for pool two (2 running).');
    // a run asked for now waits too, and --no-wait says for what
    expect((await p.run(['run', 'job6', '--no-wait'])).stdout).toBe('job6: run asked, waiting for pool two (2 running)\n');
    writeFileSync(join(p.dir, 'go'), '');
    await waitFor(async () => (await p.status()).every((s) => s.state === 'completed'), 'every job completed', 60_000);
    sampling = false;
    await sampler;
    expect(most).toBe(2);
  }, 90_000);
});

describe('approval', () => {
  it('a gated oneshot waits for tend approve (journaled with uid and pid), and tend reject fails it and its dependents', async () => {
    const p = await started(
      `${SETTINGS}services:\n` +
        '  deploy:\n    type: oneshot\n    approval: true\n    command: echo deployed\n' +
        '  web:\n    command: sleep 30\n    depends_on: { deploy: completed }\n' +
        '  risky:\n    type: oneshot\n    approval: true\n    command: echo never\n' +
        '  after:\n    type: oneshot\n    command: echo after\n    depends_on: { risky: completed }\n' +
        '  idle:\n    command: sleep 30\n    autostart: false\n' +
        '  never:\n    command: sleep 30\n    readiness: { exec: "false", interval: 100ms }\n',
    );
    // one that comes to need a person while waited for (here a tend stop) ends the wait there, not
    // at its timeout (the wait is given a second to be asked first: on a slow machine the check of
    // its start may see the stop instead, which says the same)
    const waiting = p.run(['wait', 'never', '--timeout', '50s']);
    await delay(1000);
    expect((await p.run(['stop', 'never'])).code).toBe(0);
    const ended = await waiting;
    expect(ended.code).toBe(1);
    expect(ended.stderr).toMatch(/^tend: never: (stopping|stopped) \(not wanted up\): tend start never\n$/);
    const row = await waitFor(async () => (await p.status()).find((s) => s.name === 'deploy' && s.detail), 'deploy waiting');
    expect([row.state, row.detail]).toEqual(['pending', 'waiting for approval (tend approve deploy)']);
    expect(await p.state('web')).toBe('pending');
    // a start that times out says what it waits for (it said only "pending")
    const short = await p.run(['start', 'deploy', '--timeout', '300ms']);
    expect([short.code, short.stderr]).toEqual([
      1,
      'tend: timed out after 300ms waiting for deploy (pending, waiting for approval (tend approve deploy))\n',
    ]);
    // a wait for what a person must let go (a gate, a stopped service) fails at once, saying what does
    const held = await p.run(['wait', 'web', 'deploy', 'idle']);
    expect([held.code, held.stdout, held.stderr]).toEqual([
      1,
      '',
      'tend: web: waiting for deploy: completed (deploy waits for approval: tend approve deploy)\n' +
        'tend: deploy: waiting for approval (tend approve deploy)\n' +
        'tend: idle: stopped (not wanted up): tend start idle\n',
    ]);
    // without names: those behind a gate are not waited for, and it says so (it skipped them silently)
    const all = await p.run(['wait', '--timeout', '30s']);
    expect([all.code, all.stderr]).toEqual([0, '']);
    expect(all.stdout).toContain(
      'not waited for, behind an approval gate: deploy, web, risky, after (tend approve deploy risky)\n',
    );
    // why of the dependent names the gate its dependency waits at
    expect((await p.run(['why', 'web'])).stdout).toContain(
      'web waits for deploy: completed; deploy is pending (waiting for approval (tend approve deploy)).',
    );
    const ok = await p.run(['approve', 'deploy']);
    expect([ok.code, ok.stdout]).toEqual([0, 'approved deploy\n']);
    await p.waitState('deploy', 'completed');
    await p.waitState('web', 'running');
    const approvedBy = (await p.events()).find((e) => e.service === 'deploy' && e.what === 'approve')!;
    expect(approvedBy.why).toMatch(new RegExp(`^approved by uid ${process.getuid!()} \\(pid \\d+\\)$`));

    const again = await p.run(['approve', 'deploy']);
    expect([again.code, again.stderr]).toEqual([2, 'tend: approve: deploy is not waiting for approval (it is completed)\n']);
    expect((await p.run(['reject', 'risky'])).stdout).toBe('rejected risky\n');
    await p.waitState('risky', 'failed');
    await p.waitState('after', 'failed');
    const rows = await p.status();
    expect(rows.find((s) => s.name === 'risky')!.detail).toMatch(/^rejected by uid \d+ \(pid \d+\)$/);
    expect(rows.find((s) => s.name === 'after')!.detail).toMatch(/^dependency risky failed: rejected by uid/);
    // runs that never started are in the histories, as failed and not run
    const [rejected] = await history(p, 'risky');
    expect(rejected).toMatchObject({ exit: { not_started: true }, result: 'failed', trigger: 'start-up' });
    expect(rejected!.reason).toMatch(/^rejected by uid \d+ \(pid \d+\)$/);
    const [unstarted] = await history(p, 'after');
    expect(unstarted).toMatchObject({
      exit: { not_started: true },
      result: 'failed',
      reason: expect.stringMatching(/^dependency risky failed/),
    });
    const table = (await p.run(['history', 'risky'])).stdout.split('\n')[1]!;
    expect(table).toMatch(/ failed +not run +start-up +rejected by uid /);
    const [done] = await history(p, 'deploy');
    expect(done).toMatchObject({ exit: { code: 0 }, result: 'completed' });
    // a next run rejected: tend wait says it never ran, not the lines of the run before ("deployed")
    expect((await p.run(['run', 'deploy', '--no-wait'])).code).toBe(0);
    expect((await p.run(['reject', 'deploy'])).code).toBe(0);
    const waited = await p.run(['wait', 'deploy']);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(/^tend: deploy: rejected by uid \d+ \(pid \d+\); it never ran, so it printed nothing\n$/);
  }, 60_000);
});

/** The project's daemon started again (after its shutdown), for what survives a restart. */
async function restarted<P extends { up(): Promise<void> }>(p: P): Promise<P> {
  await p.up();
  return p;
}
