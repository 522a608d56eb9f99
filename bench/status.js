// Figure 3 (issue 2): `tend status` wall time with 100 services (median of 20) beside a bare
// `node -e 0` (median of 20), runs interleaved so that machine noise hits both alike.
import { Daemon } from './lib/daemon.js';
import { figure } from './lib/figure.js';
import { run, tend } from './lib/proc.js';
import { median, removeDir, sleepConfig, tempDir, writeConfig } from './lib/util.js';

const RUNS = 20;
const N = 100;

/** Why: issue 2's status benchmark (plain and --json), and the node start-up it is compared with. */
export async function benchStatus() {
  const dir = tempDir('status');
  const config = writeConfig(dir, sleepConfig(N));
  const d = new Daemon(dir, config);
  const bare = [];
  const plain = [];
  const json = [];
  const daemonSide = [];
  try {
    d.start();
    await d.waitAll('running', N);
    const check = (r, what) => {
      if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr.trim()}`);
      return r;
    };
    // warm-up: file cache, the daemon's lazy imports (pidusage)
    check(await tend(['status', '-c', config], { cwd: dir }), 'tend status');
    check(await run(process.execPath, ['-e', '0']), 'node -e 0');
    const conn = await d.connect();
    for (let i = 0; i < RUNS; i++) {
      const s0 = performance.now();
      await conn.status();
      daemonSide.push(performance.now() - s0);
    }
    conn.close();
    for (let i = 0; i < RUNS; i++) {
      bare.push(check(await run(process.execPath, ['-e', '0']), 'node -e 0').ms);
      const r = check(await tend(['status', '-c', config], { cwd: dir }), 'tend status');
      const rows = r.stdout.trim().split('\n').length;
      if (rows < N) throw new Error(`tend status printed ${rows} lines for ${N} services`);
      plain.push(r.ms);
      const j = check(await tend(['status', '--json', '-c', config], { cwd: dir }), 'tend status --json');
      if (JSON.parse(j.stdout).length !== N) throw new Error(`tend status --json listed ${JSON.parse(j.stdout).length} of ${N}`);
      json.push(j.ms);
    }
  } finally {
    const s = await d.stop();
    removeDir(dir);
    if (s.leaked.length) throw new Error(`${s.leaked.length} service processes outlived the daemon`);
  }
  const b = median(bare);
  const p = median(plain);
  const j = median(json);
  return [
    figure({ key: 'node_e0_median_ms', name: 'node -e 0 (median of 20)', value: b, unit: 'ms', peers: 'issue: ~125 ms here' }),
    figure({
      key: 'status_100_median_ms',
      name: 'tend status, 100 svcs (median of 20)',
      value: p,
      unit: 'ms',
      peers: 'supervisorctl, pm2 jlist ~350 ms',
    }),
    figure({
      key: 'status_100_minus_node_ms',
      name: 'tend status - node -e 0',
      value: p - b,
      unit: 'ms',
      target: { op: '<=', value: 35 },
    }),
    figure({
      key: 'status_100_request_median_ms',
      name: 'status request over the socket (median)',
      value: median(daemonSide),
      unit: 'ms',
      note: 'the daemon-side part: rows + cpu/memory of 100 pids',
    }),
    figure({ key: 'status_json_100_median_ms', name: 'tend status --json, 100 svcs (median)', value: j, unit: 'ms' }),
    figure({
      key: 'status_json_100_minus_node_ms',
      name: 'tend status --json - node -e 0',
      value: j - b,
      unit: 'ms',
      target: { op: '<=', value: 35 },
    }),
  ];
}
