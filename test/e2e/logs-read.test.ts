// Reading logs as people search them (issue 14), end to end with the built binary: -n from any
// depth of the files (current and rotated) with a note for what rotation took, --since/--until,
// --grep (also with -n and -f), -t, --json, err marks, prefixes of one width (the followers, -f,
// are in logs-follow.test.ts), tend logs and tend events with no daemon, the journal on disk
// across a restart, who asked, a failed start and `why` with the last lines, log_format json, and
// a 1 GB log (made by the generator) read from its end and by binary search.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tend, range, useFollowers, useProjects, waitFor, quiet } from './harness.js';

const { started } = useProjects();
const follow = useFollowers();

const numbers = (text: string): number[] => text.trim().split('\n').filter(Boolean).map(Number);

describe('tend logs reads the files', () => {
  it('-n reaches into the rotated files, in order; lines rotated away past keep are said to be gone, on stderr', async () => {
    const p = await started(
      quiet(`
  rot:
    command: seq 1 20000; exec sleep 1000
    logs: { max_size: 64k, keep: 3 }
`),
    );
    await waitFor(async () => (await p.run(['logs', 'rot', '-n', '1'])).stdout === '20000\n', 'line 20000');
    // 20000 lines of ~35 bytes: ~700 KB, 64 KB a file, 3 kept: the oldest lines are gone
    const all = await p.run(['logs', 'rot', '-n', '100000']);
    const got = numbers(all.stdout);
    expect(got[got.length - 1]).toBe(20000);
    expect(got).toEqual(range(got[0]!, 20000));
    expect(got[0]).toBeGreaterThan(1);
    expect(all.stderr).toMatch(
      /^tend: older lines are gone, rotated away: rot before \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \(logs\.keep 3\)\n$/,
    );
    // -n all: the same lines, read forwards (no pass back from the end), and the same note
    const every = await p.run(['logs', 'rot', '-n', 'all']);
    expect(every.stdout).toBe(all.stdout);
    expect(every.stderr).toBe(all.stderr);
    const bad = await p.run(['logs', 'rot', '-n', 'every']);
    expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([2, 'tend: -n: expected a whole number or "all"; got "every"']);
    // a -n the files hold: from the end, no note
    const some = await p.run(['logs', 'rot', '-n', '3000']);
    expect(numbers(some.stdout)).toEqual(range(17001, 20000));
    expect(some.stderr).toBe('');
  });

  it('--since/--until, --grep (-i, with -n), -t, --json, err marks, one-width prefixes for a replica set', async () => {
    const p = await started(
      quiet(`
  web:
    replicas: 2
    command: for i in 1 2 3 4 5 6; do echo "req $i ok"; done; echo "req 7 TIMEOUT" >&2; exec sleep 1000
  longer-name:
    command: echo hello; exec sleep 1000
`),
    );
    await waitFor(async () => (await p.run(['logs', 'web', 'longer-name'])).stdout.split('\n').length > 15, 'every line');
    // a replica set: both instances, prefixed, padded to one width; stderr marked
    const both = (await p.run(['logs', 'web', '-n', '100'])).stdout.trim().split('\n');
    expect(both.filter((l) => l.startsWith('web.1 | ')).map((l) => l.slice(8))).toEqual([
      ...range(1, 6).map((i) => `req ${i} ok`),
      'err req 7 TIMEOUT',
    ]);
    expect(both.filter((l) => l.startsWith('web.2 | '))).toHaveLength(7);
    const mixed = (await p.run(['logs', 'web.1', 'longer-name'])).stdout.trim().split('\n');
    expect(mixed).toContain('longer-name | hello');
    expect(mixed).toContain('web.1       | req 1 ok');
    // grep: a JavaScript regex, -i, and the last N matching
    expect((await p.run(['logs', 'web.1', '--grep', 'timeout'])).stdout).toBe('');
    expect((await p.run(['logs', 'web.1', '--grep', 'timeout', '-i'])).stdout).toBe('err req 7 TIMEOUT\n');
    expect((await p.run(['logs', 'web.1', '--grep', 'req [2-5] ok', '-n', '2'])).stdout).toBe('req 4 ok\nreq 5 ok\n');
    const bad = await p.run(['logs', 'web.1', '--grep', '(a)\\1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/backreferences .* not supported: tend matches in linear time/);
    // -t: the time of each line
    expect((await p.run(['logs', 'web.1', '-n', '1', '-t'])).stdout).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} err req 7 TIMEOUT\n$/,
    );
    // --json: {ts, instance, stream, line} a line
    const json = (await p.run(['logs', 'web', '-n', '2', '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json).toHaveLength(2);
    for (const o of json) {
      expect(Object.keys(o)).toEqual(['ts', 'instance', 'stream', 'line']);
      expect(o.ts).toMatch(/Z$/);
    }
    // time ranges: everything is after a minute ago, nothing is before it
    expect(numbers((await p.run(['logs', 'longer-name', '--since', '1m'])).stdout.replace('hello', '1'))).toEqual([1]);
    expect((await p.run(['logs', 'longer-name', '--until', '1m'])).stdout).toBe('');
    const future = await p.run(['logs', 'longer-name', '--since', 'soon']);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('"soon" is not a time');
  });

  it('says so when there is no log file (or journal) at all (it printed nothing, exit 0, as for a quiet service)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-e2e-nolog-'));
    try {
      writeFileSync(join(dir, 'tend.yaml'), 'settings:\n  log_dir: elsewhere\nservices:\n  a:\n    command: sleep 1\n');
      const r = await tend(dir, ['logs', 'a']);
      expect(r).toEqual({
        code: 0,
        stdout: '',
        stderr: `tend: no log file in ${join(dir, 'elsewhere')} yet: a printed nothing so far\n`,
      });
      // and no journal (a log_dir changed since the last tend ran, say)
      expect(await tend(dir, ['events'])).toEqual({
        code: 0,
        stdout: '',
        stderr: `tend: no journal in ${join(dir, 'elsewhere')} yet (tend.events): tend writes it while it runs\n`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('events --grep RE (-i, with -n, with names, with -f) matches service, what and why, with a daemon and without', async () => {
    const p = await started(
      quiet(`
  x:
    command: exit 4
    restart: never
  w:
    command: exec sleep 1000
`),
    );
    await p.waitState('x', 'failed');
    await p.waitState('w', 'running');
    const lines = (r: { stdout: string }) => r.stdout.trim().split('\n');
    const code4 = lines(await p.run(['events', '--grep', 'exited with code 4']));
    expect(code4.length).toBeGreaterThan(0);
    expect(code4.every((l) => / x .*exited with code 4/.test(l))).toBe(true);
    expect(code4.some((l) => / x exit exited with code 4$/.test(l))).toBe(true);
    // the last N matching; names and --grep together; -i
    const spawns = lines(await p.run(['events', '--grep', '^[wx] spawn ']));
    expect(spawns).toHaveLength(2);
    expect(lines(await p.run(['events', '--grep', '^[wx] spawn ', '-n', '1']))).toEqual([spawns[1]]);
    expect(lines(await p.run(['events', 'w', '--grep', 'spawn pid']))).toEqual([spawns.find((l) => / w spawn /.test(l))]);
    expect((await p.run(['events', '--grep', 'SPAWN PID'])).stdout).toBe('');
    expect(lines(await p.run(['events', '--grep', 'SPAWN PID', '-i']))).toEqual(spawns);
    // -f: the matching entries of the file, then the live ones
    const f = follow(p, ['events', '-f', '--grep', 'w spawn']);
    await waitFor(() => f.lines().length === 1, `the follower to print w's spawn: ${f.err()}`);
    expect((await p.run(['restart', 'w'])).code).toBe(0);
    await waitFor(() => f.lines().length === 2, `the follower to print w's second spawn: ${f.lines().join('|')}`);
    expect(f.lines()).toEqual([
      expect.stringMatching(/ w spawn pid \d+$/),
      expect.stringMatching(/ w spawn pid \d+ \(restart 1\)$/),
    ]);
    // a pattern that cannot run is a usage error; -i alone too
    const bad = await p.run(['events', '--grep', '(a)\\1']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/^tend: --grep: .*backreferences/)]);
    expect((await p.run(['events', '-i'])).stderr).toContain('tend: -i goes with --grep RE');
    // without a daemon: the same entries, read from tend.events
    const before = (await p.run(['events', '--grep', 'exited with code 4'])).stdout;
    expect((await p.run(['shutdown'])).code).toBe(0);
    await p.exit;
    expect((await p.run(['events', '--grep', 'exited with code 4'])).stdout).toBe(before);
  });

  it("works with no daemon: logs (and -f) from the config's log_dir, events from tend.events, which survives a restart", async () => {
    const p = await started(
      quiet(`
  crash:
    command: echo "about to fail"; echo "the reason" >&2; exit 3
    restart: never
`),
    );
    await p.waitState('crash', 'failed');
    // who asked is journaled: uid and pid of the asker
    await p.run(['start', 'crash']);
    const before = (await p.run(['events', 'crash'])).stdout;
    expect(before).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} crash request tend start crash asked by uid \d+ \(pid \d+\)$/m,
    );
    expect((await p.run(['shutdown'])).code).toBe(0);
    await p.exit;
    expect(existsSync(p.socket)).toBe(false);
    const logs = await p.run(['logs', 'crash', '-n', '2']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toBe('about to fail\nerr the reason\n');
    const unknown = await p.run(['logs', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown service "nope" (known: crash)');
    const events = (await p.run(['events', 'crash'])).stdout;
    expect(events).toContain(before.trim().split('\n')[0]);
    expect(events).toMatch(/crash state .*failed/);
    // a new daemon: the journal of the last one is still there, followed by its own
    await p.up();
    await p.waitState('crash', 'failed');
    const again = (await p.run(['events', '-n', '100000'])).stdout;
    expect(again.indexOf(before.trim().split('\n')[0]!)).toBeGreaterThanOrEqual(0);
    // --since: none of it is older than a minute ago; all of it is older than now
    expect((await p.run(['events', '--until', '1m'])).stdout).toBe('');
    await p.run(['shutdown']);
    await p.exit;
    // -f with no daemon: the file, then what is appended to it
    const f = follow(p, ['logs', 'crash', '-f', '-n', '1']);
    await waitFor(() => f.lines().includes('err the reason'), `the last line: ${f.lines().join('|')} ${f.err()}`);
    const file = join(p.dir, '.tend/logs/crash.log');
    writeFileSync(file, `${readFileSync(file, 'utf8')}${new Date().toISOString()} out appended later\n`);
    await waitFor(() => f.lines().includes('appended later'), `the appended line: ${f.lines().join('|')}`);
  }, 60_000);

  it('with a config that has errors and no daemon: logs and events read the files of its log_dir, and say why', async () => {
    const good = `settings: { echo: false, watch: false, log_dir: "\${LOGS:-kept}" }
services:
  web:
    command: echo "from $$TEND_INSTANCE"; echo "oops $$TEND_INSTANCE" >&2; exec sleep 1000
    replicas: 2
  db:
    command: echo "db up"; exec sleep 1000
`;
    const p = await started(good);
    await waitFor(async () => (await p.run(['logs', 'all'])).stdout.split('\n').length === 6, 'the five lines');
    expect((await p.run(['shutdown'])).code).toBe(0);
    await p.exit;
    // the edit that broke it: a key misspelled, and a list left open
    p.write(good.replace('command: echo "db up"', 'comand: echo "db up"').replace('replicas: 2', 'replicas: [2'));
    const checked = await p.run(['check']);
    expect(checked.code).toBe(2);
    const web = await p.run(['logs', 'web']);
    expect([web.code, web.stderr]).toEqual([
      0,
      'tend: tend.yaml has an error (tend check -c tend.yaml says which); reading the files in kept\n',
    ]);
    expect(web.stdout.split('\n').sort()).toEqual(
      ['', 'web.1 | from web.1', 'web.1 | err oops web.1', 'web.2 | from web.2', 'web.2 | err oops web.2'].sort(),
    );
    const all = await p.run(['logs', 'all', '--json']);
    expect(all.code).toBe(0);
    const instances = all.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).instance as string);
    expect([...new Set(instances)].sort()).toEqual(['db', 'web.1', 'web.2']);
    const nope = await p.run(['logs', 'nope']);
    expect(nope.code).toBe(1);
    expect(nope.stderr).toContain('tend: no log files of nope in kept\n');
    // the journal is in the same folder; web's events are its replicas'
    const events = await p.run(['events', 'web']);
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/ web\.1 state .*running/);
    expect(events.stdout).not.toMatch(/ db /);
    // the folder as the config's variable says it (here: one with no files)
    const moved = await p.run(['logs', 'web'], { LOGS: 'elsewhere' });
    expect(moved.code).toBe(1);
    expect(moved.stderr).toContain('reading the files in elsewhere\ntend: no log files of web in elsewhere\n');
  }, 60_000);
});

describe('failures say what the service printed', () => {
  it('a service removed from the config keeps its logs readable (its files stay), with a daemon and without', async () => {
    const p = await started(
      quiet(`
  a:
    command: echo "from a"; exec sleep 1000
  old:
    # old.2 speaks once old.1's line is in its file: the lines are merged by time, and the two
    # started together printed in either order on a loaded machine (want below is in this one)
    command: '[ "$$TEND_REPLICA" = 1 ] || until grep -qs "from old.1" .tend/logs/old.1.log; do sleep 0.01; done; echo "from $$TEND_INSTANCE"; exec sleep 1000'
    replicas: 2
`),
    );
    await waitFor(async () => (await p.run(['logs', 'old'])).stdout.split('\n').length === 3, 'the lines of old');
    p.write(quiet(`\n  a:\n    command: echo "from a"; exec sleep 1000\n`));
    expect((await p.run(['reload'])).code).toBe(0);
    await p.waitState('a', 'running');
    // it said unknown service "old" (known: a), though its files are there; tend events reads it
    const want = { code: 0, stdout: 'old.1 | from old.1\nold.2 | from old.2\n', stderr: '' };
    expect(await p.run(['logs', 'old'])).toEqual(want);
    expect((await p.run(['logs', 'old.2', 'a'])).stdout).toBe('a     | from a\nold.2 | from old.2\n');
    const typo = await p.run(['logs', 'olf']);
    expect([typo.code, typo.stderr]).toEqual([1, 'tend: unknown service "olf" (known: a)\n']);
    // the events of the removed replica set, by its name (it said unknown service "old")
    const removedEvents = async (): Promise<string[]> => {
      const r = await p.run(['events', 'old', '--json']);
      expect([r.code, r.stderr]).toEqual([0, '']);
      return [...new Set((JSON.parse(r.stdout) as Array<{ service: string }>).map((e) => e.service))].sort();
    };
    expect(await removedEvents()).toEqual(['old.1', 'old.2']);
    await p.run(['shutdown']);
    await p.exit;
    expect(await p.run(['logs', 'old'])).toEqual(want);
    expect((await p.run(['logs', 'olf'])).code).toBe(1);
    expect(await removedEvents()).toEqual(['old.1', 'old.2']);
  });

  it('a failed start and `tend why` show the last lines (up to 10) under the reason', async () => {
    // stdout and stderr are two pipes with no order between them: the service writes its err line
    // only once tend has shown its 15th step (a go file), so the err line is the last one printed;
    // the readiness probe that never passes keeps `start` waiting until the exit
    const p = await started(
      quiet(`
  bad:
    command: for i in $(seq 1 15); do echo "step $i"; done; while [ ! -e go ]; do sleep 0.01; done; echo "cannot bind :8080" >&2; exit 1
    readiness: { exec: test -e never }
    restart: never
    autostart: false
`),
    );
    const start = p.run(['start', 'bad']);
    await waitFor(async () => (await p.run(['logs', 'bad', '-n', '1'])).stdout === 'step 15\n', 'the 15th step in the log');
    writeFileSync(join(p.dir, 'go'), '');
    const r = await start;
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^tend: bad: /);
    expect(lines.slice(1)).toEqual([
      '  its last lines:',
      ...range(7, 15).map((i) => `  | step ${i}`),
      '  | err cannot bind :8080',
    ]);
    const why = (await p.run(['why', 'bad'])).stdout;
    expect(why).toContain('  its last lines:\n  | step 7\n');
    expect(why).toContain('  | step 15\n  | err cannot bind :8080');
  });

  it('a failed start shows only the lines printed since it was asked, not those of the runs before', async () => {
    const p = await started(
      quiet(`
  crash:
    command: n=$$(cat n 2>/dev/null || echo 0); n=$$((n+1)); echo $$n > n; echo "attempt $$n"; exit 3
    backoff: { initial: 0 }
    start_limit: { burst: 2, interval: 1h }
`),
    );
    await p.waitState('crash', 'failed');
    expect((await p.run(['logs', 'crash'])).stdout).toBe('attempt 1\nattempt 2\n');
    const r = await p.run(['start', 'crash']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').slice(1)).toEqual(['  its last lines:', '  | attempt 3', '  | attempt 4', '']);
  });
});

describe('settings.log_format: json', () => {
  it("the echo is one JSON object a line {ts, service, instance, stream, line}; tend's state lines are JSON too", async () => {
    const p = await started(`
settings: { watch: false, log_format: json }
services:
  api:
    replicas: 2
    command: echo '"quoted" line'; echo oops >&2; exec sleep 1000
`);
    await waitFor(() => p.out.split('\n').filter((l) => l.includes('oops')).length === 2, `the echo: ${p.out}`);
    const objs = p.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(Object.keys(objs[0])).toEqual(['ts', 'service', 'instance', 'stream', 'line']);
    expect(objs).toContainEqual(
      expect.objectContaining({ service: 'api', instance: 'api.1', stream: 'stdout', line: '"quoted" line' }),
    );
    expect(objs).toContainEqual(expect.objectContaining({ service: 'api', instance: 'api.2', stream: 'stderr', line: 'oops' }));
    await waitFor(() => /"state":"running"/.test(p.err), `a state line: ${p.err}`);
    const own = p.err
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const o of own) expect(o).toHaveProperty('ts');
    // service and instance as in the echo (service held the instance: a collector split replicas)
    expect(own).toContainEqual(expect.objectContaining({ service: 'api', instance: 'api.2', what: 'state', state: 'running' }));
  });
});

