// The daemon's side of `tend run NAME -- CMD [ARGS]`, the transient form of `tend run`: the
// service is added (src/daemon/transient.ts) and, as `tend start` does, waited for until it runs
// (1 s up, or its end when it ends at once); a failure is the start's failure, with its reason.
import { TendError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import type { RequestContext } from '../control/connection.js';
import { peerWords } from './approve.js';
import type { CommandContext } from './context.js';
import { startFailed } from './lifecycle.js';
import type { RunArgs, RunReply } from './task-run.js';

/** How long `tend run NAME -- CMD` waits for the service to be started (as `tend start`). */
const START_WAIT_MS = 60_000;

/** The reply of the transient form, read from the instance. */
function transientReply(i: Instance, result: RunReply['result']): RunReply {
  const last = i.exits[i.exits.length - 1]?.exit;
  return {
    name: i.id,
    how: 'now',
    result,
    reason: i.reason,
    exit_code: result === 'completed' && last?.kind === 'exited' ? last.code : null,
    start: i.startedAt === null ? null : new Date(i.startedAt).toISOString(),
    end: null,
    duration_ms: null,
    also: [],
    pid: i.pid,
    transient: true,
  };
}

/** Why: the seam of task-run.ts; adds the service and waits as `tend start` would. */
export async function runTransient(args: RunArgs, d: CommandContext, rc: RequestContext): Promise<RunReply> {
  if (!d.transient) throw new TendError('bad_request', `run ${args.name} -- ...: this daemon cannot add transient services`);
  if (!args.cwd) throw new TendError('bad_request', 'run: cwd: the transient form needs the folder to run in (an absolute path)');
  await d.startedUp?.();
  const asked = Date.now();
  const added = d.transient.add({
    name: args.name,
    command: args.command!,
    cwd: args.cwd,
    env: args.env ?? {},
    by: peerWords(rc),
  });
  if (args.wait === false) return transientReply(added, 'started');
  const failed = await d.waitStarted([added], START_WAIT_MS, rc.signal);
  const i = d.sup.store.get(added.id) ?? added;
  if (failed.length) throw await startFailed(failed, d.logs, asked, d.exitWith?.());
  return transientReply(i, i.state === 'completed' ? 'completed' : 'started');
}
