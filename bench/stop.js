// Figure 5 (issue 2): stopping 100 services that exit on SIGTERM: the wall time of
// `tend stop all`, the daemon-side span (first "stopping" line to last "stopped"), then
// `tend shutdown` with 100 running until the daemon process has exited.
import { Daemon } from './lib/daemon.js';
import { figure } from './lib/figure.js';
import { tend } from './lib/proc.js';
import { removeDir, sleepConfig, tempDir, writeConfig } from './lib/util.js';

const N = 100;
const PEERS = 'pm2 2.5 s, supervisord 20 s';

/** Why: issue 2's stop benchmark, and the shutdown path beside it. */
export async function benchStop() {
  const dir = tempDir('stop');
  const config = writeConfig(dir, sleepConfig(N));
  const d = new Daemon(dir, config);
  const res = {};
  try {
    d.start();
    await d.waitAll('running', N);
    let from = d.lines.length;
    const stop = await tend(['stop', 'all', '-c', config], { cwd: dir, timeoutMs: 60_000 });
    if (stop.code !== 0) throw new Error(`tend stop all exited ${stop.code}: ${stop.stderr.trim()}`);
    const last = await d.waitAll('stopped', N, { from, timeoutMs: 5000 });
    const first = d.lines.slice(from).find((l) => l.state === 'stopping');
    res.stopCli = stop.ms;
    res.stopSpan = last.at - first.at;

    from = d.lines.length;
    const start = await tend(['start', 'all', '-c', config], { cwd: dir, timeoutMs: 60_000 });
    if (start.code !== 0) throw new Error(`tend start all exited ${start.code}: ${start.stderr.trim()}`);
    await d.waitAll('running', N, { from });

    const t0 = performance.now();
    const down = tend(['shutdown', '-c', config], { cwd: dir, timeoutMs: 60_000 });
    let timer;
    const late = new Promise(
      (_, rej) => (timer = setTimeout(() => rej(new Error('the daemon did not exit within 30 s of tend shutdown')), 30_000)),
    );
    const exit = await Promise.race([d.exited, late]).finally(() => clearTimeout(timer));
    const r = await down;
    if (r.code !== 0) throw new Error(`tend shutdown exited ${r.code}: ${r.stderr.trim()}`);
    if (exit.code !== 0) throw new Error(`tend up exited ${exit.code ?? exit.signal} after tend shutdown`);
    res.shutdown = exit.at - t0;
    res.shutdownCli = r.ms;
  } finally {
    const s = await d.stop();
    removeDir(dir);
    if (s.leaked.length) throw new Error(`${s.leaked.length} service processes outlived the daemon`);
  }
  return [
    figure({
      key: 'stop_all_100_cli_ms',
      name: 'tend stop all, 100 svcs (CLI wall)',
      value: res.stopCli,
      unit: 'ms',
      digits: 0,
      target: { op: '<', value: 500 },
      peers: PEERS,
    }),
    figure({
      key: 'stop_all_100_daemon_ms',
      name: 'stop all: first stopping -> last stopped',
      value: res.stopSpan,
      unit: 'ms',
      digits: 1,
    }),
    figure({
      key: 'shutdown_100_ms',
      name: 'tend shutdown -> daemon exited, 100 svcs',
      value: res.shutdown,
      unit: 'ms',
      digits: 0,
      note: 'no target in the issues',
    }),
    figure({ key: 'shutdown_100_cli_ms', name: 'tend shutdown (CLI wall)', value: res.shutdownCli, unit: 'ms', digits: 0 }),
  ];
}
