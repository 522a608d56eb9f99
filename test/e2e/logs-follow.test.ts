// `tend logs -f` and `tend events -f` (issue 14), end to end with the built binary: the files then
// the live lines, none missed or twice where they join; a follower that falls behind catches up
// from the files; one behind when the daemon goes away prints the rest; --since ahead of now; and
// with no daemon, across however many rotations came between two looks.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { range, useFollowers, useProjects, waitFor, quiet } from './harness.js';

const { project, started } = useProjects();
const follow = useFollowers();

describe('tend logs -f', () => {
  it('-f: the lines of the files, then the live ones, none missed or twice where they join (a fast writer); --grep filters both', async () => {
    const p = await started(
      quiet(`
  fast:
    command: i=0; while [ $i -lt 200000 ]; do i=$((i+1)); echo $i; done; exec sleep 1000
`),
    );
    await waitFor(async () => Number((await p.run(['logs', 'fast', '-n', '1'])).stdout) > 2000, 'the writer under way');
    const f = follow(p, ['logs', 'fast', '-f', '-n', '1000000']);
    const g = follow(p, ['logs', 'fast', '-f', '-n', '3', '--grep', '0000$']);
    // a follower that cannot keep up with this writer (a loaded machine) catches up from the
    // files (the next test makes sure it falls behind): every line, once
    await waitFor(
      () => f.lines().at(-1) === '200000',
      `the follower to reach 200000: ${f.lines().slice(-3).join(' ')} ${f.err()}`,
      60_000,
    );
    expect(f.lines().map(Number)).toEqual(range(1, 200000));
    await waitFor(
      () => g.lines().at(-1) === '200000',
      `the grep follower to reach 200000: ${g.lines().join(' ')} ${g.err()}`,
      30_000,
    );
    const tens = g.lines().map(Number);
    expect(tens).toEqual(range(tens[0]! / 10000, 20).map((k) => k * 10000));
    expect(f.err() + g.err()).toBe('');
  }, 120_000);

  it('-f that falls behind catches up from the files: every line once, in order (two instances, and with --grep)', async () => {
    const N = 150_000;
    const p = await started(
      quiet(`
  burst:
    replicas: 2
    command: echo ready; while [ ! -e go ]; do sleep 0.05; done; i=0; while [ $$i -lt ${N} ]; do i=$$((i+1)); echo "$$TEND_REPLICA $$i"; done; exec sleep 1000
`),
    );
    // two followers whose output nobody reads while the burst goes: each stops reading the
    // daemon (its stdout, a pipe, is full), whose queue for it overflows (docs/protocol.md): the
    // burst's 300,000 events (~30 MB) are far past the 4 MiB a stream queues and what the sockets
    // and the pipe hold, so each falls behind for sure (without the catch-up, the follower said
    // `N lines skipped` and missed them: checked)
    const f = follow(p, ['logs', 'burst', '-f', '-n', 'all']);
    const g = follow(p, ['logs', 'burst', '-f', '-n', 'all', '--grep', '0000$|ready']);
    // both print the two `ready` lines (from the files or live): they follow
    for (const x of [f, g]) await waitFor(() => x.lines().length === 2, `a follower to print ready: ${x.err()}`);
    f.proc.stdout!.pause();
    g.proc.stdout!.pause();
    writeFileSync(join(p.dir, 'go'), '');
    const last = async (i: number): Promise<string> => (await p.run(['logs', `burst.${i}`, '-n', '1'])).stdout.trim();
    await waitFor(async () => (await last(1)) === `1 ${N}` && (await last(2)) === `2 ${N}`, 'both writers to finish', 60_000);
    f.proc.stdout!.resume();
    g.proc.stdout!.resume();
    await waitFor(
      () => f.lines().length >= 2 * N + 2,
      `the follower to print ${2 * N} lines: ${f.lines().length} ${f.err()}`,
      60_000,
    );
    await waitFor(
      () => g.lines().length >= (2 * N) / 10_000 + 2,
      `the grep follower to print its lines: ${g.lines().join(' ')} ${g.err()}`,
      60_000,
    );
    expect(f.err()).toBe('');
    expect(g.err()).toBe('');
    // each instance's lines once, in order (prefixed with the instance: two of them are followed)
    const of = (lines: string[], i: number): number[] =>
      lines.filter((l) => l.startsWith(`burst.${i} | ${i} `)).map((l) => Number(l.split(' ').at(-1)));
    expect(f.lines()).toHaveLength(2 * N + 2);
    for (const i of [1, 2]) {
      expect(of(f.lines(), i)).toEqual(range(1, N));
      expect(of(g.lines(), i)).toEqual(range(1, N / 10_000).map((k) => k * 10_000));
    }
  }, 180_000);

  it('-f that is behind when the daemon goes away prints the rest from the files, then ends', async () => {
    const p = await started(quiet(`\n  w:\n    command: i=0; while true; do i=$$((i+1)); echo $$i; done\n`));
    const f = follow(p, ['logs', 'w', '-f', '-n', '0']);
    // following (a follower started late on a loaded machine met the shutdown before it had
    // subscribed: "closed the connection", exit 1), then it reads nothing more: behind from there
    // (the daemon's queue for it overflows)
    await waitFor(() => f.lines().length > 0, `the follower to print a line: ${f.err()}`);
    f.proc.stdout!.pause();
    await waitFor(
      async () => Number((await p.run(['logs', 'w', '-n', '1'])).stdout) > 300_000,
      'the writer well under way',
      60_000,
    );
    expect((await p.run(['shutdown'])).code).toBe(0);
    await p.exit;
    const last = Number((await p.run(['logs', 'w', '-n', '1'])).stdout); // the file, read without the daemon
    f.proc.stdout!.resume();
    const code = await f.ended;
    expect([code, f.err()]).toEqual([0, 'tend: the daemon went away: no more lines to follow\n']);
    const got = f.lines().map(Number);
    // every line from its first up to the file's last, once, in order (it stopped where its lag
    // was told, a few hundred thousand lines short, before it read the rest from the files)
    expect(got.at(-1)).toBe(last);
    expect(got.every((n, k) => k === 0 || n === got[k - 1]! + 1)).toBe(true);
    expect(f.err()).toBe('tend: the daemon went away: no more lines to follow\n');
  }, 120_000);

  it('-f --since ahead of now holds back the live lines before it too', async () => {
    const p = await started(quiet(`\n  w:\n    command: while true; do echo tick; sleep 0.05; done\n`));
    await waitFor(async () => (await p.run(['logs', 'w', '-n', '1'])).stdout === 'tick\n', 'the writer under way');
    const start = Date.now();
    const f = follow(p, ['logs', 'w', '-f', '--since', '+1s', '--json']);
    await waitFor(() => f.lines().length >= 5, `the follower to print 5 lines: ${f.err()}`);
    for (const l of f.lines()) expect(Date.parse(JSON.parse(l).ts)).toBeGreaterThanOrEqual(start + 1000);
  });

  it('-f ends with exit 0 and says so when the daemon goes away (nothing more can come); events -f too', async () => {
    const p = await started(quiet(`\n  a:\n    command: echo one; exec sleep 1000\n`));
    await waitFor(async () => (await p.run(['logs', 'a'])).stdout === 'one\n', 'the line of a');
    const f = follow(p, ['logs', 'a', '-f']);
    const e = follow(p, ['events', '-f']);
    await waitFor(() => f.lines().includes('one') && e.lines().length > 0, 'the followers under way');
    expect((await p.run(['shutdown'])).code).toBe(0);
    // it exited 1: "the tend daemon on ... closed the connection"
    expect(await f.ended).toBe(0);
    expect(f.err()).toBe('tend: the daemon went away: no more lines to follow\n');
    expect(await e.ended).toBe(0);
    expect(e.err()).toBe('tend: the daemon went away: no more events to follow\n');
  });

  it('-f with no daemon reads every rotated file made between two looks (a burst rotates many times in one)', async () => {
    const N = 100_000;
    const p = project(
      quiet(`
  w:
    command: echo start; while [ ! -e go ]; do sleep 0.05; done; seq 1 ${N}; exec sleep 1000
    logs: { max_size: 256K, keep: 30 }
`),
    );
    // followed before the daemon (and the log file) exist: the file is made, rotated ~14 times
    // in one burst, between two of the follower's looks (every 250 ms). The burst waits until the
    // follower has printed the first line (-n 1: once, whether it came before the follower's
    // start or after), so it is looking (a loaded machine started the follower after the burst)
    const f = follow(p, ['logs', 'w', '-f', '-n', '1']);
    await p.up();
    await waitFor(() => f.lines().length > 0, 'the follower to print the first line', 30_000);
    writeFileSync(join(p.dir, 'go'), '');
    await waitFor(
      () => f.lines().at(-1) === String(N),
      `the follower to reach ${N}: ${f.lines().slice(-2).join(' ')} (${f.lines().length})`,
      60_000,
    );
    expect(f.lines()).toEqual(['start', ...range(1, N).map(String)]);
    expect(f.err()).toBe('');
  }, 120_000);
});
