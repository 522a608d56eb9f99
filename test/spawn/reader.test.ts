// The output pipe reader (native/reader.c): every byte once and in order through one reused
// buffer, reads paused while the sink refuses and resumed on request, the end said once.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addonPath, OUTPUT_PIPE_BYTES, openReader as open, pipe, pipeSize, type Reader } from '../../src/sys/addon.js';
import { waitFor } from '../e2e/harness.js';
import { hasPython, PYTHON } from '../helpers/notify-senders.js';

// A reader whose handle is collected is closed (its finalizer), and a test's callbacks do not hold
// theirs as the daemon's do: every reader opened here is held for the file's life.
const held: Reader[] = [];
const openReader = (...args: Parameters<typeof open>): Reader => {
  const r = open(...args);
  held.push(r);
  return r;
};

describe('openReader', () => {
  it('hands every byte once, in order, pauses while refused, resumes, and ends once', async () => {
    const [r, w] = pipe();
    const buf = Buffer.alloc(4096); // smaller than what is written: many reads reuse it
    const got: Buffer[] = [];
    let ends = 0;
    let paused = false;
    const reader = openReader(r, buf, (n) => {
      if (n === 0) {
        ends++;
        return false;
      }
      expect(paused).toBe(false); // no read while paused
      got.push(Buffer.from(buf.subarray(0, n))); // the buffer is reused: a copy
      if (got.length % 3 === 0) {
        paused = true; // refuse: resumed a moment later
        setTimeout(() => {
          paused = false;
          reader.resume();
        }, 5);
        return false;
      }
      return true;
    });
    const sent: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const part = Buffer.from(`${String(i).repeat(1000)}\n`);
      sent.push(part);
      writeSync(w, part);
    }
    closeSync(w);
    await waitFor(() => ends === 1, 'the end of the output');
    expect(Buffer.concat(got).equals(Buffer.concat(sent))).toBe(true);
    expect(got.length).toBeGreaterThan(3); // paused at least once
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ends).toBe(1);
  });

  it("reads a paused sibling first: a process's steps on stdout come before the error it printed after them", async () => {
    const [outR, outW] = pipe();
    const [errR, errW] = pipe();
    const buf = Buffer.alloc(4096);
    const got: string[] = [];
    let ends = 0;
    const onData = (stream: string) => (n: number) => {
      if (n === 0) {
        ends++;
        return false;
      }
      const text = buf.toString('utf8', 0, n);
      got.push(`${stream} ${text.trim()}`);
      if (text === 'step 1\n') {
        // still in stdout's first (small) read, after which its reader pauses: the process goes on
        // with its steps, then prints its error
        writeSync(outW, 'step 2\n');
        writeSync(errW, 'the error\n');
        closeSync(outW);
        closeSync(errW);
      }
      return true;
    };
    const out = openReader(outR, buf, onData('out'));
    openReader(errR, buf, onData('err'), out);
    writeSync(outW, 'step 1\n');
    await waitFor(() => ends === 2, 'both ends');
    expect(got).toEqual(['out step 1', 'out step 2', 'err the error']);
  });

  it('a writer that goes on across many pauses: every byte once, in order, and the end once', async () => {
    const [r, w] = pipe();
    const buf = Buffer.alloc(96 * 1024);
    const got: Buffer[] = [];
    let ends = 0;
    openReader(r, buf, (n) => {
      if (n === 0) {
        ends++;
        return false;
      }
      got.push(Buffer.from(buf.subarray(0, n)));
      return true;
    });
    // seq writes 4 KiB at a time, for longer than a pause: read at each pause's end, polled again
    // whenever it found the pipe empty
    const child = spawn('seq', ['1', '300000'], { stdio: ['ignore', w, 'inherit'] });
    closeSync(w);
    await new Promise((resolve) => child.once('exit', resolve));
    await waitFor(() => ends === 1, 'the end of the output');
    const want = `${Array.from({ length: 300000 }, (_, k) => k + 1).join('\n')}\n`;
    expect(Buffer.concat(got).toString()).toBe(want);
    expect(got.length).toBeGreaterThan(1);
  });

  it('pipes read at once through the shared middle pipe: each reader hands only its own bytes, in order', async () => {
    // native/reader.c take: every pipe is spliced into one middle pipe of tend's and read out of
    // it, one reader at a time, into one buffer shared as the daemon shares it
    const buf = Buffer.alloc(96 * 1024);
    const readers = ['a', 'b', 'c'].map((tag) => {
      const [r, w] = pipe();
      const seen = { chunks: [] as Buffer[], ended: false };
      openReader(r, buf, (n) => {
        if (n === 0) {
          seen.ended = true;
          return false;
        }
        seen.chunks.push(Buffer.from(buf.subarray(0, n)));
        return true;
      });
      // 200,000 lines of 8 bytes each, tagged: all three write at once, faster than one read
      const child = spawn('seq', ['-f', `${tag}%06g`, '1', '200000'], { stdio: ['ignore', w, 'inherit'] });
      closeSync(w);
      return { tag, seen, exited: new Promise((resolve) => child.once('exit', resolve)) };
    });
    for (const { tag, seen, exited } of readers) {
      await exited;
      await waitFor(() => seen.ended, `the end of ${tag}'s output`);
      const want = `${Array.from({ length: 200000 }, (_, k) => `${tag}${String(k + 1).padStart(6, '0')}`).join('\n')}\n`;
      expect(Buffer.concat(seen.chunks).toString()).toBe(want);
    }
  });

  // A seccomp filter that makes splice fail with EPERM (x86-64: syscall 275), installed by python3
  // (ctypes: prctl NO_NEW_PRIVS, then SECCOMP_MODE_FILTER) before it execs the command.
  const NO_SPLICE = `
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
ins = lambda code, jt, jf, k: struct.pack('HBBI', code, jt, jf, k)
prog = ins(0x20, 0, 0, 0) + ins(0x15, 0, 1, 275) + ins(0x06, 0, 0, 0x00050000 | 1) + ins(0x06, 0, 0, 0x7fff0000)
filt = ctypes.create_string_buffer(prog)
fprog = ctypes.create_string_buffer(struct.pack('HxxxxxxQ', 4, ctypes.addressof(filt)))
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.addressof(fprog), 0, 0) != 0:
    sys.exit('seccomp: ' + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
`;
  const noSpliceSkip =
    process.arch !== 'x64'
      ? 'the filter names x86-64 syscall numbers'
      : !hasPython
        ? 'no python3 to install the filter'
        : undefined;
  if (noSpliceSkip) console.log(`skipping the splice-refused test: ${noSpliceSkip}`);

  it.skipIf(noSpliceSkip !== undefined)(
    'reads the pipe directly where a sandbox refuses splice (EPERM): every byte, then the end',
    () => {
      const script = `
      const a = require(${JSON.stringify(addonPath)});
      const [r, w] = a.pipe();
      const buf = Buffer.alloc(96 * 1024);
      let bytes = 0;
      globalThis.held = a.readerOpen(r, buf, (n) => {
        if (n === 0) console.log(JSON.stringify({ bytes }));
        bytes += n;
        return n > 0;
      });
      require('child_process').spawn('seq', ['1', '100000'], { stdio: ['ignore', w, 'inherit'] });
      require('fs').closeSync(w);`;
      const r = spawnSync(PYTHON, ['-c', NO_SPLICE, process.execPath, '-e', script], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe('');
      const want = Array.from({ length: 100000 }, (_, k) => `${k + 1}\n`).join('').length;
      expect(JSON.parse(r.stdout)).toEqual({ bytes: want });
    },
  );

  it('grows a pipe it finds full to 1 MiB; a pipe that never fills keeps its size', async () => {
    const MiB = 1024 * 1024;
    // root may pass fs/pipe-max-size (1 MiB by default), a user may not
    const max = Number(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8'));
    const grown = process.getuid?.() === 0 ? MiB : Math.min(MiB, max);
    const read = (fd: number) => {
      const buf = Buffer.alloc(96 * 1024);
      const seen = { bytes: 0 };
      openReader(fd, buf, (n) => {
        seen.bytes += n;
        return true;
      });
      return seen;
    };

    const [r, w] = pipe();
    expect(pipeSize(w)).toBe(OUTPUT_PIPE_BYTES);
    // a writer that filled the pipe and would wait on tend (a child: a full pipe blocks a writer)
    const child = spawn('head', ['-c', String(OUTPUT_PIPE_BYTES), '/dev/zero'], { stdio: ['ignore', w, 'inherit'] });
    await new Promise((resolve) => child.once('exit', resolve));
    const full = read(r);
    await waitFor(() => full.bytes === OUTPUT_PIPE_BYTES, 'the full pipe read');
    expect(pipeSize(w)).toBe(grown);

    const [r2, w2] = pipe();
    const quiet = read(r2);
    for (let i = 1; i <= 3; i++) {
      writeSync(w2, 'a line\n');
      await waitFor(() => quiet.bytes === 7 * i, 'the line read');
    }
    expect(pipeSize(w2)).toBe(OUTPUT_PIPE_BYTES);
    for (const fd of [w, w2]) closeSync(fd);
  });

  it('yields the loop when its reads cost more than its time budget: a costly sink cannot hold the others', async () => {
    const [r, w] = pipe();
    // 16 full reads waiting (a whole batch of reads a wakeup)
    const child = spawn('head', ['-c', String(OUTPUT_PIPE_BYTES), '/dev/zero'], { stdio: ['ignore', w, 'inherit'] });
    await new Promise((resolve) => child.once('exit', resolve));
    closeSync(w);
    const buf = Buffer.alloc(OUTPUT_PIPE_BYTES / 16);
    let turn = 0;
    let ended = false;
    const turns: number[] = []; // the loop turn of each read
    const ticker = () => {
      turn++;
      if (!ended) setImmediate(ticker);
    };
    setImmediate(ticker);
    openReader(r, buf, (n) => {
      if (n === 0) {
        ended = true;
        return false;
      }
      turns.push(turn);
      // a sink that takes longer than the budget (5 ms), as sending each line to many followers does
      const until = performance.now() + 7;
      while (performance.now() < until) {}
      return true;
    });
    await waitFor(() => ended, 'the end of the output');
    expect(turns).toHaveLength(16);
    const most = Math.max(...[...new Set(turns)].map((t) => turns.filter((x) => x === t).length));
    expect(most).toBeLessThanOrEqual(2); // without the budget: all 16 in one turn
  });

  it('names what it expected when called wrong', () => {
    expect(() => openReader(-1, Buffer.alloc(1), () => true)).toThrow(/readerOpen: expected/);
    expect(() => openReader(0, Buffer.alloc(0), () => true)).toThrow(/readerOpen: expected/);
    const [r, w] = pipe();
    expect(() => openReader(r, Buffer.alloc(1), () => true, { handle: 'no', resume() {} })).toThrow(/sibling must be/);
    closeSync(r);
    closeSync(w);
  });
});
