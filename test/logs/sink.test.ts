import { existsSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineFramer } from '../../src/logs/frame.js';
import { benchLogThroughput } from './throughput.js';
import { formatLogLine, type LogLine } from '../../src/logs/line.js';
import { ServiceLog } from '../../src/logs/sink.js';
import { fileLines, payload, PREFIX, runInto, tmp, until } from './helpers.js';

let dir: string;
let done: () => Promise<void>;
beforeEach(async () => ({ dir, done } = await tmp()));
afterEach(() => done());

describe('ServiceLog with real children', () => {
  it('keeps every line of 50 MB from a real child, in order, exactly once', async () => {
    const r = await benchLogThroughput({ dir, megabytes: 50 });
    expect(r.problem).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.lines).toBe(Math.ceil((50 * 1024 * 1024) / 100));
    expect(r.files).toBe(1);
  }, 60_000);

  it('tags stderr, timestamps every line, and keeps each stream in order', async () => {
    const log = new ServiceLog({ file: `${dir}/svc.log`, maxSize: 0, keep: 0 });
    const script = `
      for (let i = 0; i < 2000; i++) {
        process.stdout.write('o' + i + '\\n');
        if (i % 3 === 0) process.stderr.write('e' + i + '\\n');
      }`;
    expect(await runInto(log, script).exited).toBe(0);
    await log.close();
    const lines = await fileLines(`${dir}/svc.log`);
    const out = lines.filter((l) => l.toString('latin1', 24, 29) === ' out ');
    const err = lines.filter((l) => l.toString('latin1', 24, 29) === ' err ');
    expect(out.length + err.length).toBe(lines.length);
    expect(out.map((l) => payload(l).toString())).toEqual(Array.from({ length: 2000 }, (_, i) => `o${i}`));
    expect(err.map((l) => payload(l).toString())).toEqual(Array.from({ length: 667 }, (_, i) => `e${i * 3}`));
    for (const l of lines) expect(l.toString('latin1', 0, 29)).toMatch(PREFIX);
    const t = Date.parse(lines[0]!.toString('latin1', 0, 24));
    expect(Math.abs(Date.now() - t)).toBeLessThan(60_000);
  });

  it('flushes a partial last line at exit, per stream, and appends the next run', async () => {
    const file = `${dir}/svc.log`;
    const log = new ServiceLog({ file, maxSize: 0, keep: 0 });
    await runInto(log, `process.stdout.write('a\\nno newline'); process.stderr.write('half')`).exited;
    await runInto(log, `process.stdout.write('second run\\n')`).exited;
    await log.close();
    const lines = (await fileLines(file)).map((l) => [l.toString('latin1', 25, 28), payload(l).toString()]);
    expect(lines.slice(0, 1)).toEqual([['out', 'a']]);
    expect(lines.slice(1, 3).sort()).toEqual([
      ['err', 'half'],
      ['out', 'no newline'],
    ]);
    expect(lines[3]).toEqual(['out', 'second run']);
    expect(lines).toHaveLength(4);
  });

  it('passes invalid UTF-8 and binary bytes through byte-exact', async () => {
    const file = `${dir}/bin.log`;
    const log = new ServiceLog({ file, maxSize: 0, keep: 0 });
    // every byte but \n, twice, plus lone continuation bytes and a truncated sequence
    const script = `
      const b = [];
      for (let r = 0; r < 2; r++) for (let i = 0; i < 256; i++) if (i !== 10) b.push(i);
      b.push(10, 0x80, 0xbf, 0xe2, 0x82, 10, 0xff, 0xfe, 0, 10);
      process.stdout.write(Buffer.from(b));`;
    await runInto(log, script).exited;
    await log.close();
    const lines = (await fileLines(file)).map(payload);
    const first: number[] = [];
    for (let r = 0; r < 2; r++) for (let i = 0; i < 256; i++) if (i !== 10) first.push(i);
    expect(lines).toHaveLength(3);
    expect(lines[0]!.equals(Buffer.from(first))).toBe(true);
    expect(lines[1]!.equals(Buffer.from([0x80, 0xbf, 0xe2, 0x82]))).toBe(true);
    expect(lines[2]!.equals(Buffer.from([0xff, 0xfe, 0]))).toBe(true);
    expect(log.tail(1)[0]!.line.equals(Buffer.from([0xff, 0xfe, 0]))).toBe(true);
  });
});

