// `tend start NAME...`: start services (and their dependencies) and wait until they run.
import { NAME_NOTE } from './flags.js';
import { beforeRun, changeCommand, ids, list, startFailed, stoppedWaiting } from './lifecycle.js';

/** `tend start`: the services asked for, and the dependencies started with them. */
export const start = changeCommand<'start', { started: string[]; also: string[] }>('start', {
  summary: 'start services (and their dependencies); wait until running',
  examples: ['start web', 'start all --timeout 2m'],
  notes: `Running means its readiness probe passed, or (without one) up for 1 s. ${NAME_NOTE}`,
  refusedWhileShuttingDown: true,
  interrupted: (args) => stoppedWaiting(args, 'starting', true),
  print(r, io, args) {
    const also = r.also.length ? ` (and dependencies ${list(r.also)})` : '';
    // --no-wait: asked, not done (tend status says when it runs)
    io.out(args.wait === false ? `start requested: ${list(r.started)}${also}\n` : `started ${list(r.started)}${also}\n`);
  },
  async handle(args, d, rc) {
    const asked = Date.now();
    const targets = d.resolve(args.names);
    // a task resting between scheduled runs runs now: wait for that run, not its last one
    const resting = beforeRun(targets.filter((t) => t.state === 'scheduled'));
    const reply = { started: ids(targets), also: ids(d.sup.start(targets)) };
    if (args.wait === false) return reply;
    const failed = await d.waitStarted(targets, args.timeout ?? 60_000, rc.signal, resting.size ? resting : undefined);
    if (failed.length) throw await startFailed(failed, d.logs, asked, d.exitWith?.());
    return reply;
  },
});
