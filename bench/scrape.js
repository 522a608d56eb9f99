// settings.http with 500 services: GET /metrics, timed at the daemon (tend_metrics_scrape_seconds,
// the handler's own figure) and from outside (the whole HTTP request), median of 20 after a
// warm-up; /readyz and /status beside it. Issue 19: a scrape of 500 services under 20 ms at the daemon.
import { createServer } from 'node:net';
import { Daemon } from './lib/daemon.js';
import { cpuTicks, ticksToSeconds } from './lib/proc.js';
import { figure } from './lib/figure.js';
import { median, removeDir, sleepConfig, tempDir, writeConfig } from './lib/util.js';

const N = 500;
const RUNS = 20;

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

async function timed(url) {
  const t0 = performance.now();
  const r = await fetch(url);
  const body = await r.text();
  return { ms: performance.now() - t0, status: r.status, body };
}

/** Why: issue 19's scrape budget, measured where it is spent. */
export async function benchScrape() {
  const dir = tempDir('scrape');
  const port = await freePort();
  const config = writeConfig(dir, sleepConfig(N, { settings: `  http: 127.0.0.1:${port}` }));
  const d = new Daemon(dir, config);
  const daemonSide = [];
  const outside = [];
  const ready = [];
  const status = [];
  let lines = 0;
  let cpuMs = NaN;
  try {
    d.start();
    await d.waitAll('running', N);
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 3; i++) await timed(`${base}/metrics`); // warm-up: JIT, file cache
    // the daemon's cpu time over 100 scrapes in a row (it does nothing else): what one costs,
    // whatever the machine's load does to the wall time
    const t0 = cpuTicks(d.pid);
    for (let i = 0; i < 100; i++) await timed(`${base}/metrics`);
    cpuMs = (ticksToSeconds(cpuTicks(d.pid) - t0) * 1000) / 100;
    for (let i = 0; i < RUNS; i++) {
      const m = await timed(`${base}/metrics`);
      if (m.status !== 200) throw new Error(`/metrics answered ${m.status}`);
      outside.push(m.ms);
      lines = m.body.split('\n').length;
      // the daemon's own time of the scrape just made, read in the next one
      const next = await timed(`${base}/metrics`);
      const s = /^tend_metrics_scrape_seconds (\S+)$/m.exec(next.body);
      if (!s) throw new Error('no tend_metrics_scrape_seconds in /metrics');
      daemonSide.push(Number(s[1]) * 1000);
      ready.push((await timed(`${base}/readyz`)).ms);
      status.push((await timed(`${base}/status`)).ms);
    }
  } finally {
    const s = await d.stop();
    removeDir(dir);
    if (s.leaked.length) throw new Error(`${s.leaked.length} service processes outlived the daemon`);
  }
  return [
    figure({
      key: 'scrape_500_daemon_median_ms',
      name: `/metrics, ${N} svcs, at the daemon (median of ${2 * RUNS})`,
      value: median(daemonSide),
      unit: 'ms',
      digits: 2,
      target: { op: '<', value: 20 },
      note: `${lines} lines`,
    }),
    figure({
      key: 'scrape_500_daemon_cpu_ms',
      name: `/metrics, ${N} svcs, daemon cpu time per scrape (100 in a row)`,
      value: cpuMs,
      unit: 'ms',
      digits: 2,
      target: { op: '<', value: 20 },
      note: 'user + system of the daemon, HTTP and GC included',
    }),
    figure({
      key: 'scrape_500_http_median_ms',
      name: `/metrics, ${N} svcs, whole request (median of ${RUNS})`,
      value: median(outside),
      unit: 'ms',
      digits: 2,
    }),
    figure({
      key: 'readyz_500_http_median_ms',
      name: `/readyz, ${N} svcs, whole request (median)`,
      value: median(ready),
      unit: 'ms',
      digits: 2,
    }),
    figure({
      key: 'status_http_500_median_ms',
      name: `/status, ${N} svcs, whole request (median)`,
      value: median(status),
      unit: 'ms',
      digits: 2,
    }),
  ];
}
