// Figure 6 (issue 14): 200 MB of 100-byte lines from a real service through the real daemon
// (`tend up`) into its log file, as ../shared/bench/compare.sh logs measures it beside the peers:
// from the moment the service is let go (a fifo) to its end mark being in the file. 3 runs, each
// with a fresh daemon; the daemon's peak RSS (VmHWM); every line present, in order, exactly once.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon } from './lib/daemon.js';
import { figure } from './lib/figure.js';
import { statusMb } from './lib/proc.js';
import { removeDir, tempDir, waitFor, writeConfig } from './lib/util.js';

const MB = 200;
const LINE = 'x'.repeat(99); // 100 bytes with its newline
const LINES = (MB * 1000 * 1000) / 100;
const RUNS = 3;
const END = 'BENCH-END-MARK';

/** Whether the last bytes of `file` hold the end mark. */
function endMarked(file) {
  let fd;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const size = statSync(file).size;
    const buf = Buffer.alloc(Math.min(size, 256));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.includes(END);
  } finally {
    closeSync(fd);
  }
}

/** Every payload line of the file is LINE, and there are LINES of them (one pass, in 8 MiB reads). */
function checkLines(file) {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(8 * 1024 * 1024);
  let count = 0;
  let rest = '';
  let problem = '';
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const text = rest + buf.toString('latin1', 0, n);
      const lines = text.split('\n');
      rest = lines.pop();
      for (const l of lines) {
        // `TIME out LINE`
        const payload = l.slice(l.indexOf(' out ') + 5);
        if (payload === LINE) count++;
        else if (payload !== END && !problem) problem = `an unexpected line: ${l.slice(0, 80)}`;
      }
    }
  } finally {
    closeSync(fd);
  }
  if (!problem && count !== LINES) problem = `${count} lines of ${LINES}`;
  return { ok: !problem, problem, count };
}

/** One run: a fresh daemon, one service held at a fifo; MB/s from the release to the end mark. */
async function oneRun(dir) {
  const fifo = join(dir, 'go.fifo');
  execFileSync('mkfifo', [fifo]);
  const script = join(dir, 'logsvc.sh');
  writeFileSync(
    script,
    `#!/bin/sh\nread _ < ${fifo}\nyes '${LINE}' | head -c ${MB * 1000 * 1000}\necho ${END}\nexec sleep 100000\n`,
    { mode: 0o755 },
  );
  const config = writeConfig(
    dir,
    `settings:\n  echo: false\nservices:\n  logsvc:\n    command: ${script}\n    logs: { max_size: 1G, keep: 1 }\n`,
  );
  const file = join(dir, '.tend/logs/logsvc.log');
  const d = new Daemon(dir, config).start();
  try {
    await d.waitAll('running', 1);
    const t0 = performance.now();
    writeFileSync(fifo, 'go\n');
    await waitFor(() => endMarked(file), 'the end mark in the log file', 120_000, 5);
    const ms = performance.now() - t0;
    const peakRssMb = statusMb(d.pid, 'VmHWM');
    const lines = checkLines(file);
    return { mbPerSec: MB / (ms / 1000), peakRssMb, ...lines };
  } finally {
    await d.stop();
  }
}

/** Why: issue 14's throughput figure, end to end: the product, not a component in another process. */
export async function benchLogs() {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = tempDir('logs');
    // start with no dirty pages from earlier runs: their writeback would be measured as ours
    execFileSync('sync');
    try {
      runs.push(await oneRun(dir));
    } finally {
      removeDir(dir);
    }
  }
  const rates = runs.map((r) => r.mbPerSec);
  const mid = [...rates].sort((a, b) => a - b)[Math.floor(RUNS / 2)];
  const bad = runs.find((r) => !r.ok);
  return [
    figure({
      key: 'log_throughput_mb_s',
      name: `log capture, ${MB} MB through tend up into its file (timestamps)`,
      value: mid,
      unit: 'MB/s',
      digits: 0,
      target: { op: '>=', value: 300 },
      peers: 'compare.sh logs: supervisord on the same machine',
      note: `median of ${RUNS} daemons: ${rates.map((x) => Math.round(x)).join(', ')} MB/s`,
    }),
    figure({
      key: 'log_peak_rss_mb',
      name: 'daemon peak RSS during the log burst',
      value: Math.max(...runs.map((r) => r.peakRssMb)),
      unit: 'MB',
      target: { op: '<', value: 120 },
    }),
    figure({
      key: 'log_every_line_once',
      name: `every line once, in order (${LINES} lines x ${RUNS} runs)`,
      value: runs.every((x) => x.ok),
      target: { op: '==', value: true },
      note: bad?.problem ?? '',
    }),
  ];
}
