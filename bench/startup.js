// Figure 1 (issue 2): time from spawning `tend up` to all N sleep services running, N = 10, 100,
// 500. Measured in separate runs: by the daemon's stderr (the N-th "running" line; median of 3
// runs) and by polling status over the socket every 25 ms (what a user's script would see; 1 run).
import { Daemon } from './lib/daemon.js';
import { figure } from './lib/figure.js';
import { median, removeDir, sleep, sleepConfig, tempDir, writeConfig } from './lib/util.js';

const REPEAT = 3;
const PEERS_500 = 's6 ~2 s, supervisord 7.5 s, pm2 7.3 s';

async function once(n, how) {
  const dir = tempDir(`up${n}`);
  const d = new Daemon(dir, writeConfig(dir, sleepConfig(n)));
  try {
    d.start();
    if (how === 'stderr') {
      const line = await d.waitAll('running', n, { timeoutMs: 60_000 });
      const first = d.lines.find((l) => l.state === 'starting');
      return { ms: line.at - d.spawnedAt, firstMs: first.at - d.spawnedAt };
    }
    const conn = await d.connect();
    try {
      const deadline = performance.now() + 60_000;
      for (;;) {
        const rows = await conn.status();
        const at = performance.now();
        if (rows.filter((r) => r.state === 'running').length === n) {
          // one status request with all N running, for scale
          const s0 = performance.now();
          await conn.status();
          return { ms: at - d.spawnedAt, statusMs: performance.now() - s0 };
        }
        if (at > deadline) throw new Error(`not all ${n} running after 60 s`);
        await sleep(25);
      }
    } finally {
      conn.close();
    }
  } finally {
    const s = await d.stop();
    removeDir(dir);
    if (s.leaked.length) throw new Error(`${s.leaked.length} service processes outlived the daemon (killed by the bench)`);
  }
}

/** Why: issue 2's first benchmark; returns one figure per N and method. */
export async function benchStartup() {
  const out = [];
  for (const n of [10, 100, 500]) {
    const runs = [];
    for (let i = 0; i < REPEAT; i++) runs.push(await once(n, 'stderr'));
    const a = { ms: median(runs.map((r) => r.ms)), firstMs: median(runs.map((r) => r.firstMs)) };
    const spread = `median of ${REPEAT}: ${runs.map((r) => Math.round(r.ms)).join(', ')} ms`;
    const b = await once(n, 'poll');
    const target = n === 500 ? { op: '<', value: 1200 } : undefined;
    out.push(
      figure({
        key: `up_all_running_${n}_stderr_ms`,
        name: `up -> all ${n} running (stderr)`,
        value: a.ms,
        unit: 'ms',
        digits: 0,
        target,
        peers: n === 500 ? PEERS_500 : '',
        note: spread,
      }),
      figure({
        key: `up_all_running_${n}_poll_ms`,
        name: `up -> all ${n} running (status poll)`,
        value: b.ms,
        unit: 'ms',
        digits: 0,
        target,
        peers: n === 500 ? PEERS_500 : '',
        note: n === 500 ? 'polled over the socket every 25 ms; each status also samples cpu/memory of every pid' : '',
      }),
    );
    if (n === 500) {
      out.push(
        figure({
          key: 'up_first_starting_500_ms',
          name: 'up -> first "starting" line (500)',
          value: a.firstMs,
          unit: 'ms',
          digits: 0,
          note: 'state lines go out once per event-loop turn: the first batch (for 500 sleep services, all of them) is flushed at its end',
        }),
        figure({
          key: 'status_request_500_ms',
          name: 'one status request, 500 running (socket)',
          value: b.statusMs,
          unit: 'ms',
          digits: 0,
        }),
      );
    }
  }
  return out;
}
