// tty services (ProcessSpawner with tty: true: the addon's pty, the child on its slave) against
// real processes on real pseudo-terminals.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Exit } from '../../src/core/types.js';
import type { OutputSink, ProcessHandle, SpawnHooks, Stream } from '../../src/core/spawner.js';
import type { ServiceSpec } from '../../src/core/types.js';
import { launch, watchExit } from '../../src/spawn/launcher.js';
import { ProcessSpawner } from '../../src/spawn/process.js';
import { openPty } from '../../src/spawn/stdio.js';
import { processGroupAlive } from '../../src/sys/proc.js';
import { instanceSpec } from '../helpers/fakes.js';

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A sink that keeps everything, can refuse writes (back-pressure) and counts what it saw. */
class Recorder implements OutputSink {
  chunks: { stream: Stream; chunk: Buffer }[] = [];
  accepting = true;
  ended = 0;
  private drainers: (() => void)[] = [];
  write(stream: Stream, chunk: Buffer): boolean {
    this.chunks.push({ stream, chunk });
    return this.accepting;
  }
  onDrain(cb: () => void): void {
    this.drainers.push(cb);
  }
  end(): void {
    this.ended++;
  }
  drain(): void {
    const cbs = this.drainers;
    this.drainers = [];
    cbs.forEach((cb) => cb());
  }
  get waitingForDrain(): number {
    return this.drainers.length;
  }
  text(): string {
    return Buffer.concat(this.chunks.map((c) => c.chunk)).toString('utf8');
  }
}

interface Run {
  handle: ProcessHandle | undefined;
  out: Recorder;
  exits: Exit[];
  exited: () => Promise<Exit>;
}

