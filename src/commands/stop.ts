// `tend stop NAME...`: stop services (their dependents first) and wait until they have stopped.
// A task with a schedule has its run stopped, and keeps its schedule (tend disable pauses that).
import { hasSchedule, inProgress } from '../core/instance.js';
import { changeCommand, ids, list, stoppedWaiting } from './lifecycle.js';

/** `tend stop`: the services asked for that ran, the dependents stopped before them, and those asked for that did not run. */
export const stop = changeCommand<'stop', { stopped: string[]; also: string[]; not_running: string[] }>('stop', {
  summary: 'stop services (dependents first); wait until stopped',
  notes:
    'A task with a schedule has its run stopped and keeps its schedule (tend disable pauses it). NAME may be all, or a replica set name for all of its instances.',
  examples: ['stop web', 'stop all --no-wait'],
  interrupted: (args) => stoppedWaiting(args, 'stopping', false),
  print(r, io, args) {
    const idle = r.not_running.length
      ? `${list(r.not_running)} ${r.not_running.length === 1 ? 'was' : 'were'} not running\n`
      : '';
    const asked = list([...r.stopped, ...r.not_running]);
    if (args.wait === false) {
      // asked, not done: a service can take its stop_timeout
      const also = r.also.length ? ` (after ${list(r.also)}, which depend on ${asked})` : '';
      if (r.stopped.length || r.also.length) io.out(`stop requested: ${list(r.stopped)}${also}\n`);
      io.out(idle);
      return;
    }
    if (r.also.length)
      io.out(`stopped ${list(r.also)} first (${r.also.length === 1 ? 'it depends' : 'they depend'} on ${asked})\n`);
    if (r.stopped.length) io.out(`stopped ${list(r.stopped)}\n`);
    io.out(idle);
  },
  async handle(args, d, rc) {
    const targets = d.resolve(args.names);
    // what ran (or was on its way, or left processes behind): a completed or failed one is not said to be stopped
    const going = new Set([...d.sup.store.values()].filter((i) => inProgress(i.state) || i.lingering));
    const tasks = targets.filter((i) => hasSchedule(i.inst));
    // a run queued behind the going one (overlap: queue) goes too: it started as the stop ended
    for (const t of tasks) d.tasks.dropQueued(t, 'tend stop');
    d.sup.endRuns(tasks, 'stopped by tend stop');
    const services = targets.filter((i) => !hasSchedule(i.inst));
    const also = d.sup.stop(services);
    // every task named, a run already being stopped (a replace, a timeout) too: it returned at once
    if (args.wait !== false) await d.waitStopped([...also, ...services, ...tasks], args.timeout ?? 120_000, rc.signal);
    return {
      stopped: ids(targets.filter((i) => going.has(i))),
      also: ids(also.filter((i) => going.has(i))),
      not_running: ids(targets.filter((i) => !going.has(i))),
    };
  },
});
