// The daemon end to end with the built binary: up, status, start/stop/restart, signals, exits,
// exit codes of docs/commands.md, bad input on the socket, graceful shutdown.
import { connect as netConnect } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownGcs, pidAlive, tend, useProjects, waitFor } from './harness.js';

const { project, started } = useProjects();

const SLEEPERS = `
services:
  a:
    command: sleep 1000
  b:
    command: [sleep, "1000"]
  c:
    command: sleep 1000
    autostart: false
`;

describe('tend up and status', () => {
  it('starts services, shows an aligned table and the JSON fields of docs/commands.md', async () => {
    const p = await started(SLEEPERS);
    await p.waitState('b', 'running');
    const rows = await p.status();
    expect(rows.map((r) => [r.name, r.state])).toEqual([
      ['a', 'running'],
      ['b', 'running'],
      ['c', 'stopped'],
    ]);
    for (const r of rows) {
      for (const k of ['name', 'state', 'pid', 'restarts', 'exit_code', 'since', 'cpu', 'memory']) expect(r).toHaveProperty(k);
    }
    expect(typeof rows[0]!.pid).toBe('number');
    expect(rows[2]!.pid).toBeNull();
    expect(pidAlive(rows[0]!.pid)).toBe(true);
    const table = await p.run(['status']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+CPU\s+MEM/);
    // aligned: the STATE column starts at the same offset on every line
    const col = lines[0]!.indexOf('STATE');
    for (const l of lines.slice(1)) expect(l.slice(col)).toMatch(/^(running|stopped)/);
    expect(table.stdout).not.toContain('\x1b['); // plain when piped
    const one = await p.status();
    expect(one.length).toBe(3);
    const only = JSON.parse((await p.run(['status', 'a', '--json'])).stdout);
    expect(only.map((r: { name: string }) => r.name)).toEqual(['a']);
  });

  it('exit codes: 1 unknown service, 2 usage, 3 no daemon (naming the path)', async () => {
    const p = project(SLEEPERS);
    const none = await p.run(['status']);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain(p.socket);
    await p.up();
    const unknown = await p.run(['start', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown service "nope"');
    const usage = await p.run(['signal', 'a']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: tend signal');
    const badFlag = await p.run(['status', '--bogus']);
    expect(badFlag.code).toBe(2);
    const badCmd = await p.run(['stauts']);
    expect(badCmd.code).toBe(2);
    expect(badCmd.stderr).toContain('did you mean "status"');
  });

  it('a bad config: tend up exits 2 before spawning anything, naming file:line:col', async () => {
    const p = project(`services:\n  a:\n    command: touch spawned\n    restart: alway\n`);
    const r = await tend(p.dir, ['up']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tend\.yaml:4:\d+: services\.a\.restart: expected one of always, on-failure, never; got "alway"/);
    expect(existsSync(join(p.dir, 'spawned'))).toBe(false);
    expect(existsSync(p.socket)).toBe(false);
    const check = await tend(p.dir, ['check']);
    expect(check.code).toBe(2);
  });

  it('tend check accepts a good config', async () => {
    const p = project(SLEEPERS);
    const r = await tend(p.dir, ['check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok (3 services');
  });
});

describe('start, stop, restart, signal', () => {
  it('start waits until running; stop until stopped; restart changes the pid', async () => {
    const p = await started(SLEEPERS);
    const s = await p.run(['start', 'c']);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain('started c');
    expect(await p.state('c')).toBe('running');
    const pid1 = (await p.status()).find((r) => r.name === 'a')!.pid;
    const r = await p.run(['restart', 'a']);
    expect(r.code).toBe(0);
    const row = (await p.status()).find((x) => x.name === 'a')!;
    expect(row.state).toBe('running');
    expect(row.pid).not.toBe(pid1);
    expect(row.restarts).toBe(1);
    expect(pidAlive(pid1)).toBe(false);
    const st = await p.run(['stop', 'a', 'c']);
    expect(st.code).toBe(0);
    expect(await p.state('a')).toBe('stopped');
    expect(pidAlive(row.pid)).toBe(false);

    // --timeout: under a second is said in ms, with where the service is; past 24 days (node's
    // timers fire at once past 2^31 ms: it timed out at once) a usage error
    const quick = await p.run(['start', 'a', '--timeout', '250ms']);
    // (running unless a loaded machine has not spawned it yet)
    expect([quick.code, quick.stderr]).toEqual([
      1,
      expect.stringMatching(/^tend: timed out after 250ms waiting for a \((running for less than 1s|pending|starting)\)\n$/),
    ]);
    // --no-wait says what it did: asked, not done
    expect((await p.run(['stop', 'a', '--no-wait'])).stdout).toBe('stop requested: a\n');
    await p.waitState('a', 'stopped');
    expect((await p.run(['start', 'a', '--no-wait'])).stdout).toBe('start requested: a\n');
    expect((await p.run(['restart', 'a', '--no-wait'])).stdout).toBe('restart requested: a\n');
    await p.waitState('a', 'running');
    // the flags that find the daemon before the command too; an empty path is a usage error
    const before = await tend(p.dir, ['--socket', p.socket, 'status', 'a']);
    expect([before.code, before.stdout.split('\n')[1]!.split(/\s+/).slice(0, 2)]).toEqual([0, ['a', 'running']]);
    const empty = await p.run(['status', '--socket', '']);
    expect([empty.code, empty.stderr.split('\n')[0]]).toEqual([2, 'tend: --socket: the path is empty']);
    const long = await p.run(['restart', 'a', '--timeout', '1000h']);
    expect([long.code, long.stderr]).toEqual([
      2,
      expect.stringMatching(/^tend: --timeout: at most 24 days \(576h\); got "1000h"\n/),
    ]);
  });

  it('cpu % of a service whose work runs in short-lived children (its cgroup, else the reaping shell)', async () => {
    // each child counts to 2000 (milliseconds) and exits; the shell itself only waits for them
    const p = await started(`
services:
  loop:
    command: "while :; do sh -c 'i=0; while [ $$i -lt 2000 ]; do i=$$((i+1)); done'; done"
`);
    let seen = 0;
    await waitFor(async () => {
      seen = Math.max(seen, ((await p.status()).find((r) => r.name === 'loop')?.cpu as number | null) ?? 0);
      return seen > 20;
    }, 'loop above 20% of a core');
  });

  it('start reports the reason of a failure: the start limit', async () => {
    const p = await started(`
services:
  web:
    command: exit 1
    autostart: false
    backoff: { initial: 10ms, max: 50ms }
    start_limit: { burst: 3, interval: 60s }
`);
    const r = await p.run(['start', 'web']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('web: exited with code 1 three times within 1m; start limit reached');
    expect(await p.state('web')).toBe('failed');
  });

  it('signal reaches the main process; exits are reported exactly', async () => {
    const p = await started(`
services:
  trap:
    command: trap 'echo got USR1' USR1; while true; do sleep 0.05; done
  code:
    command: sleep 0.2; exit 255
    restart: never
  killed:
    command: kill -KILL $$$$
    restart: never
`);
    await p.waitState('trap', 'running');
    const r = await p.run(['signal', 'trap', 'USR1']);
    expect(r.code).toBe(0);
    await waitFor(() => p.out.includes('trap | got USR1'), 'the trap output');
    // the journal's request names the signal too (it said `tend signal trap`)
    expect((await p.run(['events', 'trap'])).stdout).toMatch(
      / trap request tend signal trap USR1 asked by uid \d+ \(pid \d+\)\n/,
    );
    await p.waitState('code', 'failed');
    await p.waitState('killed', 'failed');
    const rows = await p.status();
    const code = rows.find((x) => x.name === 'code')!;
    expect(code.exit_code).toBe(255);
    expect(code.detail).toBe('exited with code 255');
    expect(rows.find((x) => x.name === 'killed')!.detail).toBe('killed by SIGKILL');
  });

  it('every exit code 0-255 is reported as it was', async () => {
    const codes = [0, 1, 2, 42, 126, 127, 128, 200, 254, 255];
    const yaml = 'services:\n' + codes.map((c) => `  c${c}:\n    command: [sh, -c, "exit ${c}"]\n    restart: never\n`).join('');
    const p = await started(yaml);
    await waitFor(async () => (await p.status()).every((r) => r.state === 'completed' || r.state === 'failed'), 'all exited');
    for (const r of await p.status()) expect(r.exit_code).toBe(Number(r.name.slice(1)));
  });

  it('a grandchild that keeps stdout open does not keep the service running (exit, not close)', async () => {
    const p = await started(`
  services:
    fork:
      command: sleep 30 & echo started; exit 3
      restart: never
  `);
    await p.waitState('fork', 'failed', 5000);
    expect((await p.status())[0]!.exit_code).toBe(3);
  });

  it('oneshot completes; restart on-failure goes through backoff and status says when', async () => {
    const p = await started(`
services:
  once:
    type: oneshot
    command: echo hi
  flaky:
    command: exit 1
    backoff: { initial: 5s, max: 10s }
`);
    await p.waitState('once', 'completed');
    await p.waitState('flaky', 'backoff');
    const row = (await p.status()).find((r) => r.name === 'flaky')!;
    expect(row.detail).toMatch(/exited with code 1; next start in \d/);
  });
});

describe('signals by number, bad signals, a closed stdout', () => {
  it('tend signal takes a number; an unknown signal is a usage error', async () => {
    const p = await started(`services:\n  a:\n    command: [sleep, "1000"]\n    restart: never\n`);
    await p.waitState('a', 'running');
    const bad = await p.run(['signal', 'a', 'SIGFOO']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('SIGFOO');
    const r = await p.run(['signal', 'a', '15']);
    expect(r.code).toBe(0);
    await p.waitState('a', 'failed');
    expect((await p.status())[0]!.detail).toBe('killed by SIGTERM');
  });

  it('the daemon outlives a closed stdout (tend up | head)', async () => {
    const p = await started(`services:\n  chatty:\n    command: while true; do echo tick; sleep 0.02; done\n`);
    await waitFor(() => p.out.includes('chatty | tick'), 'echoed output');
    p.daemon!.stdout!.destroy(); // the reader goes away: the next writes get EPIPE
    const before = (await p.status())[0]!.pid;
    // a while later (many more lines echoed into the closed pipe) it still answers
    const log = join(p.dir, '.tend/logs/chatty.log');
    const n = readFileSync(log, 'utf8').split('\n').length;
    await waitFor(() => readFileSync(log, 'utf8').split('\n').length > n + 20, 'more lines logged');
    expect(p.daemon!.exitCode).toBeNull();
    expect((await p.status())[0]!.pid).toBe(before);
  });
});

describe('environment of a service', () => {
  it('env over env_file, cwd, umask, TEND_* variables, user (as root)', async () => {
    const isRoot = process.getuid?.() === 0;
    const p = project(
      `
services:
  show:
    command: 'echo "A=$A B=$B svc=$TEND_SERVICE"; pwd; umask; id -u'
    cwd: ./sub
    env: { A: from-env }
    env_file: vars.env
    umask: "027"
    restart: never
${isRoot ? '    user: nobody\n' : ''}`,
      { 'vars.env': 'A=from-file\nB=from-file\n' },
    );
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(p.dir, 'sub'));
    await p.up();
    await p.waitState('show', 'completed');
    // the output drains after the exit: its last line (id -u) ends it
    const log = await waitFor(() => {
      const text = readFileSync(join(p.dir, '.tend/logs/show.log'), 'utf8');
      return /out \d+\n$/.test(text) ? text : undefined;
    }, 'the whole output in the log');
    expect(log).toContain('A=from-env B=from-file svc=show');
    expect(log).toContain(join(p.dir, 'sub'));
    expect(log).toContain('0027');
    if (isRoot) expect(log).toMatch(/out 65534$/m);
    else console.log('skipped the user: check: not root');
  });
});

describe('the control socket under bad input', () => {
  it('garbage, unknown commands, wrong types and huge lines get errors; the daemon keeps serving', async () => {
    const p = await started(SLEEPERS);
    const pidA = (await p.status())[0]!.pid;
    const replies = await new Promise<string[]>((resolve, reject) => {
      const s = netConnect(p.socket);
      let buf = '';
      s.on('data', (c) => {
        buf += c;
        if (buf.split('\n').length > 5) {
          s.end();
          resolve(buf.trim().split('\n'));
        }
      });
      s.on('error', reject);
      s.write('{not json\n');
      s.write('{"id":2,"cmd":"frobnicate"}\n');
      s.write('{"id":3,"cmd":"start","args":{"names":"a"}}\n');
      s.write('{"id":4,"cmd":"status"}\n');
      s.write('{"id":5,"cmd":"restart","args":{"names":["a"],"timeout":1e12}}\n');
    });
    const parsed = replies.map((l) => JSON.parse(l));
    expect(parsed[0]).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(parsed.find((x) => x.id === 2)).toMatchObject({ ok: false, error: { code: 'unknown_command' } });
    expect(parsed.find((x) => x.id === 3)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(parsed.find((x) => x.id === 4)).toMatchObject({ ok: true });
    expect(parsed.find((x) => x.id === 5)).toMatchObject({
      ok: false,
      error: {
        code: 'bad_request',
        message: expect.stringContaining('timeout: expected milliseconds from 0 to 2073600000 (24 days); got 1000000000000'),
      },
    });
    // a 2 MiB line: error and close
    const closed = await new Promise<string>((resolve) => {
      const s = netConnect(p.socket);
      let buf = '';
      s.on('data', (c) => (buf += c));
      s.on('close', () => resolve(buf));
      s.on('error', () => {});
      s.write('x'.repeat(2 * 1024 * 1024) + '\n');
    });
    expect(closed).toContain('"ok":false');
    const rows = await p.status();
    expect(rows[0]!.pid).toBe(pidA);
    expect(rows[0]!.state).toBe('running');
  });

  it('a second tend up on the same socket refuses; a stale socket file is replaced', async () => {
    const p = await started(SLEEPERS);
    const second = await tend(p.dir, ['up']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another tend is running on ${p.socket}`);
    // kill -9 the daemon: its socket file stays behind, stale
    const orphans = (await p.status()).map((r) => r.pid).filter((x) => x);
    p.daemon!.kill('SIGKILL');
    await p.exit;
    for (const pid of orphans) process.kill(-pid, 'SIGKILL'); // their groups: without cgroups they outlive it
    expect(existsSync(p.socket)).toBe(true);
    p.write(`services:\n  solo:\n    command: sleep 1000\n`);
    await p.up();
    expect((await p.status()).map((r) => r.name)).toEqual(['solo']);
  });
});

describe('shutdown', () => {
  it('SIGTERM stops every service and exits 0; output is name-prefixed, state changes on stderr', async () => {
    const p = await started(`
services:
  talk:
    command: echo hello; sleep 1000
  quiet:
    command: [sleep, "1000"]
`);
    await waitFor(() => p.out.includes('talk | hello'), 'echoed output');
    const pids = (await p.status()).map((r) => r.pid as number);
    p.daemon!.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect(p.err).toMatch(/talk running/);
    expect(p.err).toMatch(/talk stopped/);
  });

  it('SIGUSR1 and SIGUSR2 are ignored (no debugger opens), SIGQUIT shuts down as SIGTERM does', async () => {
    const p = await started(SLEEPERS);
    const pids = (await p.status()).map((r) => r.pid as number);
    p.daemon!.kill('SIGUSR1'); // node's default: open the inspector on 127.0.0.1:9229
    p.daemon!.kill('SIGUSR2'); // node's default: die, the services left running
    await waitFor(
      async () => (await p.events()).some((e) => e.service === 'tend' && e.why.startsWith('SIGUSR2: ignored')),
      'SIGUSR2 journaled',
    );
    expect((await p.run(['events', 'tend'])).stdout).toContain('SIGUSR1: ignored');
    expect(p.err).not.toContain('Debugger listening');
    expect((await p.status()).map((r) => r.pid)).toEqual(pids);
    p.daemon!.kill('SIGQUIT');
    expect(await p.exit).toBe(0);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it('SIGPWR (how LXC halts a container) shuts down as SIGTERM does', async () => {
    const p = await started(SLEEPERS);
    const pids = (await p.status()).map((r) => r.pid as number);
    p.daemon!.kill('SIGPWR');
    expect(await p.exit).toBe(0);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect(p.err).toMatch(/stopped/);
  });

  it('a stopped (SIGSTOPped) service gets SIGCONT after its stop signal: it ends by SIGTERM, not at stop_timeout', async () => {
    const p = await started(`
services:
  frozen:
    command: [sleep, "1000"]
    stop_timeout: 60s
`);
    await p.waitState('frozen', 'running');
    const pid = (await p.status())[0]!.pid as number;
    process.kill(pid, 'SIGSTOP');
    await waitFor(() => /^State:\s+T/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')) || undefined, 'the service stopped');
    const r = await p.run(['stop', 'frozen']);
    expect([r.code, r.stdout]).toEqual([0, 'stopped frozen\n']);
    expect((await p.status())[0]!.detail).toBe('stopped (killed by SIGTERM)');
  });

  it('tend shutdown stops services that ignore SIGTERM with SIGKILL after stop_timeout', async () => {
    const p = await started(`
services:
  stubborn:
    command: trap '' TERM; while true; do sleep 0.05; done
    stop_timeout: 300ms
`);
    await p.waitState('stubborn', 'running');
    const pid = (await p.status())[0]!.pid;
    const r = await p.run(['shutdown']);
    expect(r.code).toBe(0);
    expect(await p.exit).toBe(0);
    expect(pidAlive(pid)).toBe(false);
    expect(p.err).toContain('SIGKILL');
  });
});

describe('memory', () => {
  it('collects after the parse, once start-up has settled (not before a readiness probe passes), and after reloads', async () => {
    const p = project(`
settings: { echo: false }
services:
  a:
    command: sleep 1000
  b:
    command: sleep 1000
    readiness: { exec: test -f ready, interval: 100ms }
`);
    await p.up([], {}, ['--trace-gc']);
    await p.waitState('a', 'running');
    await waitFor(() => ownGcs(p.out) >= 1, 'the GC after the parse');
    // b is still starting: start-up has not settled
    await new Promise((r) => setTimeout(r, 500));
    expect(await p.state('b')).toBe('starting');
    expect(ownGcs(p.out)).toBe(1);
    writeFileSync(join(p.dir, 'ready'), '');
    await p.waitState('b', 'running');
    await waitFor(() => ownGcs(p.out) === 2, 'the GC once start-up settled');
    // a burst of reloads, as three requests on one connection (three `tend reload` runs may be
    // more than 1 s apart on a loaded machine): one collection 1 s after the last
    const replies = await new Promise<Array<{ ok: boolean }>>((resolve, reject) => {
      const s = netConnect(p.socket);
      let buf = '';
      s.on('data', (c) => {
        buf += c;
        const lines = buf.split('\n').filter(Boolean);
        if (lines.length === 3) {
          s.end();
          resolve(lines.map((l) => JSON.parse(l)));
        }
      });
      s.on('error', reject);
      for (let id = 1; id <= 3; id++) s.write(`${JSON.stringify({ id, cmd: 'reload', args: {} })}\n`);
    });
    expect(replies.map((r) => r.ok)).toEqual([true, true, true]);
    await waitFor(() => ownGcs(p.out) === 3, 'the GC after the reloads');
    await new Promise((r) => setTimeout(r, 1200));
    expect(ownGcs(p.out)).toBe(3);
  });
});

describe('events', () => {
  it('the journal lists actions and exits with reasons; -f follows', async () => {
    const p = await started(`services:\n  x:\n    command: exit 4\n    restart: never\n`);
    await p.waitState('x', 'failed');
    const r = await p.run(['events']);
    expect(r.stdout).toMatch(/x spawn pid \d+/);
    expect(r.stdout).toContain('x exit exited with code 4');
    const j = JSON.parse((await p.run(['events', '--json'])).stdout);
    expect(j.some((e: { what: string }) => e.what === 'exit')).toBe(true);
    writeFileSync(join(p.dir, 'unused'), '');
    // a name that is no service and that no entry names: a typo, said so (exit 1), with a daemon
    // and without one
    const typo = await p.run(['events', 'xx']);
    expect([typo.code, typo.stdout, typo.stderr]).toEqual([
      1,
      '',
      'tend: unknown service "xx" — did you mean "x"? (known: x); no events name it either\n',
    ]);
    expect((await p.run(['events', 'tend'])).code).toBe(0);
    // a service removed since, with no entry in the range asked for: nothing to print, no typo
    // (it exited 1 as one); a typo with a range still is one
    p.write('services:\n  y:\n    command: sleep 30\n');
    expect((await p.run(['reload'])).code).toBe(0);
    const removed = ['events', 'x', '--since', 'now'];
    expect(await p.run(removed)).toEqual({ code: 0, stdout: '', stderr: '' });
    const typoRanged = await p.run(['events', 'xx', '--since', 'now']);
    expect([typoRanged.code, typoRanged.stderr]).toEqual([
      1,
      'tend: unknown service "xx" (known: y); no events name it either\n',
    ]);
    await p.run(['shutdown']);
    expect(await p.exit).toBe(0);
    const down = await p.run(['events', 'xx']);
    expect([down.code, down.stderr]).toEqual([1, typoRanged.stderr]);
    expect(await p.run(removed)).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
