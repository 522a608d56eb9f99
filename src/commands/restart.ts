// `tend restart NAME...`: stop then start services, waiting until they run again.
import { beforeRun, changeCommand, ids, list, startFailed, stoppedWaiting } from './lifecycle.js';

/** `tend restart`: the services restarted. */
export const restart = changeCommand<'restart', { restarted: string[] }>('restart', {
  summary: 'stop then start services',
  examples: ['restart web', 'restart web.2 --no-wait'],
  refusedWhileShuttingDown: true,
  interrupted: (args) => stoppedWaiting(args, 'restarting', true),
  print(r, io, args) {
    io.out(args.wait === false ? `restart requested: ${list(r.restarted)}\n` : `restarted ${list(r.restarted)}\n`);
  },
  async handle(args, d, rc) {
    const asked = Date.now();
    const targets = d.resolve(args.names);
    // waits for a new spawn of each (the stop seen), then for it to be started
    const before = beforeRun(targets);
    d.sup.restart(targets);
    if (args.wait === false) return { restarted: ids(targets) };
    const failed = await d.waitStarted(targets, args.timeout ?? 60_000, rc.signal, before);
    if (failed.length) throw await startFailed(failed, d.logs, asked, d.exitWith?.());
    return { restarted: ids(targets) };
  },
});
