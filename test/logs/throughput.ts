// The log path under a flood, for test/logs/sink.test.ts (test code, not the product): a real child
// writes numbered lines as fast as it can into a pipe, a ServiceLog takes them with
// pause/resume back-pressure, then every line is checked present, in order, exactly once.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ServiceLog } from '../../src/logs/sink.js';
import type { Readable } from 'node:stream';
import { OUTPUT_PIPE_BYTES, setPipeSize } from '../../src/sys/addon.js';

/** Each line: 10 digits (its number from 0), then this filler: 100 bytes a line. */
const FILLER = ' the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs ok.\n';
const LINE = 10 + FILLER.length;

// The child: builds 1 MiB blocks of numbered lines and writes them with blocking writes.
const WRITER = `
const fs = require('fs');
const total = Number(process.argv[1]), filler = ${JSON.stringify(FILLER)}, L = 10 + filler.length;
const per = Math.floor((1 << 20) / L), block = Buffer.alloc(per * L);
for (let j = 0; j < per; j++) block.write(filler, j * L + 10, 'latin1');
let n = 0;
while (n < total) {
  const count = Math.min(per, total - n);
  for (let j = 0; j < count; j++) {
    let v = n + j, o = j * L + 9;
    for (let k = 0; k < 10; k++) { block[o - k] = 48 + (v % 10); v = (v / 10) | 0; }
  }
  let off = 0;
  const len = count * L;
  while (off < len) {
    try { off += fs.writeSync(1, block, off, len - off); }
    catch (e) { if (e.code !== 'EAGAIN') throw e; }
  }
  n += count;
}
`;

export interface BenchLogResult {
  mbPerSec: number;
  peakRssMb: number;
  lines: number;
  ok: boolean;
  /** what was wrong when !ok */
  problem?: string;
  files: number;
  seconds: number;
}

/** Checks the log files (oldest first) hold lines 0..expected-1, in order, each once. */
async function verify(files: string[], expected: number): Promise<{ lines: number; problem?: string }> {
  const filler = Buffer.from(FILLER.slice(0, -1), 'latin1');
  let next = 0;
  let problem: string | undefined;
  const check = (line: Buffer, file: string) => {
    if (problem) return;
    // `2026-11-25T15:35:11.123Z out 0000000042 the quick...`
    const ok =
      line.length === 29 + LINE - 1 &&
      line[10] === 84 &&
      line[23] === 90 &&
      line.toString('latin1', 24, 29) === ' out ' &&
      Number(line.toString('latin1', 29, 39)) === next &&
      line.subarray(39).equals(filler);
    if (!ok) problem = `${file}: line ${next} expected, got ${JSON.stringify(line.toString('latin1', 0, 80))}`;
    next++;
  };
  for (const file of files) {
    let carry = Buffer.alloc(0);
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let s = 0;
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) {
        check(buf.subarray(s, i), file);
        s = i + 1;
      }
      carry = Buffer.from(buf.subarray(s));
    }
    if (carry.length > 0) problem ??= `${file}: ends without a newline`;
  }
  if (!problem && next !== expected) problem = `${next} lines in the files, ${expected} written`;
  return { lines: next, problem };
}

/** Why: `npm run bench` and the 50 MB test. Feeds `megabytes` MB from a real child through a ServiceLog. */
export async function benchLogThroughput(opts: {
  dir: string;
  megabytes: number;
  maxSize?: number;
  keep?: number;
}): Promise<BenchLogResult> {
  await mkdir(opts.dir, { recursive: true });
  const file = join(opts.dir, 'bench.log');
  const lines = Math.ceil((opts.megabytes * 1024 * 1024) / LINE);
  const log = new ServiceLog({ file, maxSize: opts.maxSize ?? 0, keep: opts.keep ?? 1000 });
  const rssBefore = process.resourceUsage().maxRSS;
  let sampled = process.memoryUsage.rss();
  const sampler = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 20);

  const child = spawn(process.execPath, ['-e', WRITER, String(lines)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let started = 0;
  const out = child.stdout;
  growPipe(out); // as the daemon's pipes are (spawn/stdio.ts)
  out.on('data', (chunk: Buffer) => {
    if (started === 0) started = performance.now();
    if (!log.write('stdout', chunk)) {
      out.pause();
      log.onDrain(() => out.resume());
    }
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const code = await exited;
  log.end();
  await log.close();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  sampled = Math.max(sampled, process.memoryUsage.rss());
  const rssAfter = process.resourceUsage().maxRSS;
  // a new lifetime maximum during the run is the exact peak; else the sampled one
  const peak = rssAfter > rssBefore ? rssAfter * 1024 : sampled;

  const names = (await readdir(opts.dir)).filter((n) => n === 'bench.log' || n.startsWith('bench.log.'));
  const order = (n: string) => (n === 'bench.log' ? 0 : Number(n.slice('bench.log.'.length)));
  const files = names.sort((a, b) => order(b) - order(a)).map((n) => join(opts.dir, n));
  const checked = await verify(files, lines);
  const problem = code !== 0 ? `the writer exited with ${code}` : (checked.problem ?? log.failing);
  return {
    mbPerSec: (lines * LINE) / 1024 / 1024 / seconds,
    peakRssMb: peak / 1024 / 1024,
    lines: checked.lines,
    ok: problem === undefined,
    problem,
    files: files.length,
    seconds,
  };
}

/** Gives a child_process pipe the buffer of the daemon's output pipes. */
function growPipe(stream: Readable | null): void {
  const fd = (stream as unknown as { _handle?: { fd?: number } } | null)?._handle?.fd;
  if (typeof fd === 'number' && fd >= 0) setPipeSize(fd, OUTPUT_PIPE_BYTES);
}
