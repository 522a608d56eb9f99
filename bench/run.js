// `npm run bench`: runs every benchmark of issues 2, 5, 6 and 7 against the built dist/, one after
// the other, each with real processes in its own temp folder; prints a table and stores the
// figures in bench/results/. `node bench/run.js restart status` runs only those.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchIdle } from './idle.js';
import { failed } from './lib/figure.js';
import { killTracked } from './lib/proc.js';
import { notes, save, table } from './lib/report.js';
import { CLI } from './lib/util.js';
import { benchLogs } from './logs.js';
import { benchReload } from './reload.js';
import { benchRestart } from './restart.js';
import { benchScrape } from './scrape.js';
import { benchShell } from './shell.js';
import { benchStartup } from './startup.js';
import { benchStatus } from './status.js';
import { benchStop } from './stop.js';
import { benchTasksIdle } from './tasks-idle.js';

const BENCHES = [
  ['startup', benchStartup, 'up -> all running'],
  ['restart', benchRestart, 'restart latency'],
  ['status', benchStatus, 'tend status'],
  ['idle', benchIdle, 'idle daemon'],
  ['stop', benchStop, 'stop / shutdown'],
  ['logs', benchLogs, 'log throughput'],
  ['reload', benchReload, 'reload'],
  ['shell', benchShell, 'shell'],
  ['tasks-idle', benchTasksIdle, '100 scheduled tasks, idle'],
  ['scrape', benchScrape, 'settings.http /metrics'],
];
const BUDGET_MS = 290_000; // the whole bench stays under 5 minutes

const loadNow = () => loadavg().map((x) => Math.round(x * 100) / 100);

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

async function main() {
  if (!existsSync(CLI)) {
    process.stderr.write(`bench: ${CLI} is missing: run \`npm run build:ts\` first\n`);
    return 2;
  }
  const only = process.argv.slice(2);
  const unknown = only.filter((o) => !BENCHES.some(([k]) => k === o));
  if (unknown.length) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')}; known: ${BENCHES.map(([k]) => k).join(', ')}\n`);
    return 2;
  }
  const chosen = BENCHES.filter(([k]) => only.length === 0 || only.includes(k));
  const started = new Date().toISOString();
  const load0 = loadNow();
  const t0 = performance.now();
  const figures = [];
  const durations = {};
  const errors = {};
  for (const [key, fn, title] of chosen) {
    const left = BUDGET_MS - (performance.now() - t0);
    if (left <= 0) {
      errors[key] = 'skipped: the 5-minute budget is spent';
      figures.push(failed(key, title, new Error(errors[key])));
      continue;
    }
    process.stderr.write(`bench: ${title} ...`);
    const b0 = performance.now();
    try {
      let timer;
      const timeout = new Promise(
        (_, rej) => (timer = setTimeout(() => rej(new Error(`over the remaining budget of ${Math.round(left / 1000)} s`)), left)),
      );
      const got = await Promise.race([fn(), timeout]).finally(() => clearTimeout(timer));
      figures.push(...got);
    } catch (e) {
      killTracked();
      errors[key] = e.message;
      figures.push(failed(key, title, e));
    }
    durations[key] = Math.round(performance.now() - b0);
    process.stderr.write(` ${(durations[key] / 1000).toFixed(1)} s${errors[key] ? ` (error: ${errors[key]})` : ''}\n`);
  }
  const doc = {
    started,
    seconds: Math.round(performance.now() - t0) / 1000,
    commit: gitCommit(),
    only: only.length ? only : null,
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? null,
      node: process.version,
      kernel: release(),
      loadavg_at_start: load0,
      loadavg_at_end: loadNow(),
    },
    durations_ms: durations,
    errors,
    figures,
  };
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  const files = save(resultsDir, doc, only.length === 0);
  const m = doc.machine;
  process.stdout.write(
    `\ntend benchmarks, ${started} (${doc.seconds} s; ${m.cpus} cpus, node ${process.version}; load average ${m.loadavg_at_start[0]} at start, ${m.loadavg_at_end[0]} at end)\n\n`,
  );
  process.stdout.write(`${table(figures)}\n\n`);
  const n = notes(figures);
  if (n) process.stdout.write(`${n}\n\n`);
  const missed = figures.filter((f) => f.pass === false).length;
  const met = figures.filter((f) => f.pass === true).length;
  process.stdout.write(`${met} targets met, ${missed} missed. Stored in ${files.join(' and ')}\n`);
  return Object.keys(errors).length ? 1 : 0;
}

process.on('exit', killTracked);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killTracked();
    process.exit(130);
  });
}
main().then(
  (code) => (process.exitCode = code),
  (e) => {
    killTracked();
    process.stderr.write(`bench: ${e.stack ?? e}\n`);
    process.exitCode = 1;
  },
);
