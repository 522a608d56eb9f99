// `tend reject NAME...`: refuses a run waiting for approval (approve.ts): it fails, and its
// waiting dependents with it; the journal records who rejected (uid and pid).
import type { SocketCommand } from './command.js';
import { GATE_WORDS, gate, type GateReply } from './approve.js';
import { list, type NamesArgs } from './lifecycle.js';

/** `tend reject`. */
export const reject: SocketCommand<'reject', NamesArgs, GateReply> = {
  ...GATE_WORDS,
  name: 'reject',
  summary: 'refuse a run waiting for approval: it fails, and its dependents',
  examples: ['reject deploy'],
  notes: 'The journal records who rejected (uid and pid).',
  print(r, io) {
    io.out(`rejected ${list(r.names)}\n`);
  },
  async handle(args, d, rc) {
    return gate('reject', args, d, rc);
  },
};
