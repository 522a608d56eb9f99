// settings.http: what /readyz, /metrics and /status answer, from the same store and status rows
// as `tend status` and `tend why`. Imported by the daemon only when settings.http is set.
import { readFileSync } from 'node:fs';
import { exitCodeOf } from '../core/describe.js';
import { hasSchedule, type Instance } from '../core/instance.js';
import type { Journal } from '../core/journal.js';
import { signalNumber } from '../core/signals.js';
import { STATES } from '../core/types.js';
import { exposition, type InstanceSample } from '../http/metrics.js';
import { listenHttp, type HttpServer } from '../http/server.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import { explain, statusRow, type StatusRow } from './status.js';

export interface HttpDeps {
  at: { host: string; port: number };
  sup: Supervisor;
  journal: Journal;
  /** fills cpu, cpu_seconds and memory of the rows (the daemon's one ProcUsage) */
  usage(rows: StatusRow[], insts: Instance[]): Promise<void>;
  /** bytes written to an instance's log since tend started */
  logBytes(id: string): number;
  notifyDropped(): Record<string, number>;
  shuttingDown(): boolean;
}

/** One instance that keeps /readyz at 503: its state and the paragraph `tend why` prints. */
export interface NotReady {
  name: string;
  state: string;
  why: string;
}

/**
 * /readyz: ready when every autostart instance that is wanted up is running (ready) or
 * completed; a task with a schedule does not count, whatever its run does (a cron job is never
 * "up"; a failed run is for `tend why` and the journal, and a run waiting for a pool slot or an
 * approval would flap the pod's readiness). One stopped with `tend stop` does not count; nothing
 * is ready while shutting down.
 */
export function readiness(
  store: ReadonlyMap<string, Instance>,
  now: number,
  shuttingDown: boolean,
): { ok: boolean; body: unknown } {
  if (shuttingDown) return { ok: false, body: { ready: false, shutting_down: true, not_ready: [] } };
  const notReady: NotReady[] = [];
  for (const i of store.values()) {
    if (!i.inst.spec.autostart || i.want === 'down') continue;
    if (i.state === 'running' || i.state === 'completed' || hasSchedule(i.inst)) continue;
    notReady.push({ name: i.id, state: i.state, why: explain(store, i, now) });
  }
  return notReady.length ? { ok: false, body: { ready: false, not_ready: notReady } } : { ok: true, body: { ready: true } };
}

/** The version in package.json (read once). */
function tendVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Listens on settings.http; rejects with why it cannot (tend up then exits 1). */
export async function startHttp(d: HttpDeps): Promise<HttpServer> {
  const reloads = { applied: 0, rejected: 0 };
  const off = d.journal.subscribe((e) => {
    if (e.service !== 'tend' || e.what !== 'reload') return;
    if (e.why.includes('config rejected')) reloads.rejected++;
    else reloads.applied++;
  });
  const version = tendVersion();
  let lastScrape: number | null = null;

  const rows = async (): Promise<{ rows: StatusRow[]; insts: Instance[]; now: number }> => {
    const insts = [...d.sup.store.values()];
    const now = Date.now();
    const out = insts.map((i) => statusRow(d.sup.store, i, now));
    await d.usage(out, insts);
    return { rows: out, insts, now };
  };

  const server = await listenHttp(
    d.at,
    {
      ready: () => readiness(d.sup.store, Date.now(), d.shuttingDown()),
      status: async () => (await rows()).rows,
      async metrics() {
        const t0 = process.hrtime.bigint();
        const { rows: r, insts } = await rows();
        const samples: InstanceSample[] = r.map((row, k) => {
          const i = insts[k]!;
          const last = i.exits[i.exits.length - 1]?.exit;
          return {
            name: row.name,
            service: row.service,
            state: row.state,
            restarts: row.restarts,
            lastExitCode: last ? exitCodeOf(last, signalNumber) : null,
            cpuSeconds: row.cpu_seconds,
            memoryBytes: row.memory,
            logBytes: d.logBytes(i.id),
            startTime: i.pid !== null && i.startedAt !== null ? i.startedAt / 1000 : null,
            task:
              i.inst.spec.type === 'oneshot'
                ? {
                    completed: i.runs.completed,
                    failed: i.runs.failed,
                    lastSuccess: i.runs.lastCompletedAt === null ? null : i.runs.lastCompletedAt / 1000,
                    nextRun: i.nextRunAt === null ? null : i.nextRunAt / 1000,
                  }
                : null,
          };
        });
        const text = exposition(
          samples,
          {
            version,
            node: process.version,
            reloads,
            notifyDropped: d.notifyDropped(),
            lastScrapeSeconds: lastScrape,
          },
          STATES,
        );
        lastScrape = Number(process.hrtime.bigint() - t0) / 1e9;
        return text;
      },
    },
    (m) => d.journal.add('tend', 'error', m),
  );
  return {
    address: server.address,
    async close() {
      off();
      await server.close();
    },
  };
}
