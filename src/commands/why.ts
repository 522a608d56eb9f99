// `tend why NAME`: why a service is in its state (the chain of dependencies, probes, exits).
import { names, shape } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG, NAME, NAME_NOTE } from './flags.js';

/** Its request. */
export interface WhyArgs {
  names: string[];
}

/** Its reply: one paragraph an instance. */
export interface WhyReply {
  text: string;
}

/** `tend why`. */
export const why: SocketCommand<'why', WhyArgs, WhyReply> = {
  name: 'why',
  summary: 'explain why a service is in its state',
  args: NAME,
  expects: 'a service name',
  flags: [JSON_FLAG, ...FIND_DAEMON],
  examples: ['why web'],
  notes: NAME_NOTE,
  schema: shape<WhyArgs>({ names }),
  request: (p) => ({ names: p.positionals }),
  print(r, io) {
    io.out(`${r.text}\n`);
  },
  async handle(args, d) {
    const now = d.now();
    return { text: d.resolve(args.names).map((t) => d.explain(t, now)).join('\n') };
  },
};
