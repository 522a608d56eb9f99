import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceLog } from '../../src/logs/sink.js';
import { fileLines, payload, runInto, tmp, until } from './helpers.js';

let dir: string;
let done: () => Promise<void>;
beforeEach(async () => ({ dir, done } = await tmp()));
afterEach(() => done());

const numberedLines = (from: number, to: number) =>
  Buffer.from(Array.from({ length: to - from }, (_, i) => `n${from + i}\n`).join(''));

describe('back-pressure', () => {
  it('pauses the service while the disk is slow, drains, keeps memory bounded, loses nothing', async () => {
    // the "disk" is a FIFO nobody reads yet: writes block until a reader comes
    const fifo = `${dir}/slow.log`;
    execFileSync('mkfifo', [fifo]);
    const highWater = 256 * 1024;
    const log = new ServiceLog({ file: fifo, maxSize: 0, keep: 0, highWater });
    let falses = 0;
    let maxQueued = 0;
    const lines = 400_000; // ~4.5 MB: far more than highWater plus the pipe's buffers
    const child = runInto(
      log,
      `let s = ''; for (let i = 0; i < ${lines}; i++) { s += 'n' + i + '\\n'; if (s.length > 65536) { process.stdout.write(s); s = ''; } } process.stdout.write(s);`,
      (ok) => {
        if (!ok) falses++;
        maxQueued = Math.max(maxQueued, log.queuedBytes);
      },
    );
    let exited = false;
    void child.exited.then(() => (exited = true));
    let reader: ReturnType<typeof spawn> | undefined;
    try {
      await until(() => falses > 0, 'write() to return false');
      // the service is held back: it cannot finish while nobody reads the log
      await new Promise((r) => setTimeout(r, 300));
      expect(exited).toBe(false);
      expect(log.queuedBytes).toBeGreaterThanOrEqual(highWater);

      const copy = `${dir}/copy.log`;
      reader = spawn('sh', ['-c', 'cat "$0" > "$1"', fifo, copy], { stdio: 'ignore' });
      const readerDone = new Promise((r) => reader!.on('close', r));
      expect(await child.exited).toBe(0);
      await log.close();
      await readerDone;
      // at most one chunk past highWater: 64 KiB of 8-byte lines is ~300 KiB with the prefixes
      expect(maxQueued).toBeLessThan(highWater + 64 * 1024 * 5);
      const got = (await fileLines(copy)).map((l) => payload(l).toString());
      expect(got).toHaveLength(lines);
      expect(got.every((s, i) => s === `n${i}`)).toBe(true);
    } finally {
      if (!exited) process.kill(child.pid, 'SIGKILL');
      // a blocked write to the FIFO holds a libuv thread until someone reads it
      if (reader === undefined) spawn('sh', ['-c', 'cat "$0" > /dev/null', fifo], { stdio: 'ignore' });
    }
  }, 60_000);

  it('a FIFO log with its reader already there: the reader gets every line and no early end', async () => {
    const fifo = `${dir}/pipe.log`;
    execFileSync('mkfifo', [fifo]);
    const copy = `${dir}/copy.log`;
    const out = openSync(copy, 'w');
    const reader = spawn('cat', [fifo], { stdio: ['ignore', out, 'ignore'] });
    closeSync(out);
    const readerDone = new Promise((r) => reader.on('close', r));
    try {
      // cat waits in its open for a writer: a reader is there when the log opens the FIFO
      await until(() => readFileSync(`/proc/${reader.pid}/wchan`, 'utf8') === 'wait_for_partner', 'cat waiting in open');
      const log = new ServiceLog({ file: fifo, maxSize: 0, keep: 0 });
      log.write('stdout', numberedLines(0, 100));
      log.write('stdout', numberedLines(100, 200));
      await log.close();
      await readerDone;
      const got = (await fileLines(copy)).map((l) => payload(l).toString());
      expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `n${i}`));
    } finally {
      reader.kill('SIGKILL');
    }
  });

  it('onDrain fires at once when nothing is behind', async () => {
    const log = new ServiceLog({ file: `${dir}/d.log`, maxSize: 0, keep: 0 });
    await new Promise<void>((resolve) => log.onDrain(resolve));
    await log.close();
  });
});

