// `tend stop NAME...`: stop services (their dependents first) and wait until they have stopped.
import { changeCommand, ids, list } from './lifecycle.js';

/** `tend stop`: the services asked for, and the dependents stopped before them. */
export const stop = changeCommand<'stop', { stopped: string[]; also: string[] }>('stop', {
  summary: 'stop services (dependents first); wait until stopped',
  examples: ['stop web', 'stop all --no-wait'],
  print(r, io) {
    if (r.also.length) io.out(`stopped ${list(r.also)} first (they depend on ${list(r.stopped)})\n`);
    io.out(`stopped ${list(r.stopped)}\n`);
  },
  async handle(args, d, rc) {
    const targets = d.resolve(args.names);
    const also = d.sup.stop(targets);
    if (args.wait !== false) await d.waitStopped([...also, ...targets], args.timeout ?? 120_000, rc.signal);
    return { stopped: ids(targets), also: ids(also) };
  },
});
