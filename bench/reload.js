// Figure 7 (issue 6): reload of a 500-service config where one service changed. Timed three times:
// the reload request over the socket (request -> reply: plan applied), first and again (warm),
// and `tend reload` (CLI wall),
// each with the changed service's "running" line as a second mark; then every pid is compared:
// only the changed service may have a new one.
import { Daemon } from './lib/daemon.js';
import { figure } from './lib/figure.js';
import { tend } from './lib/proc.js';
import { removeDir, serviceName, sleepConfig, tempDir, writeConfig } from './lib/util.js';

const N = 500;

async function pids(conn) {
  return new Map((await conn.status()).map((r) => [r.name, r.pid]));
}

/** Names whose pid differs between two snapshots. */
function moved(a, b) {
  return [...a.keys()].filter((k) => a.get(k) !== b.get(k));
}

/** Rewrites the config with `changed` services running `sleep 1001`; returns the changed names. */
function change(dir, changed) {
  writeConfig(dir, sleepConfig(N, { seconds: (i) => (changed.includes(serviceName(i)) ? '1001' : '1000') }));
}

/** Why: issue 6's benchmark: a reload touches only what changed, and fast. */
export async function benchReload() {
  const dir = tempDir('reload');
  const config = writeConfig(dir, sleepConfig(N));
  const d = new Daemon(dir, config);
  const res = {};
  try {
    d.start();
    await d.waitAll('running', N, { timeoutMs: 90_000 });
    const conn = await d.connect();
    try {
      // 1: over the socket
      const before = await pids(conn);
      const a = serviceName(250);
      change(dir, [a]);
      let from = d.lines.length;
      const t0 = performance.now();
      const plan = await conn.request('reload', { dry_run: false });
      res.sockReply = performance.now() - t0;
      res.sockRunning =
        (await d.waitLine((l) => l.name === a && l.state === 'running', { from, timeoutMs: 10_000, what: `${a} running again` }))
          .at - t0;
      res.sockPlan = plan.text?.replace(/\n/g, '; ');
      const after = await pids(conn);
      res.sockMoved = moved(before, after);
      res.sockOk = res.sockMoved.length === 1 && res.sockMoved[0] === a && plan.changed?.length === 1 && plan.unchanged === N - 1;

      // 2: over the socket again, warm (the daemon has parsed and diffed once)
      const w = serviceName(400);
      change(dir, [a, w]);
      from = d.lines.length;
      const tw = performance.now();
      const plan2 = await conn.request('reload', { dry_run: false });
      res.warmReply = performance.now() - tw;
      res.warmRunning =
        (await d.waitLine((l) => l.name === w && l.state === 'running', { from, timeoutMs: 10_000, what: `${w} running again` }))
          .at - tw;
      const afterW = await pids(conn);
      res.warmMoved = moved(after, afterW);
      res.warmOk = res.warmMoved.length === 1 && res.warmMoved[0] === w && plan2.changed?.length === 1;

      // 3: through the CLI
      const b = serviceName(100);
      change(dir, [a, w, b]);
      from = d.lines.length;
      const t1 = performance.now();
      const r = await tend(['reload', '-c', config], { cwd: dir });
      if (r.code !== 0) throw new Error(`tend reload exited ${r.code}: ${r.stderr.trim()}`);
      res.cliWall = r.ms;
      res.cliRunning =
        (await d.waitLine((l) => l.name === b && l.state === 'running', { from, timeoutMs: 10_000, what: `${b} running again` }))
          .at - t1;
      const after2 = await pids(conn);
      res.cliMoved = moved(afterW, after2);
      res.cliOk = res.cliMoved.length === 1 && res.cliMoved[0] === b && r.stdout.includes(`~ ${b}`);
    } finally {
      conn.close();
    }
  } finally {
    const s = await d.stop();
    removeDir(dir);
    if (s.leaked.length) throw new Error(`${s.leaked.length} service processes outlived the daemon`);
  }
  const t100 = { op: '<', value: 100 };
  const which = (m) => `pids changed: ${m.length <= 5 ? m.join(', ') || 'none' : `${m.length} services`}`;
  return [
    figure({
      key: 'reload_500_reply_ms',
      name: 'reload 500 (1 changed), first: request -> reply',
      value: res.sockReply,
      unit: 'ms',
      target: t100,
      note: res.sockPlan,
    }),
    figure({
      key: 'reload_500_running_ms',
      name: 'reload: request -> changed svc running',
      value: res.sockRunning,
      unit: 'ms',
      target: t100,
    }),
    figure({
      key: 'reload_500_warm_reply_ms',
      name: 'reload again (warm): request -> reply',
      value: res.warmReply,
      unit: 'ms',
      target: t100,
    }),
    figure({
      key: 'reload_500_warm_running_ms',
      name: 'reload again: request -> changed svc running',
      value: res.warmRunning,
      unit: 'ms',
      target: t100,
    }),
    figure({
      key: 'reload_500_only_one_restarted',
      name: 'reload: only the changed svc restarted',
      value: res.sockOk && res.warmOk && res.cliOk,
      target: { op: '==', value: true },
      note: `first reload ${which(res.sockMoved)}; second ${which(res.warmMoved)}; CLI reload ${which(res.cliMoved)}`,
    }),
    figure({
      key: 'reload_500_cli_ms',
      name: 'tend reload, 500 svcs (CLI wall)',
      value: res.cliWall,
      unit: 'ms',
      digits: 0,
      note: 'includes the node start-up (see node -e 0)',
    }),
    figure({
      key: 'reload_500_cli_running_ms',
      name: 'tend reload -> changed svc running',
      value: res.cliRunning,
      unit: 'ms',
      digits: 0,
    }),
  ];
}
