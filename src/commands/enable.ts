// `tend enable NAME...`: resumes what `tend disable` paused (disable.ts): a schedule resumes from
// now (what fell due meanwhile is not made up), an autostart service is started.
import { hasSchedule } from '../core/instance.js';
import type { SocketCommand } from './command.js';
import { PAUSE_WORDS, type PauseReply } from './disable.js';
import { NAME_NOTE } from './flags.js';
import { ids, list, type NamesArgs } from './lifecycle.js';

/** `tend enable`. */
export const enable: SocketCommand<'enable', NamesArgs, PauseReply> = {
  ...PAUSE_WORDS,
  name: 'enable',
  summary: 'resume a schedule (or start an autostart service) paused by disable',
  examples: ['enable backup'],
  notes: `A schedule resumes from now: runs missed while disabled are not made up. ${NAME_NOTE}`,
  refusedWhileShuttingDown: true,
  print(r, io) {
    if (r.tasks.length) io.out(`enabled ${list(r.tasks)}: scheduled again\n`);
    const others = r.names.filter((n) => !r.tasks.includes(n));
    if (others.length) io.out(`enabled ${list(others)}${r.also.length ? ` (starting ${list(r.also)})` : ''}\n`);
  },
  async handle(args, d) {
    const targets = d.resolve(args.names);
    for (const i of targets) d.sup.setPaused(i, false);
    const start = targets.filter((i) => !hasSchedule(i.inst) && i.inst.spec.autostart && i.state === 'stopped');
    if (start.length) d.sup.start(start, 'run', 'enabled');
    for (const i of targets) d.tasks.touch(i.id);
    return { names: ids(targets), tasks: ids(targets.filter((i) => hasSchedule(i.inst))), also: ids(start) };
  },
};
