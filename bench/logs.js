// Figure 6 (issue 5): 200 MB of numbered lines from a real child through the daemon's log path
// (benchLogThroughput of dist/spawn/log-bench.js) in a fresh node process: MB/s into the log file,
// peak RSS, and every line present, in order, exactly once.
import { join } from 'node:path';
import { figure } from './lib/figure.js';
import { run } from './lib/proc.js';
import { LOG_BENCH, removeDir, tempDir } from './lib/util.js';

const MB = 200;

/** Why: issue 5's benchmark, isolated in its own process so its RSS is the log path's alone. */
export async function benchLogs() {
  const dir = tempDir('logs');
  let r;
  try {
    const script = `
      const { benchLogThroughput } = await import(${JSON.stringify(LOG_BENCH)});
      const r = await benchLogThroughput({ dir: ${JSON.stringify(join(dir, 'logs'))}, megabytes: ${MB} });
      process.stdout.write(JSON.stringify(r));`;
    const p = await run(process.execPath, ['--input-type=module', '-e', script], { timeoutMs: 120_000 });
    if (p.code !== 0) throw new Error(`the log bench process exited ${p.code}: ${p.stderr.trim().slice(-500)}`);
    r = JSON.parse(p.stdout);
  } finally {
    removeDir(dir);
  }
  return [
    figure({ key: 'log_throughput_mb_s', name: `log throughput, ${MB} MB with timestamps`, value: r.mbPerSec, unit: 'MB/s', digits: 0, target: { op: '>=', value: 500 }, peers: 'supervisord ~500 MB/s (no timestamps), pm2 ~105 MB/s' }),
    figure({ key: 'log_peak_rss_mb', name: 'log bench peak RSS', value: r.peakRssMb, unit: 'MB', target: { op: '<', value: 120 } }),
    figure({ key: 'log_every_line_once', name: `every line once, in order (${r.lines} lines, ${r.files} file${r.files === 1 ? '' : 's'})`, value: r.ok, target: { op: '==', value: true }, note: r.problem ?? '' }),
  ];
}
