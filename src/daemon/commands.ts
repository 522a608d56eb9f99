// The daemon's answers to control requests (SPEC §3, §5). Commands only change what is wanted
// and then wait on the store; the supervisor's loop does the spawning and killing.
import { TendError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import { isAlive } from '../core/instance.js';
import type { Journal } from '../core/journal.js';
import type { JournalEntry } from '../core/types.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import { parseSignal } from '../config/units.js';
import { explain, statusRow, type StatusRow } from './status.js';

/** What the command handlers need from the daemon. */
export interface DaemonContext {
  sup: Supervisor;
  journal: Journal;
  now(): number;
  /** fills cpu and memory of the rows (summed over each instance's processes) */
  usage(rows: StatusRow[], insts: Instance[]): Promise<void>;
  logs: {
    tail(id: string, n: number): Promise<Array<{ time: string; service: string; stream: string; line: string }>>;
    follow(id: string, fn: (l: { time: string; service: string; stream: string; line: string }) => void): () => void;
  };
  reload(dryRun: boolean): Promise<unknown>;
  shutdown(): void;
  /** the latest config problem (a broken reload), shown by status */
  configProblem(): string | undefined;
  shuttingDown(): boolean;
}

function names(args: Record<string, unknown>, key = 'names'): string[] {
  const v = args[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new TendError('bad_request', `${key}: expected a list of service names`);
  }
  return v as string[];
}

function num(args: Record<string, unknown>, key: string, dflt: number): number {
  const v = args[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new TendError('bad_request', `${key}: expected a non-negative number; got ${JSON.stringify(v)}`);
  }
  return v;
}

function resolveOrThrow(sup: Supervisor, list: string[], required = true): Instance[] {
  if (list.length === 0) {
    if (required) throw new TendError('bad_request', 'names: give at least one service name (or "all")');
    return [...sup.store.values()];
  }
  const { found, unknown } = sup.resolve(list);
  if (unknown.length) {
    const known = [...new Set([...sup.store.values()].map((i) => i.inst.service))].join(', ');
    throw new TendError(
      'unknown_service',
      `unknown service${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${known || 'none'})`,
    );
  }
  return found;
}

type Verdict = 'ok' | 'fail' | undefined;
type Judge = (i: Instance, now: number) => Verdict;

/** Waits until every instance reaches a verdict; resolves the failures, or rejects on timeout. */
function waitFor(
  d: DaemonContext,
  targets: Instance[],
  judge: Judge,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Instance[]> {
  return new Promise((resolve, reject) => {
    let settle: NodeJS.Timeout | undefined;
    const check = (): boolean => {
      const now = d.now();
      const verdicts = targets.map((t) => judge(t, now));
      if (verdicts.some((v) => v === undefined)) {
        // a running service still settling: look again when it has run SETTLE_MS
        clearTimeout(settle);
        const due = targets
          .filter((t, k) => verdicts[k] === undefined && t.state === 'running' && t.startedAt !== null)
          .map((t) => t.startedAt! + SETTLE_MS - now);
        if (due.length) settle = setTimeout(check, Math.max(1, Math.min(...due)));
        return false;
      }
      finish();
      resolve(targets.filter((_, k) => verdicts[k] === 'fail'));
      return true;
    };
    const off = d.sup.onChange(() => void check());
    const timer = setTimeout(() => {
      finish();
      const left = targets.filter((t) => judge(t, d.now()) === undefined);
      reject(
        new TendError(
          'timeout',
          `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${left.map((l) => `${l.id} (${l.state})`).join(', ')}`,
        ),
      );
    }, timeoutMs);
    const onAbort = (): void => {
      finish();
      reject(new TendError('cancelled', 'the client went away'));
    };
    signal.addEventListener('abort', onAbort);
    function finish(): void {
      off();
      clearTimeout(settle);
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    check();
  });
}

/** A service without a readiness probe counts as started once it ran this long (supervisord's startsecs). */
export const SETTLE_MS = 1000;

const started = (i: Instance, now: number): Verdict => {
  if (i.state === 'completed') return 'ok';
  if (i.state === 'failed') return 'fail';
  if (i.state !== 'running') return undefined;
  if (i.inst.spec.readiness || i.startedAt === null || now - i.startedAt >= SETTLE_MS) return 'ok';
  return undefined;
};
const stopped = (i: Instance): Verdict => (isAlive(i.state) ? undefined : 'ok');

function failureError(failed: Instance[]): TendError {
  return new TendError('start_failed', failed.map((f) => `${f.id}: ${f.reason}`).join('\n'));
}

/** Builds the request handler over a daemon context. */
export function makeHandler(d: DaemonContext) {
  return async (cmd: string, args: Record<string, unknown>, ctx: { send(e: unknown): void; closed: Promise<void>; signal: AbortSignal }): Promise<unknown> => {
    const { sup } = d;
    if (d.shuttingDown() && (cmd === 'start' || cmd === 'restart' || cmd === 'reload')) {
      throw new TendError('shutting_down', `tend is shutting down: ${cmd} refused`);
    }
    switch (cmd) {
      case 'ping':
        return { pid: process.pid };
      case 'status': {
        const insts = resolveOrThrow(sup, names(args), false);
        const now = d.now();
        const rows = insts.map((i) => statusRow(sup.store, i, now));
        await d.usage(rows, insts);
        const problem = d.configProblem();
        return { services: rows, config_error: problem ?? null };
      }
      case 'start': {
        const targets = resolveOrThrow(sup, names(args));
        const also = sup.start(targets);
        if (args.wait === false) return { started: targets.map((t) => t.id), also: also.map((a) => a.id) };
        const failed = await waitFor(d, targets, started, num(args, 'timeout', 60_000), ctx.signal);
        if (failed.length) throw failureError(failed);
        return { started: targets.map((t) => t.id), also: also.map((a) => a.id) };
      }
      case 'stop': {
        const targets = resolveOrThrow(sup, names(args));
        const also = sup.stop(targets);
        const all = [...also, ...targets];
        if (args.wait !== false) await waitFor(d, all, stopped, num(args, 'timeout', 120_000), ctx.signal);
        return { stopped: targets.map((t) => t.id), also: also.map((a) => a.id) };
      }
      case 'restart': {
        const targets = resolveOrThrow(sup, names(args));
        // wait for the stop to be seen, then for the start
        const before = new Map(targets.map((t) => [t.id, t.spawns]));
        sup.restart(targets);
        if (args.wait === false) return { restarted: targets.map((t) => t.id) };
        const judge: Judge = (i, now) => (i.spawns === before.get(i.id) ? undefined : started(i, now));
        const failed = await waitFor(d, targets, judge, num(args, 'timeout', 60_000), ctx.signal);
        if (failed.length) throw failureError(failed);
        return { restarted: targets.map((t) => t.id) };
      }
      case 'signal': {
        let sig: string;
        try {
          sig = parseSignal(args.signal);
        } catch (e) {
          throw new TendError('bad_request', `signal: ${(e as Error).message}`);
        }
        const targets = resolveOrThrow(sup, names(args));
        const sent: string[] = [];
        for (const t of targets) if (sup.signal(t, sig)) sent.push(t.id);
        if (sent.length === 0) throw new TendError('not_running', `${targets.map((t) => t.id).join(', ')}: not running`);
        return { signalled: sent, signal: sig };
      }
      case 'why': {
        const targets = resolveOrThrow(sup, names(args));
        const now = d.now();
        return { text: targets.map((t) => explain(sup.store, t, now)).join('\n') };
      }
      case 'events': {
        const n = num(args, 'lines', 100);
        const past = d.journal.last(n);
        if (!args.follow) return { events: past };
        for (const e of past) ctx.send(e);
        const off = d.journal.subscribe((e: JournalEntry) => ctx.send(e));
        await ctx.closed;
        off();
        return null;
      }
      case 'logs': {
        const targets = resolveOrThrow(sup, names(args));
        const n = num(args, 'lines', 100);
        const tails = await Promise.all(targets.map((t) => d.logs.tail(t.id, n)));
        const lines = tails.flat().sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)).slice(-n);
        if (!args.follow) return { lines };
        for (const l of lines) ctx.send(l);
        const offs = targets.map((t) => d.logs.follow(t.id, (l) => ctx.send(l)));
        await ctx.closed;
        for (const off of offs) off();
        return null;
      }
      case 'reload':
        return d.reload(args.dry_run === true);
      case 'shutdown':
        setImmediate(() => d.shutdown());
        return { shutting_down: true };
      default:
        throw new TendError('unknown_command', `unknown command "${cmd}"`);
    }
  };
}
