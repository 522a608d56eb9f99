// `tend stop NAME...`: stop services (their dependents first) and wait until they have stopped.
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG, NAME_NOTE, NAMES, WAIT_FLAGS } from './flags.js';
import { AT_LEAST_ONE, CHANGE_SCHEMA, changeArgs, ids, list, type ChangeArgs } from './lifecycle.js';

/** Its reply: the services asked for, and the dependents stopped before them. */
export interface StopReply {
  stopped: string[];
  also: string[];
}

/** `tend stop`. */
export const stop: SocketCommand<'stop', ChangeArgs, StopReply> = {
  name: 'stop',
  summary: 'stop services (dependents first); wait until stopped',
  args: NAMES,
  expects: AT_LEAST_ONE,
  flags: [...WAIT_FLAGS, JSON_FLAG, ...FIND_DAEMON],
  examples: ['stop web', 'stop all --no-wait'],
  notes: NAME_NOTE,
  schema: CHANGE_SCHEMA,
  request: changeArgs,
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
};