describe('a probe regex with catastrophic backtracking does not freeze the daemon', () => {
  it('readiness log ^(a+)+$ against long lines: status still answers (linear-time matching)', async () => {
    const p = await started(
      quiet(`
  evil:
    command: for i in 1 2 3 4 5; do echo "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"; done; echo aaaa; exec sleep 1000
    readiness: { log: "^(a+)+$" }
`),
    );
    // with a backtracking engine each of those lines takes minutes; here the last one matches
    await p.waitState('evil', 'running', 30_000);
    expect((await p.run(['status'])).code).toBe(0);
  });
});

describe('a 1 GB log', () => {
  it('-n 100 reads from the end and --since seeks by binary search (times printed); the lines are right', async () => {
    const dir = join(process.env.TMPDIR ?? '/tmp', `tend-1g-${process.pid}`);
    mkdirSync(join(dir, 'logs'), { recursive: true });
    try {
      writeFileSync(join(dir, 'tend.yaml'), 'settings: { log_dir: logs }\nservices:\n  big:\n    command: sleep 1\n');
      const { generateLog, genLine, genTime, GEN_LINE } = await import('../../src/logs/generate.js');
      const lines = Math.floor(1024 ** 3 / GEN_LINE);
      // the lines span the last ~3 hours up to now: 4 a ms
      const o = { t0: Date.now() - Math.floor(lines / 4), msPerLine: 0.25 };
      generateLog({ file: join(dir, 'logs/big.log'), lines, ...o });
      const run = async (args: string[]) => {
        const t = performance.now();
        const r = await tend(dir, args, { timeoutMs: 120_000 });
        return { ...r, ms: performance.now() - t };
      };
      const last = await run(['logs', 'big', '-n', '100', '--json']);
      expect(last.code, last.stderr).toBe(0);
      const got = last.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(got.map((x) => x.line)).toEqual(range(lines - 100, lines - 1).map((s) => genLine(o, s).slice(29)));
      // a time (not a duration from now: the generation takes seconds, more under load): the last
      // minute of the file, ~240,000 lines at 4 a ms (from the first line of its ms)
      const first = Math.ceil((lines - 240_000) / 4) * 4;
      const since = await run(['logs', 'big', '--since', new Date(genTime(o, first)).toISOString()]);
      expect(since.code, since.stderr).toBe(0);
      const sinceLines = since.stdout.trim().split('\n');
      expect(sinceLines).toHaveLength(lines - first);
      const plain = (seq: number) => `${seq % 10 === 9 ? 'err ' : ''}${genLine(o, seq).slice(29)}`;
      expect(sinceLines[0]).toBe(plain(first));
      expect(sinceLines.at(-1)).toBe(plain(lines - 1));
      console.log(
        `1 GB log (${lines} lines): logs -n 100 ${last.ms.toFixed(0)} ms, logs --since (a minute before the end) ${since.ms.toFixed(0)} ms (${sinceLines.length} lines), with node start`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