describe('ServiceLog line cutting', () => {
  it('gives the same lines whatever the chunk boundaries', async () => {
    const text = Array.from({ length: 500 }, (_, i) => 'x'.repeat(i % 37) + `#${i}`).join('\n') + '\n';
    const bytes = Buffer.from(text);
    const log = new ServiceLog({ file: `${dir}/cut.log`, maxSize: 0, keep: 0, tailLines: 1000 });
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 97) + 1;
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(rand(), bytes.length - at);
      log.write('stdout', bytes.subarray(at, at + n));
      at += n;
    }
    await log.close();
    const got = (await fileLines(`${dir}/cut.log`)).map((l) => payload(l).toString()).join('\n') + '\n';
    expect(got).toBe(text);
    expect(log.tail(1000).map((l) => l.line.toString())).toEqual(text.split('\n').slice(0, -1));
  });

  it('cuts a partial line longer than 256 KiB so memory stays bounded', async () => {
    const log = new ServiceLog({ file: `${dir}/long.log`, maxSize: 0, keep: 0 });
    const piece = Buffer.alloc(64 * 1024, 'y');
    for (let i = 0; i < 6; i++) log.write('stdout', piece);
    log.write('stdout', Buffer.from('\n'));
    await log.close();
    const lines = (await fileLines(`${dir}/long.log`)).map(payload);
    expect(lines.map((l) => l.length)).toEqual([256 * 1024, 128 * 1024]);
  });
});

describe('ServiceLog tail and followers', () => {
  it('tail(n) answers the last n lines of both streams, oldest first, capped at tailLines', async () => {
    const log = new ServiceLog({ file: `${dir}/t.log`, maxSize: 0, keep: 0, tailLines: 50 });
    for (let i = 0; i < 120; i++) log.write(i % 2 ? 'stderr' : 'stdout', Buffer.from(`l${i}\n`));
    const last = log.tail(3);
    expect(last.map((l) => [l.stream, l.line.toString()])).toEqual([
      ['stderr', 'l117'],
      ['stdout', 'l118'],
      ['stderr', 'l119'],
    ]);
    expect(log.tail(1000)).toHaveLength(50);
    expect(log.tail(1000)[0]!.line.toString()).toBe('l70');
    expect(formatLogLine(last[0]!)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z err l117$/);
    await log.close();
  });

  it('subscribe hands every new line to each follower until unsubscribed', async () => {
    const log = new ServiceLog({ file: `${dir}/f.log`, maxSize: 0, keep: 0 });
    const a: LogLine[] = [];
    const b: string[] = [];
    const offA = log.subscribe((l) => a.push(l));
    log.subscribe((l) => b.push(l.line.toString()));
    log.subscribe(() => {
      throw new Error('a broken follower');
    });
    const { exited } = runInto(
      log,
      `process.stdout.write('one\\ntwo\\n'); setTimeout(() => process.stderr.write('three\\n'), 50)`,
    );
    await until(() => a.length === 3, 'three lines followed');
    offA();
    log.write('stdout', Buffer.from('four\n'));
    await exited;
    await log.close();
    expect(a.map((l) => [l.stream, l.line.toString()])).toEqual([
      ['stdout', 'one'],
      ['stdout', 'two'],
      ['stderr', 'three'],
    ]);
    expect(b).toEqual(['one', 'two', 'three', 'four']);
    expect(Math.abs(a[0]!.time - Date.now())).toBeLessThan(10_000);
  });

  it('tail and kept follower lines stay intact while pooled buffers are reused', async () => {
    const log = new ServiceLog({
      file: `${dir}/pool.log`,
      maxSize: 0,
      keep: 0,
      highWater: 512 * 1024,
      tailLines: 1000,
      tailBytes: 1024 * 1024,
    });
    const kept: Buffer[] = [];
    let off: (() => void) | undefined = log.subscribe((l) => kept.push(l.line));
    const script = `
      let s = '';
      for (let i = 0; i < 200000; i++) {
        s += 'k' + i + ' ' + 'p'.repeat(i % 90) + '\\n';
        if (s.length > 60000) { process.stdout.write(s); s = ''; }
      }
      process.stdout.write(s);`;
    const { exited } = runInto(log, script, () => {
      if (kept.length > 20_000) off = (off?.(), undefined);
    });
    await exited;
    await log.close();
    const expected = (i: number) => `k${i} ${'p'.repeat(i % 90)}`;
    expect(kept.length).toBeGreaterThan(20_000);
    kept.forEach((b, i) => {
      if (b.toString() !== expected(i)) throw new Error(`follower line ${i}: ${b.toString().slice(0, 40)}`);
    });
    const tail = log.tail(1000).map((l) => l.line.toString());
    expect(tail).toEqual(Array.from({ length: 1000 }, (_, i) => expected(199_000 + i)));
  }, 60_000);
});

