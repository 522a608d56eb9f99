// Log capture end to end with the built binary (issue 5): every line once and in order after
// 50 MB, rotation under load, `tend logs -n`, `-f` (latency, several followers, `all`),
// `tend events -f`, stderr tags, an unwritable log dir, tty services, partial lines at exit.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type JournalEvent, pidAlive, type Project, useFollowers, useProjects, waitFor, quiet } from './harness.js';

const { project, started } = useProjects();
const follow = useFollowers();

/** A line of the log file: ISO time with ms, the stream tag, the text. */
const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (out|err) /;
/** bytes of `2026-11-25T15:35:11.123Z out ` */
const PREFIX = 29;

/** The log of an instance: rotated files oldest first, then the live one. */
function logFiles(dir: string, name: string): string[] {
  const base = `${name}.log`;
  const rotated = readdirSync(dir)
    .filter((f) => f.startsWith(`${base}.`) && /^\d+$/.test(f.slice(base.length + 1)))
    .map((f) => Number(f.slice(base.length + 1)))
    .sort((a, b) => b - a)
    .map((k) => join(dir, `${base}.${k}`));
  const live = join(dir, base);
  return existsSync(live) ? [...rotated, live] : rotated;
}

function totalSize(files: string[]): number {
  return files.reduce((n, f) => n + statSync(f).size, 0);
}

/**
 * Checks the numbered lines `%08d xxx...` of the files: every one well-formed, numbers
 * consecutive (each exactly once, in order). Returns the first and last number.
 */
function checkNumbered(files: string[], width: number): { first: number; last: number; count: number } {
  let expect = -1;
  let first = -1;
  let count = 0;
  for (const f of files) {
    const buf = readFileSync(f);
    if (buf.length > 0 && buf[buf.length - 1] !== 10) throw new Error(`${f} does not end with a newline`);
    let start = 0;
    for (let nl = buf.indexOf(10); nl !== -1; start = nl + 1, nl = buf.indexOf(10, start)) {
      if (nl - start !== PREFIX + width) {
        throw new Error(
          `${f}: malformed line at byte ${start}: ${JSON.stringify(buf.subarray(start, Math.min(nl, start + 200)).toString('latin1'))}`,
        );
      }
      if (buf[start + 24] !== 0x20 || buf.toString('latin1', start + 25, start + 29) !== 'out ') {
        throw new Error(`${f}: bad prefix at byte ${start}: ${buf.toString('latin1', start, start + 29)}`);
      }
      let n = 0;
      for (let k = start + PREFIX; k < start + PREFIX + 8; k++) n = n * 10 + (buf[k]! - 48);
      if (expect === -1) first = n;
      else if (n !== expect) throw new Error(`${f}: expected line ${expect}, got ${n} (lost or duplicated) at byte ${start}`);
      expect = n + 1;
      count++;
    }
  }
  return { first, last: expect - 1, count };
}

/** A shell command printing `count` lines `%08d xxxx` of `width` bytes (without the newline). */
function numbered(count: number, width: number): string {
  return `awk 'BEGIN{p=sprintf("%${width - 9}s",""); gsub(/ /,"x",p); for(i=1;i<=${count};i++) printf "%08d %s\\n", i, p}'`;
}

/**
 * Whether the journal has a log-error of w whose reason matches `why` (read on the socket: the
 * waits on it ran a `tend events` process every 25 ms).
 */
function logError(events: JournalEvent[], why: RegExp): boolean {
  return events.some((e) => e.service === 'w' && e.what === 'log-error' && why.test(e.why));
}

/**
 * Starts `w`, which prints a numbered line every `every` seconds, once its log_dir `logs` is a
 * regular file (opening logs/w.log fails with ENOTDIR): the project.
 */
