// `tend stop NAME...`: stop services (their dependents first) and wait until they have stopped.
// A task with a schedule has its run stopped, and keeps its schedule (tend disable pauses that).
import { hasSchedule } from '../core/instance.js';
import { changeCommand, ids, list } from './lifecycle.js';

/** `tend stop`: the services asked for, and the dependents stopped before them. */
export const stop = changeCommand<'stop', { stopped: string[]; also: string[] }>('stop', {
  summary: 'stop services (dependents first); wait until stopped',
  notes:
    'A task with a schedule has its run stopped and keeps its schedule (tend disable pauses it). NAME may be all, or a replica set name for all of its instances.',
  examples: ['stop web', 'stop all --no-wait'],
  print(r, io, args) {
    if (args.wait === false) {
      // asked, not done: a service can take its stop_timeout
      const also = r.also.length ? ` (after ${list(r.also)}, which depend on it)` : '';
      io.out(`stop requested: ${list(r.stopped)}${also}\n`);
      return;
    }
    if (r.also.length) io.out(`stopped ${list(r.also)} first (they depend on ${list(r.stopped)})\n`);
    io.out(`stopped ${list(r.stopped)}\n`);
  },
  async handle(args, d, rc) {
    const targets = d.resolve(args.names);
    const tasks = targets.filter((i) => hasSchedule(i.inst));
    // a run queued behind the going one (overlap: queue) goes too: it started as the stop ended
    for (const t of tasks) d.tasks.dropQueued(t, 'tend stop');
    d.sup.endRuns(tasks, 'stopped by tend stop');
    const services = targets.filter((i) => !hasSchedule(i.inst));
    const also = d.sup.stop(services);
    // every task named, a run already being stopped (a replace, a timeout) too: it returned at once
    if (args.wait !== false) await d.waitStopped([...also, ...services, ...tasks], args.timeout ?? 120_000, rc.signal);
    return { stopped: ids(targets), also: ids(also) };
  },
});