describe('ServiceLog writing in place', () => {
  it('writes in place from the moment its file is open, while a burst that opened it goes on', async () => {
    // Why: the burst's first chunk opens the file (through the thread pool); the rest of the burst
    // went on through the pool until its end, never in place (see LogFile.pump)
    const file = `${dir}/burst.log`;
    const log = new ServiceLog({ file, maxSize: 0, keep: 0, inPlace: true });
    const chunk = Buffer.from(`${'x'.repeat(99)}\n`.repeat(100));
    const size = () => (existsSync(file) ? statSync(file).size : 0);
    log.write('stdout', chunk);
    // a chunk every turn of the event loop, until the file has its first bytes
    await new Promise<void>((resolve) => {
      const step = () => {
        log.write('stdout', chunk);
        if (size() > 0) resolve();
        else setImmediate(step);
      };
      setImmediate(step);
    });
    const before = size();
    log.write('stdout', chunk);
    // written before write() returned: 100 lines, each with its prefix (`<ISO time> out `)
    expect(size()).toBe(before + chunk.length + 100 * '2026-12-06T19:30:00.000Z out '.length);
    await log.close();
  });
});

describe('LineFramer (the C framer of native/frame.c)', () => {
  it('gives the bytes of a plain split into lines for any chunking (empty lines, partials, one huge chunk)', () => {
    const prefix = Buffer.from('2026-11-25T18:00:00.000Z out ');
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let round = 0; round < 50; round++) {
      const parts: string[] = [];
      for (let i = 0; i < 300; i++) parts.push('x'.repeat(rnd(4) === 0 ? 0 : rnd(300)) + (rnd(10) === 0 ? '' : '\n'));
      const text = Buffer.from(parts.join(''));
      // the reference: every complete line, prefixed (the partial tail waits for its newline)
      const whole = text.toString().split('\n').slice(0, -1);
      const expected = Buffer.from(whole.map((l) => `${prefix}${l}\n`).join(''));
      const c = new LineFramer();
      const outC: Buffer[] = [];
      let linesC = 0;
      for (let at = 0; at < text.length; ) {
        const size = round === 0 ? text.length : 1 + rnd(2000);
        const chunk = text.subarray(at, at + size);
        at += size;
        const a = c.frame(chunk, prefix);
        if (a) outC.push(Buffer.from(a.buf)), (linesC += a.lines);
      }
      expect(Buffer.concat(outC).equals(expected)).toBe(true);
      expect(linesC).toBe(whole.length);
    }
  });

  it('frames a chunk of more lines than the noted line ends hold (a second scan), and the same chunk again once they grew', () => {
    // the count notes where lines end for the framing; a chunk with more lines than that room
    // (1024 at first, 65536 at most) is framed by scanning again
    const prefix = Buffer.from('P ');
    const c = new LineFramer();
    for (const lines of [3000, 3000, 70_000, 70_000, 5]) {
      const text = Buffer.from(Array.from({ length: lines }, (_, i) => `${i % 7 === 0 ? '' : i}\n`).join(''));
      const a = c.frame(text, prefix)!;
      expect(a.lines).toBe(lines);
      const expected = text
        .toString()
        .split('\n')
        .slice(0, -1)
        .map((l) => `P ${l}\n`)
        .join('');
      expect(a.buf.toString()).toBe(expected);
    }
  });
});
