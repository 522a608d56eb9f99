// Figure 2 (issue 2): restart latency after SIGKILL of a service's pid (restart: always, backoff
// initial 0), p50 and p95 over 20 kills, with 9 other sleep services beside it. Three views:
// exit -> spawn in the daemon's own journal (ms resolution); kill() -> the "running" stderr line
// arriving here; kill() -> the new pid visible in status over the socket (separate 20 kills).
import { Daemon } from './lib/daemon.js';
import { figure } from './lib/figure.js';
import { removeDir, quantile, sleep, sleepConfig, tempDir, writeConfig } from './lib/util.js';

const KILLS = 20;
const PEERS = 'pm2 8 ms (p50), supervisord and s6 ~1 s';
const VICTIM = `  victim:
    command: [sleep, "1000"]
    restart: always
    backoff: { initial: 0 }
    start_limit: { burst: 1000, interval: 1s }`;

async function pidOf(conn) {
  const [row] = await conn.status(['victim']);
  return row.state === 'running' ? row.pid : null;
}

/** One kill, observed passively on stderr: { exitSeen, running } ms after kill(). */
async function killWatched(d, conn) {
  const pid = await pidOf(conn);
  if (!pid) throw new Error('victim is not running before a kill');
  const from = d.lines.length;
  const t0 = performance.now();
  process.kill(pid, 'SIGKILL');
  const isVictim = (l) => l.name === 'victim';
  const gone = await d.waitLine((l) => isVictim(l) && l.state !== 'running', {
    from,
    timeoutMs: 5000,
    what: 'victim leaving running',
  });
  const back = await d.waitLine((l) => isVictim(l) && l.state === 'running', {
    from,
    timeoutMs: 5000,
    what: 'victim running again',
  });
  const now = await pidOf(conn);
  if (now === pid || now === null) throw new Error(`victim pid after the restart is ${now} (was ${pid})`);
  return { exitSeen: gone.at - t0, running: back.at - t0 };
}

/** One kill, observed by polling status until a new pid is running: ms after kill(). */
async function killPolled(conn) {
  const pid = await pidOf(conn);
  if (!pid) throw new Error('victim is not running before a kill');
  const t0 = performance.now();
  process.kill(pid, 'SIGKILL');
  const end = t0 + 5000;
  for (;;) {
    const now = await pidOf(conn);
    const at = performance.now();
    if (now !== null && now !== pid) return at - t0;
    if (at > end) throw new Error('no new victim pid within 5 s of the kill');
  }
}

/** exit -> next spawn of the victim in the journal, in order, ms. */
function journalGaps(events) {
  const gaps = [];
  let exitAt;
  for (const e of events) {
    if (e.service !== 'victim') continue;
    if (e.what === 'exit') exitAt = Date.parse(e.time);
    else if (e.what === 'spawn' && exitAt !== undefined) {
      gaps.push(Date.parse(e.time) - exitAt);
      exitAt = undefined;
    }
  }
  return gaps;
}

/** Why: issue 2's restart benchmark; the journal, stderr and polled views side by side. */
export async function benchRestart() {
  const dir = tempDir('restart');
  const d = new Daemon(dir, writeConfig(dir, sleepConfig(9, { extra: VICTIM })));
  const watched = [];
  const polled = [];
  let gaps = [];
  try {
    d.start();
    await d.waitAll('running', 10);
    const conn = await d.connect();
    try {
      await killWatched(d, conn); // warm-up, not counted
      await sleep(50);
      for (let i = 0; i < KILLS; i++) {
        watched.push(await killWatched(d, conn));
        await sleep(30);
      }
      for (let i = 0; i < KILLS; i++) {
        polled.push(await killPolled(conn));
        await sleep(30);
      }
      const { events } = await conn.request('events', { lines: 10_000 });
      gaps = journalGaps(events).slice(1, 1 + KILLS); // the watched kills only
    } finally {
      conn.close();
    }
  } finally {
    const s = await d.stop();
    removeDir(dir);
    if (s.leaked.length) throw new Error(`${s.leaked.length} service processes outlived the daemon`);
  }
  const run = watched.map((w) => w.running);
  const exitSeen = watched.map((w) => w.exitSeen);
  const p = (xs, q) => quantile(xs, q);
  const t5 = { op: '<', value: 5 };
  return [
    figure({
      key: 'restart_journal_exit_to_spawn_p50_ms',
      name: 'restart: exit -> spawn, journal p50',
      value: p(gaps, 0.5),
      unit: 'ms',
      target: t5,
      peers: PEERS,
      note: 'journal times have 1 ms resolution',
    }),
    figure({
      key: 'restart_journal_exit_to_spawn_p95_ms',
      name: 'restart: exit -> spawn, journal p95',
      value: p(gaps, 0.95),
      unit: 'ms',
    }),
    figure({
      key: 'restart_kill_to_running_p50_ms',
      name: 'restart: kill() -> "running" line p50',
      value: p(run, 0.5),
      unit: 'ms',
      digits: 2,
      target: t5,
      peers: PEERS,
    }),
    figure({
      key: 'restart_kill_to_running_p95_ms',
      name: 'restart: kill() -> "running" line p95',
      value: p(run, 0.95),
      unit: 'ms',
      digits: 2,
    }),
    figure({
      key: 'restart_kill_to_exit_seen_p50_ms',
      name: 'restart: kill() -> exit seen (stderr) p50',
      value: p(exitSeen, 0.5),
      unit: 'ms',
      digits: 2,
      note: 'part of the above: how fast the exit is noticed',
    }),
    figure({
      key: 'restart_kill_to_new_pid_p50_ms',
      name: 'restart: kill() -> new pid in status p50',
      value: p(polled, 0.5),
      unit: 'ms',
      digits: 2,
      target: t5,
      peers: PEERS,
    }),
    figure({
      key: 'restart_kill_to_new_pid_p95_ms',
      name: 'restart: kill() -> new pid in status p95',
      value: p(polled, 0.95),
      unit: 'ms',
      digits: 2,
    }),
  ];
}