describe('an unwritable log', () => {
  it('reports once, keeps the service running, keeps its lines, and recovers when fixed', async () => {
    // tests run as root, so a mode bit would not stop us: the log dir's parent is a regular file
    await writeFile(`${dir}/logs`, 'not a dir');
    const file = `${dir}/logs/svc.log`;
    const errors: string[] = [];
    let recovered = 0;
    const log = new ServiceLog({
      file,
      maxSize: 0,
      keep: 0,
      onError: (m) => errors.push(m),
      onRecover: () => recovered++,
    });
    const child = runInto(log, `for (let i = 0; i < 1000; i++) console.log('n' + i)`);
    expect(await child.exited).toBe(0);
    await until(() => log.failing !== undefined, 'the log to fail');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(file);
    expect(errors[0]).toMatch(/ENOTDIR/);
    expect(log.write('stdout', numberedLines(1000, 1100))).toBe(true);
    await new Promise((r) => setTimeout(r, 1200)); // at least one retry, still failing
    expect(errors).toHaveLength(1);
    expect(log.tail(2).map((l) => l.line.toString())).toEqual(['n1098', 'n1099']);

    await unlink(`${dir}/logs`);
    await mkdir(`${dir}/logs`);
    await until(() => recovered === 1, 'onRecover', 5000);
    expect(log.failing).toBeUndefined();
    log.write('stdout', numberedLines(1100, 1200));
    await log.close();
    const got = (await fileLines(file)).map((l) => payload(l).toString());
    expect(got).toEqual(Array.from({ length: 1200 }, (_, i) => `n${i}`));
  }, 20_000);

  it('on a full disk, keeps a bounded buffer, counts the lines past it and says so on recovery', async () => {
    const file = `${dir}/full.log`;
    // /dev/full's device made here (a symlink to it is refused now): every write, ENOSPC
    if (process.getuid?.() !== 0) return void console.log('skipped: making a device node needs root');
    execFileSync('mknod', [file, 'c', '1', '7']);
    const errors: string[] = [];
    let recovered = false;
    const log = new ServiceLog({
      file,
      maxSize: 0,
      keep: 0,
      failBuffer: 10_000,
      onError: (m) => errors.push(m),
      onRecover: () => (recovered = true),
    });
    log.write('stdout', numberedLines(0, 10));
    await until(() => log.failing !== undefined, 'the log to fail');
    expect(errors[0]).toMatch(/ENOSPC/);
    // 10 lines are kept; each write of 10 lines is ~350 bytes: about 28 more fit, the rest are lost
    for (let i = 10; i < 1000; i += 10) expect(log.write('stdout', numberedLines(i, i + 10))).toBe(true);
    await rm(file);
    await writeFile(file, '');
    await until(() => recovered, 'onRecover', 5000);
    log.write('stdout', numberedLines(1000, 1001));
    await log.close();
    const lines = await fileLines(file);
    const texts = lines.map((l) => payload(l).toString());
    const marker = texts.findIndex((t) => t.endsWith('lines lost while the log was unwritable'));
    expect(marker).toBeGreaterThan(0);
    expect(lines[marker]!.toString('latin1', 24, 29)).toBe(' log ');
    const kept = texts.slice(0, marker);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `n${i}`));
    expect(kept.length * 35).toBeLessThanOrEqual(10_000 + 350);
    const lost = Number(texts[marker]!.split(' ')[0]);
    expect(kept.length + lost).toBe(1000);
    expect(texts.slice(marker + 1)).toEqual(['n1000']);
    expect(errors).toHaveLength(1);
    const raw = await readFile(file, 'latin1');
    expect(raw.endsWith(' out n1000\n')).toBe(true);
  }, 20_000);
});

describe('log files are never opened through a symlink, and get the mode asked for', () => {
  it('a NAME.log symlink to a file outside gets nothing appended; a dangling one creates nothing', async () => {
    const outside = `${dir}/outside`;
    await mkdir(outside);
    await writeFile(`${outside}/victim`, 'untouched\n');
    await mkdir(`${dir}/logs`);
    await symlink(`${outside}/victim`, `${dir}/logs/a.log`);
    await symlink(`${outside}/made-by-tend`, `${dir}/logs/b.log`);
    const errors: string[] = [];
    for (const name of ['a', 'b']) {
      const log = new ServiceLog({ file: `${dir}/logs/${name}.log`, maxSize: 0, keep: 0, onError: (m) => errors.push(m) });
      log.write('stdout', Buffer.from('secret\n'));
      await until(() => log.failing !== undefined, `${name}.log to be refused`);
      await log.close();
    }
    expect(await readFile(`${outside}/victim`, 'utf8')).toBe('untouched\n');
    await expect(readFile(`${outside}/made-by-tend`)).rejects.toThrow(/ENOENT/);
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toMatch(/is a symlink; tend does not follow it/);
  });

  it('makes the file 0640 whatever the umask, or logs.mode', async () => {
    const old = process.umask(0);
    try {
      for (const [name, mode] of [
        ['default', undefined],
        ['private', 0o600],
      ] as const) {
        const log = new ServiceLog({ file: `${dir}/${name}.log`, maxSize: 0, keep: 0, mode });
        log.write('stdout', Buffer.from('x\n'));
        await log.close();
        expect((await stat(`${dir}/${name}.log`)).mode & 0o777, name).toBe(mode ?? 0o640);
      }
    } finally {
      process.umask(old);
    }
  });
});
