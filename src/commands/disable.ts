// `tend disable NAME...`: pauses (and `tend enable`, enable.ts, resumes) a schedule, or an autostart
// service, until tend restarts. A disabled task keeps its run in progress (tend stop ends it) and
// starts no new one by itself; a disabled service is stopped and stays so. Enable resumes the
// schedule from now (what fell due meanwhile is not made up) or starts an autostart service.
import { hasSchedule } from '../core/instance.js';
import type { SocketCommand } from './command.js';
import { NAME_NOTE } from './flags.js';
import { ids, list, type NamesArgs, namesOnly } from './lifecycle.js';

/** Their request (NamesArgs) and its words: NAME..., --json. */
export const PAUSE_WORDS = namesOnly('at least one service name (or "all")');

/** Their reply: the instances, and those also stopped (disable) or started (enable). */
export interface PauseReply {
  names: string[];
  tasks: string[];
  also: string[];
}

/** `tend disable`. */
export const disable: SocketCommand<'disable', NamesArgs, PauseReply> = {
  ...PAUSE_WORDS,
  name: 'disable',
  summary: 'pause a schedule (or stop an autostart service) until enable or a restart of tend',
  examples: ['disable backup'],
  notes: `A run in progress goes on (tend stop ends it). ${NAME_NOTE}`,
  print(r, io) {
    if (r.tasks.length) io.out(`disabled ${list(r.tasks)}: no scheduled runs until tend enable\n`);
    const others = r.names.filter((n) => !r.tasks.includes(n));
    if (others.length) io.out(`disabled ${list(others)}${r.also.length ? ` (stopping ${list(r.also)})` : ''}\n`);
  },
  async handle(args, d) {
    const targets = d.resolve(args.names);
    const services = targets.filter((i) => !hasSchedule(i.inst));
    for (const i of targets) d.sup.setPaused(i, true);
    const stopping = services.filter((i) => i.state !== 'stopped');
    const also = d.sup.stop(services);
    for (const i of targets) d.tasks.touch(i.id);
    return { names: ids(targets), tasks: ids(targets.filter((i) => hasSchedule(i.inst))), also: ids([...stopping, ...also]) };
  },
};
