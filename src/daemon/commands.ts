// The daemon's side of the command table: the dispatcher that hands each request to its command's
// handler (src/commands/*.ts), the argument checks the connection runs first, and the daemon-side
// helpers handlers get (resolving names, waiting for states, status rows). Commands only change
// what is wanted and then wait on the store; the supervisor's loop does the spawning and killing.
import { parseSignal } from '../config/units.js';
import type { CommandTable, Handler } from '../control/connection.js';
import { formatDuration, formatLimit } from '../core/describe.js';
import { TendError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import { hasSchedule, inProgress, isAlive, SETTLE_MS, settleLeft } from '../core/instance.js';
import type { CommandContext, DaemonContext, RunMark } from '../commands/context.js';
import { SOCKET_COMMANDS } from '../commands/index.js';
import { peerWords } from '../commands/approve.js';
import type { SocketCommand } from '../commands/command.js';
import { detailOf, explain, LINGERING, statusRow } from './status.js';
import { unknownServices } from '../core/did-you-mean.js';

export type { DaemonContext };

const BY_NAME = new Map<string, SocketCommand>(SOCKET_COMMANDS.map((c) => [c.name, c]));

/** The commands the daemon answers with their argument checks, for the control server (`commands`). */
export const COMMAND_TABLE: CommandTable = Object.fromEntries(SOCKET_COMMANDS.map((c) => [c.name, c.schema]));

/** The commands that only read: every other request is an action, journaled with who asked. */
const READS = new Set(['status', 'why', 'logs', 'events', 'history', 'ping', 'wait']);

/** Builds the request handler over a daemon context: each command's own handler, by name. */
export function makeHandler(d: DaemonContext): Handler {
  const ctx = commandContext(d);
  return async (cmd, args, rc) => {
    const c = BY_NAME.get(cmd);
    if (!c) throw new TendError('unknown_command', `unknown command "${cmd}"`);
    if (c.refusedWhileShuttingDown && d.shuttingDown())
      throw new TendError('shutting_down', `tend is shutting down: ${cmd} refused`);
    if (!READS.has(cmd) && args.dry_run !== true) {
      // who asked (SO_PEERCRED): `tend events` says who restarted what
      const by = peerWords(rc);
      const names = Array.isArray(args.names)
        ? (args.names as unknown[]).filter((n): n is string => typeof n === 'string')
        : typeof args.name === 'string'
          ? [args.name]
          : [];
      // the signal too: `tend signal web HUP`, not `tend signal web`
      const words = typeof args.signal === 'string' ? [...names, args.signal] : names;
      const what = `tend ${cmd}${words.length ? ` ${words.join(' ')}` : ''} asked by ${by}`;
      // under each service named; `all` and a name it does not have (refused next) under tend
      const { unknown } = d.sup.resolve(names.filter((n) => n !== 'all'));
      const under = new Set(names.map((n) => (n === 'all' || unknown.includes(n) ? 'tend' : n)));
      for (const service of under.size ? under : ['tend']) d.journal.add(service, 'request', what);
    }
    return c.handle(args, ctx, rc as never);
  };
}

/** The context handlers get: the daemon's, plus the helpers below. */
export function commandContext(d: DaemonContext): CommandContext {
  return {
    ...d,
    resolve: (names, required = true) => resolveOrThrow(d, names ?? [], required),
    waitStarted: (targets, timeoutMs, signal, before, taskRunning = false) => {
      const judge: Judge = before ? (i, now) => startedAfter(i, now, before.get(i.id)) : (i, now) => started(i, now, taskRunning);
      return waitFor(d, targets, judge, timeoutMs, signal);
    },
    waitStopped: async (targets, timeoutMs, signal) => void (await waitFor(d, targets, stopped, timeoutMs, signal)),
    waitRun: async (target, signal, after) => {
      const judge: Judge = after === undefined ? runOver : (i) => (i.spawns > after ? runOver(i) : undefined);
      await waitFor(d, [target], judge, Infinity, signal);
    },
    statusRow: (i, now) => statusRow(d.sup.store, i, now, d.sup.currentLimits),
    explain: (i, now) => explain(d.sup.store, i, now, d.sup.currentLimits),
    parseSignal,
  };
}

function resolveOrThrow(d: DaemonContext, list: readonly string[], required: boolean): Instance[] {
  const { sup } = d;
  if (list.length === 0) {
    if (required) throw new TendError('bad_request', 'names: give at least one service name (or "all")');
    return [...sup.store.values()];
  }
  const { found, unknown } = sup.resolve([...list]);
  if (unknown.length) {
    const known = [...new Set([...sup.store.values()].map((i) => i.inst.service))];
    throw new TendError('unknown_service', unknownServices(unknown, known));
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
          .filter((_, k) => verdicts[k] === undefined)
          .map((t) => settleLeft(t, now))
          .filter((ms): ms is number => ms !== undefined);
        if (due.length) settle = setTimeout(check, Math.max(1, Math.min(...due)));
        return false;
      }
      finish();
      resolve(targets.filter((_, k) => verdicts[k] === 'fail'));
      return true;
    };
    const off = d.sup.onChange(() => void check());
    // no bound (Infinity): `tend run` waits as long as the run lasts (its own `timeout` bounds it)
    const timer = !Number.isFinite(timeoutMs)
      ? undefined
      : setTimeout(() => {
          finish();
          const now = d.now();
          const left = targets.filter((t) => judge(t, now) === undefined);
          const pendingWhy = (i: Instance): string => detailOf(d.sup.store, i, now, d.sup.currentLimits);
          reject(
            new TendError(
              'timeout',
              `timed out after ${formatLimit(timeoutMs)} waiting for ${left.map((l) => `${l.id} (${settling(l, pendingWhy)})`).join(', ')}`,
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

/**
 * Where a waited-for instance is: its state; for one running, that it has not run SETTLE_MS yet;
 * for one whose last run's leftovers are not gone, that (`tend stop` waits for them); for one
 * backing off or starting again, why its last start failed.
 */
export function settling(i: Instance, pendingWhy: (i: Instance) => string): string {
  if (i.state === 'running') return `running for less than ${formatDuration(SETTLE_MS)}`;
  if (i.lingering) return `${i.state}, ${LINGERING}`;
  // on its way again after a failed start (a crash, not ready within start_timeout): why it failed
  if (i.state === 'backoff') return `${i.state}, ${i.reason}`;
  if (i.state === 'starting' && i.lastFailure) return `${i.state} again after: ${i.lastFailure.why}`;
  // what a pending one waits for (a dependency, an approval, a pool), as status says it
  const why = i.state === 'pending' ? pendingWhy(i) : '';
  return why ? `${i.state}, ${why}` : i.state;
}

const started = (i: Instance, now: number, taskRunning = false): Verdict => {
  if (i.state === 'completed') return 'ok';
  // a task back at rest after the run `tend start` asked for: how that run went
  if (i.state === 'scheduled') return i.lastRun === null ? undefined : i.lastRun.result === 'completed' ? 'ok' : 'fail';
  if (i.state === 'failed') return 'fail';
  if (i.state !== 'running') return undefined;
  // a task with a schedule: its run, not 1 s of it (the verdict is how the run ends, above),
  // unless a run going counts (tend wait)
  if (hasSchedule(i.inst) && !taskRunning) return undefined;
  if (settleLeft(i, now) === undefined) return 'ok';
  return undefined;
};
/**
 * started() of the run asked for after `mark`. Why the state check: an asked run can end before
 * it spawns (a dependency failed: `failed`, or a task back at rest in `scheduled`), which no
 * spawn count shows; it waited for its timeout.
 */
function startedAfter(i: Instance, now: number, mark: RunMark | undefined): Verdict {
  if (mark === undefined || i.spawns !== mark.spawns) return started(i, now);
  const endedUnstarted = i.state === 'failed' || (i.state === 'scheduled' && hasSchedule(i.inst));
  return endedUnstarted && i.since !== mark.since ? 'fail' : undefined;
}
// stopped: with what its last run left behind gone too (they have had the stop signal)
const stopped = (i: Instance): Verdict => (isAlive(i.state) || i.lingering ? undefined : 'ok');
// a run just asked for leaves pending, goes and comes back to rest; the caller reads how it went
const runOver = (i: Instance): Verdict => (inProgress(i.state) ? undefined : 'ok');