async function startedWithoutLogDir(every: string): Promise<Project> {
  const p = await started(`
settings: { echo: false, watch: false, log_dir: logs }
services:
  w:
    command: i=0; while true; do i=$((i+1)); echo line $i; sleep ${every}; done
    autostart: false
`);
  rmSync(join(p.dir, 'logs'), { recursive: true, force: true });
  writeFileSync(join(p.dir, 'logs'), 'not a dir\n');
  expect((await p.run(['start', 'w'])).code).toBe(0);
  return p;
}

describe('every line, in order, exactly once', () => {
  it('50 MB of numbered lines land in the log file in order, each once, timestamped', async () => {
    const N = 500_000;
    const W = 99; // + newline: 100 bytes a line, 50 MB in all
    const p = project(
      quiet(`
  big:
    command: ${JSON.stringify(numbered(N, W))}
    restart: never
    logs: { max_size: 1G }
`),
    );
    const t0 = Date.now();
    await p.up();
    await p.waitState('big', 'completed', 90_000);
    const dir = join(p.dir, '.tend/logs');
    const want = N * (PREFIX + W + 1);
    await waitFor(() => totalSize(logFiles(dir, 'big')) >= want, `${want} bytes in big.log`, 60_000);
    console.log(`50 MB: logged in ${Date.now() - t0} ms (including daemon start)`);
    const files = logFiles(dir, 'big');
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['big.log']);
    expect(totalSize(files)).toBe(want);
    expect(checkNumbered(files, W)).toEqual({ first: 1, last: N, count: N });
    expect(pidAlive(p.daemon!.pid!)).toBe(true);
  }, 180_000);

  it('rotation under load: nothing lost or duplicated, files within max_size, old ones dropped whole', async () => {
    const N = 200_000; // 20 MB raw, ~26 MB with prefixes: ~25 rotations of 1 MiB
    const W = 99;
    const p = await started(
      quiet(`
  big:
    command: ${JSON.stringify(numbered(N, W))}
    restart: never
    logs: { max_size: 1M, keep: 60 }
  small:
    command: ${JSON.stringify(numbered(N, W))}
    restart: never
    logs: { max_size: 1M, keep: 2 }
`),
    );
    await p.waitState('big', 'completed', 90_000);
    await p.waitState('small', 'completed', 90_000);
    const dir = join(p.dir, '.tend/logs');
    const want = N * (PREFIX + W + 1);
    await waitFor(() => totalSize(logFiles(dir, 'big')) >= want, `${want} bytes in big.log*`, 60_000);
    await waitFor(
      async () => {
        const files = logFiles(dir, 'small');
        // the writer is done when the last line is in the live file
        return (
          files.length > 0 &&
          readFileSync(files[files.length - 1]!, 'latin1').endsWith(`${String(N).padStart(8, '0')} ${'x'.repeat(W - 9)}\n`)
        );
      },
      'the last line of small',
      60_000,
    );

    const big = logFiles(dir, 'big');
    console.log(`rotation: big has ${big.length} files`);
    expect(big.length).toBeGreaterThan(20);
    expect(big.length).toBeLessThanOrEqual(61);
    for (const f of big) expect(statSync(f).size).toBeLessThanOrEqual(1024 * 1024);
    expect(totalSize(big)).toBe(want);
    expect(checkNumbered(big, W)).toEqual({ first: 1, last: N, count: N });

    // keep: 2: the live file and two old ones remain; what is left is a contiguous run to the end
    const small = logFiles(dir, 'small');
    expect(small.map((f) => f.slice(dir.length + 1))).toEqual(['small.log.2', 'small.log.1', 'small.log']);
    for (const f of small) expect(statSync(f).size).toBeLessThanOrEqual(1024 * 1024);
    const run = checkNumbered(small, W);
    expect(run.last).toBe(N);
    expect(run.count).toBe(N - run.first + 1);
  }, 180_000);
});

