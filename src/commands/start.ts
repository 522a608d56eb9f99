// `tend start NAME...`: start services (and their dependencies) and wait until they run.
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG, NAME_NOTE, NAMES, WAIT_FLAGS } from './flags.js';
import { AT_LEAST_ONE, CHANGE_SCHEMA, changeArgs, ids, list, startFailed, type ChangeArgs } from './lifecycle.js';

/** Its reply: the services asked for, and the dependencies started with them. */
export interface StartReply {
  started: string[];
  also: string[];
}

/** `tend start`. */
export const start: SocketCommand<'start', ChangeArgs, StartReply> = {
  name: 'start',
  summary: 'start services (and their dependencies); wait until running',
  args: NAMES,
  expects: AT_LEAST_ONE,
  flags: [...WAIT_FLAGS, JSON_FLAG, ...FIND_DAEMON],
  examples: ['start web', 'start all --timeout 2m'],
  notes: `Running means its readiness probe passed, or (without one) up for 1 s. ${NAME_NOTE}`,
  schema: CHANGE_SCHEMA,
  request: changeArgs,
  refusedWhileShuttingDown: true,
  print(r, io) {
    io.out(`started ${list(r.started)}${r.also.length ? ` (and dependencies ${list(r.also)})` : ''}\n`);
  },
  async handle(args, d, rc) {
    const targets = d.resolve(args.names);
    const reply = { started: ids(targets), also: ids(d.sup.start(targets)) };
    if (args.wait === false) return reply;
    const failed = await d.waitStarted(targets, args.timeout ?? 60_000, rc.signal);
    if (failed.length) throw startFailed(failed);
    return reply;
  },
};
