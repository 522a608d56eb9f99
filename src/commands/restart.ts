// `tend restart NAME...`: stop then start services, waiting until they run again.
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG, NAME_NOTE, NAMES, WAIT_FLAGS } from './flags.js';
import { AT_LEAST_ONE, CHANGE_SCHEMA, changeArgs, ids, list, startFailed, type ChangeArgs } from './lifecycle.js';

/** Its reply: the services restarted. */
export interface RestartReply {
  restarted: string[];
}

/** `tend restart`. */
export const restart: SocketCommand<'restart', ChangeArgs, RestartReply> = {
  name: 'restart',
  summary: 'stop then start services',
  args: NAMES,
  expects: AT_LEAST_ONE,
  flags: [...WAIT_FLAGS, JSON_FLAG, ...FIND_DAEMON],
  examples: ['restart web', 'restart web.2 --no-wait'],
  notes: NAME_NOTE,
  schema: CHANGE_SCHEMA,
  request: changeArgs,
  refusedWhileShuttingDown: true,
  print(r, io) {
    io.out(`restarted ${list(r.restarted)}\n`);
  },
  async handle(args, d, rc) {
    const targets = d.resolve(args.names);
    // waits for a new spawn of each (the stop seen), then for it to be started
    const before = new Map(targets.map((t) => [t.id, t.spawns]));
    d.sup.restart(targets);
    if (args.wait === false) return { restarted: ids(targets) };
    const failed = await d.waitStarted(targets, args.timeout ?? 60_000, rc.signal, before);
    if (failed.length) throw startFailed(failed);
    return { restarted: ids(targets) };
  },
};
