// Figure 4 (issue 2): the daemon's RSS (VmRSS) and CPU seconds (utime + stime) with 100 sleep
// services, read from /proc over two 10 s idle windows after start-up (the first would show any
// one-off work after start-up, such as a GC; the second is the steady state); nothing talks to
// the daemon meanwhile.
import { Daemon } from './lib/daemon.js';
import { figure } from './lib/figure.js';
import { cpuTicks, statusMb, ticksToSeconds } from './lib/proc.js';
import { removeDir, sleep, sleepConfig, tempDir, writeConfig } from './lib/util.js';

const N = 100;
const WINDOW_MS = 10_000;
const SETTLE_MS = 2_000;

/** One idle window: CPU seconds used and the largest VmRSS sampled every 0.5 s. */
async function window(pid) {
  let rssMax = 0;
  const c0 = cpuTicks(pid);
  const t0 = performance.now();
  for (;;) {
    rssMax = Math.max(rssMax, statusMb(pid, 'VmRSS'));
    const left = WINDOW_MS - (performance.now() - t0);
    if (left <= 0) break;
    await sleep(Math.min(500, left));
  }
  return { cpu: ticksToSeconds(cpuTicks(pid) - c0), rssMax, rssEnd: statusMb(pid, 'VmRSS') };
}

/** Why: issue 2's idle benchmark: what a quiet supervisor costs. */
export async function benchIdle() {
  const dir = tempDir('idle');
  const d = new Daemon(dir, writeConfig(dir, sleepConfig(N)));
  let a;
  let b;
  let hwm;
  let linesDuring;
  try {
    d.start();
    await d.waitAll('running', N);
    await sleep(SETTLE_MS);
    const from = d.lines.length;
    a = await window(d.pid);
    b = await window(d.pid);
    hwm = statusMb(d.pid, 'VmHWM');
    linesDuring = d.lines.length - from;
  } finally {
    const s = await d.stop();
    removeDir(dir);
    if (s.leaked.length) throw new Error(`${s.leaked.length} service processes outlived the daemon`);
  }
  const t55 = { op: '<', value: 55 };
  const tcpu = { op: '<', value: 0.02 };
  const peers = 'supervisord 33 MB, pm2 75 MB';
  return [
    figure({
      key: 'idle_100_rss_first_mb',
      name: 'idle RSS, 100 svcs, max in 1st 10 s',
      value: a.rssMax,
      unit: 'MB',
      target: t55,
      peers,
    }),
    figure({
      key: 'idle_100_rss_mb',
      name: 'idle RSS, 100 svcs, end of 2nd 10 s',
      value: b.rssEnd,
      unit: 'MB',
      target: t55,
      peers,
    }),
    figure({ key: 'idle_100_hwm_mb', name: 'daemon VmHWM (peak since start)', value: hwm, unit: 'MB' }),
    figure({
      key: 'idle_100_cpu_first_s',
      name: 'idle CPU, 1st 10 s (2 s after all up)',
      value: a.cpu,
      unit: 's',
      digits: 3,
      target: tcpu,
    }),
    figure({
      key: 'idle_100_cpu_s',
      name: 'idle CPU, 2nd 10 s (steady)',
      value: b.cpu,
      unit: 's',
      digits: 3,
      target: tcpu,
      note: linesDuring ? `${linesDuring} stderr lines while idle` : '',
    }),
  ];
}
