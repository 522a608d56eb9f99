// `tend signal NAME SIGNAL`: send a signal to a service's main process.
import { TendError } from '../core/errors.js';
import { names, shape, signal as signalField } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG, NAME_NOTE } from './flags.js';
import { list } from './lifecycle.js';

/** Its request: the services and the signal (a name like SIGHUP or HUP, or a number). */
export interface SignalArgs {
  names: string[];
  signal: string | number;
}

/** Its reply: who got it, and the signal's name. */
export interface SignalReply {
  signalled: string[];
  signal: string;
}

/** `tend signal`. */
export const signal: SocketCommand<'signal', SignalArgs, SignalReply> = {
  name: 'signal',
  summary: "send a signal to a service's main process",
  args: [
    { name: 'NAME', kind: 'service' },
    { name: 'SIGNAL', kind: 'signal' },
  ],
  expects: 'a service name and a signal',
  flags: [JSON_FLAG, ...FIND_DAEMON],
  examples: ['signal web HUP', 'signal worker SIGUSR1'],
  notes: `SIGNAL is a name (SIGHUP or HUP) or a number. ${NAME_NOTE}`,
  schema: shape<SignalArgs>({ names, signal: signalField }),
  // the daemon checks the signal's name: its answer names the closest one
  request: (p) => ({ names: [p.positionals[0]!], signal: p.positionals[1]! }),
  print(r, io) {
    io.out(`${r.signal} sent to ${list(r.signalled)}\n`);
  },
  async handle(args, d) {
    let sig: string;
    try {
      sig = d.parseSignal(args.signal);
    } catch (e) {
      throw new TendError('bad_request', `signal: ${(e as Error).message}`);
    }
    const targets = d.resolve(args.names);
    const sent = targets.filter((t) => d.sup.signal(t, sig)).map((t) => t.id);
    if (sent.length === 0) throw new TendError('not_running', `${targets.map((t) => t.id).join(', ')}: not running`);
    return { signalled: sent, signal: sig };
  },
};