describe('tend logs', () => {
  it('-n N gives the last N lines from the file, however many (3001 lines, -n 100000: all); default 100', async () => {
    const p = await started(
      quiet(`
  count:
    command: seq 1 3001; exec sleep 1000
`),
    );
    const file = join(p.dir, '.tend/logs/count.log');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes(' out 3001\n'), 'line 3001 in the file');
    const five = await p.run(['logs', 'count', '-n', '5']);
    expect(five.code).toBe(0);
    expect(five.stdout).toBe('2997\n2998\n2999\n3000\n3001\n');
    const dflt = await p.run(['logs', 'count']);
    expect(dflt.stdout.trim().split('\n')).toEqual(Array.from({ length: 100 }, (_, k) => String(2902 + k)));
    const all = await p.run(['logs', 'count', '-n', '100000']);
    expect(all.stdout.trim().split('\n')).toEqual(Array.from({ length: 3001 }, (_, k) => String(1 + k)));
    expect(all.stderr).toBe(''); // nothing is gone: every line is there
    // --json: one object a line
    const json = (await p.run(['logs', 'count', '-n', '2', '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json).toMatchObject([
      { instance: 'count', stream: 'stdout', line: '3000' },
      { instance: 'count', stream: 'stdout', line: '3001' },
    ]);
    expect(json[0].ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('-f follows: a new line reaches several followers (latency printed)', async () => {
    const p = await started(
      quiet(`
  tick:
    command: trap 'echo tick $(date +%s%3N)' USR1; echo ready; while true; do sleep 0.05; done
`),
    );
    await p.waitState('tick', 'running');
    const fs = [follow(p, ['logs', 'tick', '-f']), follow(p, ['logs', 'tick', '-f']), follow(p, ['logs', 'tick', '-f'])];
    for (const f of fs)
      await waitFor(() => f.timed().some(([, l]) => l === 'ready'), `a follower to print the tail: ${f.text()}`);
    const latencies: number[] = [];
    for (let round = 1; round <= 5; round++) {
      const r = await p.run(['signal', 'tick', 'USR1']);
      expect(r.code).toBe(0);
      for (const f of fs) {
        await waitFor(
          () => f.timed().filter(([, l]) => l.startsWith('tick ')).length >= round,
          `tick ${round} at every follower: ${f.text()}`,
        );
        const [at, line] = f.timed().filter(([, l]) => l.startsWith('tick '))[round - 1]!;
        latencies.push(at - Number(line.slice(5)));
      }
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `logs -f latency over ${latencies.length} deliveries: median ${latencies[latencies.length >> 1]} ms, max ${latencies[latencies.length - 1]} ms (target 100 ms)`,
    );
    // each delivery was waited for with a deadline; the latency is the benchmark's business
    // every follower saw the same lines, each once
    const seen = fs.map((f) => f.lines().filter((l) => l.startsWith('tick ')));
    expect(seen[0]!.length).toBe(5);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
    // a follower going away leaves the others and the daemon unharmed
    fs[0]!.proc.kill('SIGKILL');
    await p.run(['signal', 'tick', 'USR1']);
    await waitFor(() => fs[1]!.timed().filter(([, l]) => l.startsWith('tick ')).length === 6, 'tick 6');
    expect((await p.status())[0]!.state).toBe('running');
  });

  it('tend logs all -f interleaves services in order, each line prefixed with its name', async () => {
    const p = await started(
      quiet(`
  alpha:
    command: n=0; trap 'n=$((n+1)); echo alpha-$n' USR1; echo alpha-ready; while true; do sleep 0.05; done
  beta:
    command: n=0; trap 'n=$((n+1)); echo beta-$n >&2' USR1; echo beta-ready; while true; do sleep 0.05; done
`),
    );
    await waitFor(async () => {
      const r = (await p.run(['logs', 'all'])).stdout;
      return r.includes('alpha-ready') && r.includes('beta-ready');
    }, 'both services to print their first line');
    const f = follow(p, ['logs', 'all', '-f']);
    // the tail comes first, and the daemon subscribes in the same turn: after it, lines are live
    await waitFor(
      () => f.text().includes('alpha | alpha-ready') && f.text().includes('beta  | beta-ready'),
      `the tail, prefixed: ${f.text()}`,
    );
    const before = f.lines().length;
    const step = async (name: string, line: string): Promise<void> => {
      expect((await p.run(['signal', name, 'USR1'])).code).toBe(0);
      const prefix = name.padEnd(5); // one width: alpha
      await waitFor(() => f.timed().some(([, l]) => l === `${prefix} | ${line}`), `"${prefix} | ${line}": ${f.text()}`);
    };
    // beta writes to stderr: its lines are marked err
    await step('beta', 'err beta-1');
    await step('alpha', 'alpha-1');
    await step('beta', 'err beta-2');
    expect(f.lines().slice(before)).toEqual(['beta  | err beta-1', 'alpha | alpha-1', 'beta  | err beta-2']);
  });

  it('tend events -f follows the journal', async () => {
    const p = await started(
      quiet(`
  x:
    command: sleep 1000
`),
    );
    await p.waitState('x', 'running');
    const f = follow(p, ['events', '-f']);
    await waitFor(() => /x spawn pid \d+/.test(f.text()), `the past events: ${f.text()}`);
    const before = f.lines().length;
    expect((await p.run(['stop', 'x'])).code).toBe(0);
    await waitFor(
      () =>
        f
          .lines()
          .slice(before)
          .some((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} x state .*stopped/.test(l)),
      `x stopped in the stream: ${f.text()}`,
    );
    expect((await p.run(['start', 'x'])).code).toBe(0);
    await waitFor(
      () =>
        f
          .lines()
          .slice(before)
          .some((l) => /x spawn pid \d+/.test(l)),
      `the new spawn in the stream: ${f.text()}`,
    );
  });
});

describe('what the file holds', () => {
  it('stdout and stderr lines are tagged out/err in the file, with an ISO-8601 ms timestamp', async () => {
    const p = await started(
      quiet(`
  both:
    command: echo to-out; echo to-err >&2; echo again-out
    restart: never
`),
    );
    await p.waitState('both', 'completed');
    const file = join(p.dir, '.tend/logs/both.log');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').split('\n').length >= 4, 'three lines in the file');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(LINE);
    expect(lines.map((l) => l.slice(25))).toEqual(expect.arrayContaining(['out to-out', 'err to-err', 'out again-out']));
    expect(lines.length).toBe(3);
    // the order of one stream is kept
    expect(lines.findIndex((l) => l.endsWith('out to-out'))).toBeLessThan(lines.findIndex((l) => l.endsWith('out again-out')));
    const json = (await p.run(['logs', 'both', '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)) as Array<{ stream: string; line: string }>;
    expect(json.find((l) => l.line === 'to-err')!.stream).toBe('stderr');
  });

  it('a partial last line is flushed at exit (both streams); invalid UTF-8 passes through', async () => {
    const p = await started(
      quiet(`
  part:
    command: printf 'whole\\nno-newline-out'; printf 'no-newline-err' >&2
    restart: never
  bin:
    command: printf 'a\\377\\376b\\n'
    restart: never
`),
    );
    await p.waitState('part', 'completed');
    await p.waitState('bin', 'completed');
    const file = join(p.dir, '.tend/logs/part.log');
    await waitFor(
      () =>
        existsSync(file) &&
        readFileSync(file, 'utf8').includes('no-newline-err\n') &&
        readFileSync(file, 'utf8').includes('no-newline-out\n'),
      `both partial lines in part.log`,
    );
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => l.slice(25)).sort()).toEqual(['err no-newline-err', 'out no-newline-out', 'out whole']);
    const tail = await p.run(['logs', 'part']);
    expect(tail.stdout).toContain('no-newline-out\n');
    const binFile = join(p.dir, '.tend/logs/bin.log');
    await waitFor(() => existsSync(binFile) && readFileSync(binFile).length > 0, 'bin.log');
    const raw = readFileSync(binFile);
    expect(raw.subarray(PREFIX)).toEqual(Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a]));
    expect((await p.run(['logs', 'bin'])).code).toBe(0);
  });

  it('tty: true runs the service on a terminal (test -t 1), its output in the same log', async () => {
    const p = await started(`
  settings: { echo: false, watch: false }
  services:
    term:
      command: if test -t 1; then echo is-a-tty; else echo not-a-tty; fi; echo size $(stty size); trap 'echo got-usr1' USR1; while true; do sleep 0.05; done
      tty: true
  `);
    const file = join(p.dir, '.tend/logs/term.log');
    await waitFor(() => existsSync(file) && /size/.test(readFileSync(file, 'utf8')), `term.log to have its lines`);
    // a newline stays one: no "\r" from the terminal's ONLCR at the end of each line
    expect(readFileSync(file, 'utf8')).toMatch(/^\S+Z out is-a-tty\n/m);
    expect(readFileSync(file, 'utf8')).toMatch(/^\S+Z out size 24 80\n/m);
    expect(readFileSync(file, 'utf8')).not.toContain('\r');
    // signal and stop work as for a piped service
    await p.waitState('term', 'running');
    const pid = (await p.status())[0]!.pid as number;
    expect((await p.run(['signal', 'term', 'USR1'])).code).toBe(0);
    await waitFor(() => /out got-usr1/.test(readFileSync(file, 'utf8')), 'the USR1 trap output');
    expect((await p.run(['stop', 'term'])).code).toBe(0);
    expect(await p.state('term')).toBe('stopped');
    expect(pidAlive(pid)).toBe(false);
  });

  it('tty: every byte a tty service writes right before it exits is in the log (10 runs)', async () => {
    // a pty read through libuv (node-pty's too) loses 1-7 KB of such a burst in about half the
    // runs (microsoft/node-pty#72); tend's own pty reads the master until EIO
    const p = await started(
      quiet(`
  burst:
    command: head -c 1000000 /dev/zero | tr '\\0' a; echo END
    tty: true
    restart: always
    backoff: { initial: 300ms, max: 300ms }
    start_limit: { burst: 100, interval: 1s }
    logs: { max_size: 1G }
`),
    );
    const file = join(p.dir, '.tend/logs/burst.log');
    const runs = () => (existsSync(file) ? readFileSync(file, 'latin1').split('END\n').length - 1 : 0);
    await waitFor(() => runs() >= 10, '10 runs of burst', 40_000);
    await p.run(['stop', 'burst']);
    // per run: 1,000,000 a's (in lines of at most 256 KiB: long lines are cut), then END (the
    // backoff lets each run's output be read to its end before the next run starts writing)
    const counts: number[] = [];
    let n = 0;
    for (const line of readFileSync(file, 'latin1').split('\n')) {
      const body = line.slice(29);
      for (let i = 0; i < body.length; i++) if (body.charCodeAt(i) === 97) n++;
      if (body.endsWith('END')) {
        counts.push(n);
        n = 0;
      }
    }
    expect(counts.length).toBeGreaterThanOrEqual(10);
    expect(counts.filter((c) => c !== 1_000_000)).toEqual([]);
  }, 60_000);
});

describe('an unwritable log dir', () => {
  it('log_dir under a regular file (ENOTDIR) at start: services run, the journal says the log fails', async () => {
    const p = await started(
      `
settings: { echo: false, watch: false, log_dir: blocker/logs }
services:
  w:
    command: i=0; while true; do i=$((i+1)); echo line $i; sleep 0.05; done
`,
      { blocker: 'a regular file\n' },
    );
    await p.waitState('w', 'running', 5000);
    const pid = (await p.status())[0]!.pid;
    await waitFor(async () => logError(await p.events(), /ENOTDIR/), 'the log error in the journal');
    expect(pidAlive(pid)).toBe(true);
    expect((await p.status())[0]!.pid).toBe(pid);
  });

  it('status says that the logs of a service are failing', async () => {
    const p = await startedWithoutLogDir('0.05');
    await waitFor(async () => logError(await p.events(), /./), 'the log error in the journal');
    const row = (await p.status())[0]!;
    const text = await p.run(['status']);
    expect(JSON.stringify(row) + text.stdout + text.stderr).toMatch(/log/i);
  });

  it('a full disk: tend logs gives the lines in the file, then the newer ones from memory (-n all, --grep)', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('mounting a small tmpfs needs root');
    const p = project(
      quiet(`
  burst:
    command: seq -f "burst %.0f 0123456789012345678901234567890123456789" 1 30000; i=0; while :; do i=$$((i+1)); echo "after $$i"; sleep 0.05; done
`).replace('watch: false }', 'watch: false, log_dir: small/logs }'),
    );
    const small = join(p.dir, 'small');
    mkdirSync(small);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
    if (mounted.status !== 0) return ctx.skip(`cannot mount a tmpfs here (${mounted.stderr.toString().trim()})`);
    try {
      await p.up();
      await waitFor(
        async () => (await p.events()).some((e) => e.service === 'burst' && e.what === 'log-error' && /ENOSPC/.test(e.why)),
        'the full disk in the journal',
      );
      const inFile = readFileSync(join(small, 'logs', 'burst.log'), 'utf8')
        .split('\n')
        .filter(Boolean).length;
      expect(inFile).toBeGreaterThan(1000);
      await waitFor(async () => /after \d+/.test((await p.run(['logs', 'burst', '-n', '1'])).stdout), 'lines after the burst');
      const all = await p.run(['logs', 'burst', '-n', 'all']);
      expect(all.stderr).toContain("the lines after its last come from the daemon's memory");
      const lines = all.stdout.split('\n').filter(Boolean);
      // the file's lines (before, only the memory's last 100 or so), then newer ones from memory
      expect(lines.length).toBeGreaterThan(inFile);
      expect(lines[0]).toMatch(/burst 1 0123/);
      expect(lines.at(-1)).toMatch(/after \d+$/);
      // a line in the file is found by --grep (it was not)
      expect((await p.run(['logs', 'burst', '--grep', 'burst 1000 ', '-n', 'all'])).stdout).toMatch(/burst 1000 0123/);
    } finally {
      // the daemon first (its files are there), then the mount; the folder goes after the test
      if (p.daemon?.exitCode === null) {
        await p.run(['shutdown']);
        await p.exit;
      }
      spawnSync('umount', ['-l', small]);
    }
  });

  it('the log dir breaks while running: the service keeps running; lines resume (none lost) when it is fixed', async () => {
    const p = await startedWithoutLogDir('0.02');
    const logs = join(p.dir, 'logs');
    const pid = (await p.status())[0]!.pid as number;
    await waitFor(async () => logError(await p.events(), /ENOTDIR|not a directory/), 'the log error in the journal');
    // the service is not blocked by its log: it keeps printing (the in-memory tail grows)
    const n1 = Number((await p.run(['logs', 'w', '-n', '1'])).stdout.trim().split(' ')[1]);
    await waitFor(
      async () => Number((await p.run(['logs', 'w', '-n', '1'])).stdout.trim().split(' ')[1]) > n1 + 5,
      'the service to keep writing',
    );
    expect((await p.status())[0]).toMatchObject({ state: 'running', pid });
    // fix it: lines resume within the retry period, from line 1 (buffered, nothing lost)
    rmSync(logs);
    mkdirSync(logs);
    const file = join(logs, 'w.log');
    await waitFor(
      async () => (await p.events()).some((e) => e.service === 'w' && e.what === 'log-ok'),
      'the log recovery in the journal',
      10_000,
    );
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').split('\n').length > n1 + 10, 'lines in w.log');
    const nums = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .filter((l) => / out line \d+$/.test(l))
      .map((l) => Number(l.split(' ').at(-1)));
    expect(nums[0]).toBe(1);
    nums.forEach((n, k) => expect(n).toBe(k + 1));
    expect(pidAlive(pid)).toBe(true);
  });
});