describe('tty services', () => {
  let dir: string;
  const started: ProcessHandle[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tend-pty-'));
  });
  afterEach(async () => {
    for (const h of started.splice(0)) {
      h.signalAll('SIGKILL');
      await h.drained();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const PATH = process.env.PATH ?? '/usr/bin:/bin';
  function run(
    file: string,
    args: string[],
    extra: Partial<ServiceSpec> = {},
    out = new Recorder(),
    env: Record<string, string> = { PATH },
  ): Run {
    const exits: Exit[] = [];
    const hooks: SpawnHooks = { exit: (e) => exits.push(e), output: out };
    const inst = instanceSpec('term', { command: [file, ...args], tty: true, cwd: dir, ...extra });
    const handle = new ProcessSpawner().spawn(inst, { env }, hooks);
    if (handle) started.push(handle);
    return {
      handle,
      out,
      exits,
      // the exit, then the end of the output: it drains after the reaping (EIO once all is read)
      exited: async () => {
        await waitFor(() => exits.length > 0, `${file} to exit`);
        if (exits[0]!.kind !== 'spawn-error') await waitFor(() => out.ended > 0, `${file}'s output to end`);
        return exits[0]!;
      },
    };
  }

  it('gives the process a terminal on stdout', async () => {
    const r = run('/bin/sh', ['-c', 'test -t 1 && echo tty']);
    expect(await r.exited()).toEqual({ kind: 'exited', code: 0 });
    expect(r.out.text().trim()).toBe('tty');
    expect(r.out.chunks.every((c) => c.stream === 'stdout')).toBe(true);
    expect(r.out.ended).toBe(1);
  });

  it('sizes the terminal 80x24 unless told otherwise', async () => {
    const plain = run('/bin/sh', ['-c', 'stty size']);
    await plain.exited();
    expect(plain.out.text().trim()).toBe('24 80');
    // the pty opener takes a size (a service's is 80x24)
    const sized = new Recorder();
    const stdio = openPty(132, 50);
    const pid = launch({ argv: ['/bin/sh', '-c', 'stty size'], env: { PATH }, cwd: dir, stdio });
    let exit: unknown;
    watchExit(pid, (s) => (exit = s));
    stdio.attach(sized);
    await waitFor(() => exit !== undefined && sized.ended === 1, 'the sized run to end');
    expect(sized.text().trim()).toBe('50 132');
  });

  it('runs in the given cwd with the given env', async () => {
    const r = run('/bin/sh', ['-c', 'pwd; echo "$PTY_FOO"'], {}, new Recorder(), { PATH, PTY_FOO: 'bar' });
    await r.exited();
    expect(r.out.text().split(/\r?\n/).slice(0, 2)).toEqual([dir, 'bar']);
  });

  it('reports an exit code', async () => {
    const r = run('/bin/sh', ['-c', 'exit 3']);
    expect(await r.exited()).toEqual({ kind: 'exited', code: 3 });
  });

  it('reports a death by signal by name, exactly once', async () => {
    const r = run('sleep', ['30']);
    expect(r.handle).toBeDefined();
    const h = r.handle!;
    expect(h.alive()).toBe(true);
    h.signal('SIGTERM');
    expect(await r.exited()).toEqual({ kind: 'signaled', signal: 'SIGTERM' });
    await h.drained();
    expect(h.alive()).toBe(false);
    h.signal('SIGTERM'); // after the exit: a no-op, not a signal to a reused pid
    h.signalAll('SIGKILL'); // the group is gone: no throw
    expect(r.exits).toHaveLength(1);
    expect(r.out.ended).toBe(1);
  });

  it('makes the child a session and process group leader', async () => {
    const r = run('sleep', ['30']);
    const pid = r.handle!.pid;
    // the fork returns before the child has called setsid: look once it runs sleep
    await waitFor(() => readFileSync(`/proc/${pid}/stat`, 'latin1').includes('(sleep)'), 'the child to exec sleep');
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect(Number(pgrp)).toBe(pid);
    expect(Number(session)).toBe(pid);
  });

  it('signalAll reaches every process of the group, and drained() waits for all of them', async () => {
    const r = run('/bin/sh', ['-c', 'sleep 30 & echo "bg=$!"; wait']);
    await waitFor(() => /bg=\d+/.test(r.out.text()), 'the background pid');
    const bg = Number(/bg=(\d+)/.exec(r.out.text())![1]);
    const h = r.handle!;
    h.signalAll('SIGKILL');
    expect(await r.exited()).toEqual({ kind: 'signaled', signal: 'SIGKILL' });
    await h.drained();
    expect(h.alive()).toBe(false);
    expect(processGroupAlive(h.pid)).toBe(false);
    const bgStat = (() => {
      try {
        return readFileSync(`/proc/${bg}/stat`, 'latin1');
      } catch {
        return undefined; // reaped
      }
    })();
    if (bgStat !== undefined) expect(bgStat.slice(bgStat.lastIndexOf(')') + 2)[0]).toBe('Z');
  });

  it('pauses the terminal while the sink refuses output, and loses nothing', async () => {
    const out = new Recorder();
    out.accepting = false;
    const size = 1_000_000;
    const bytes = (): number => out.chunks.reduce((n, c) => n + c.chunk.length, 0);
    // the writer stays alive after writing: output written right before an exit is another
    // matter (see the todo below)
    const r = run('/bin/sh', ['-c', `head -c ${size} /dev/zero | tr '\\0' a; exec sleep 30`], {}, out);
    await waitFor(() => out.chunks.length === 1 && out.waitingForDrain === 1, 'the first refused write');
    // paused: no more data events until drain (absence can only be checked over a window)
    await new Promise((res) => setTimeout(res, 200));
    expect(out.chunks.length).toBe(1);
    expect(bytes()).toBeLessThan(size);
    out.accepting = true;
    out.drain();
    await waitFor(() => bytes() >= size, 'all the output');
    r.handle!.signal('SIGTERM');
    expect(await r.exited()).toEqual({ kind: 'signaled', signal: 'SIGTERM' });
    const all = Buffer.concat(out.chunks.map((c) => c.chunk));
    expect(all.length).toBe(size);
    expect(all.every((b) => b === 0x61)).toBe(true);
  });

  // node-pty on Linux drops the last few KB written right before the process exits
  // (microsoft/node-pty#72, #726): `head -c 1000000 /dev/zero | tr '\0' a` under a pty loses
  // 1-7 KB in about half the runs here. The cause is libuv's tty stream (EOF on a hang-up after a
  // short read); tend reads the rest of its own pty until EIO (see native/pty.c).
  it('keeps every byte written right before the process exits (5 runs)', async () => {
    const size = 1_000_000;
    for (let i = 0; i < 5; i++) {
      const r = run('/bin/sh', ['-c', `head -c ${size} /dev/zero | tr '\\0' a; echo END`]);
      expect(await r.exited()).toEqual({ kind: 'exited', code: 0 });
      await waitFor(() => r.out.ended === 1, 'the end of the output');
      expect(r.out.text().replace(/\r?\n/g, '')).toBe(`${'a'.repeat(size)}END`);
    }
  });

  it('reports a missing program as a spawn error, after returning', async () => {
    const r = run('no-such-program-tend', []);
    expect(r.handle).toBeUndefined();
    expect(r.exits).toHaveLength(0); // not from inside spawnPty
    expect(await r.exited()).toEqual({ kind: 'spawn-error', message: 'spawn no-such-program-tend: not found (ENOENT)' });
  });

  it.skipIf(process.getuid?.() !== 0)("runs as the given user and its group without the daemon's groups", async () => {
    // give the daemon (this worker) a supplementary group the service must not inherit
    const groups = process.getgroups!();
    process.setgroups!([...groups, 4242]);
    let r: Run;
    try {
      r = run('/bin/sh', ['-c', 'id -u; id -g; id -G'], { user: 'nobody', cwd: '/' });
    } finally {
      process.setgroups!(groups);
    }
    expect(await r.exited()).toEqual({ kind: 'exited', code: 0 });
    expect(r.out.text().split(/\r?\n/).slice(0, 3)).toEqual(['65534', '65534', '65534']);
  });
});
