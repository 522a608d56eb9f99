// `tend approve NAME...` (and `tend reject`, reject.ts): the manual gate of a oneshot with
// `approval: true`. Each run waits in pending ("waiting for approval") until approved; a rejected
// run fails (and its waiting dependents with it). The journal records who: the uid and pid of
// the peer on the control socket.
import { stateWords } from '../core/describe.js';
import { TendError } from '../core/errors.js';
import type { RequestContext } from '../control/connection.js';
import type { SocketCommand } from './command.js';
import type { CommandContext } from './context.js';
import { ids, list, type NamesArgs, namesOnly } from './lifecycle.js';

/** Their request (NamesArgs) and its words: NAME..., --json. */
export const GATE_WORDS = namesOnly('at least one task name');

/** Their reply: the runs released or refused, and by whom. */
export interface GateReply {
  names: string[];
  by: string;
}

/** Who sent the request, in the journal's words. */
export function peerWords(rc: Pick<RequestContext, 'peer'>): string {
  return rc.peer ? `uid ${rc.peer.uid} (pid ${rc.peer.pid})` : 'an unknown peer';
}

/** Why: approve and reject check the same: each named run waits for approval. */
export function gate(verb: 'approve' | 'reject', args: NamesArgs, d: CommandContext, rc: RequestContext): GateReply {
  const targets = d.resolve(args.names);
  const not = targets.find((i) => i.state !== 'pending' || !i.inst.spec.approval || i.approved);
  if (not) {
    const why = !not.inst.spec.approval ? 'it has no approval: true' : `it is ${stateWords(not.state)}`;
    throw new TendError('bad_request', `${verb}: ${not.id} is not waiting for approval (${why})`);
  }
  const by = peerWords(rc);
  for (const i of targets) verb === 'approve' ? d.sup.approve(i, by) : d.sup.reject(i, by);
  return { names: ids(targets), by };
}

/** `tend approve`. */
export const approve: SocketCommand<'approve', NamesArgs, GateReply> = {
  ...GATE_WORDS,
  name: 'approve',
  summary: 'release a run waiting for approval (approval: true)',
  examples: ['approve deploy'],
  notes: 'An approval is good for one run. The journal records who approved (uid and pid).',
  refusedWhileShuttingDown: true,
  print(r, io) {
    io.out(`approved ${list(r.names)}\n`);
  },
  async handle(args, d, rc) {
    return gate('approve', args, d, rc);
  },
};
