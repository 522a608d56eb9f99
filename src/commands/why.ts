// `tend why NAME...`: why each service is in its state (the chain of dependencies, probes, exits).
import { names, shape } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG, NAME_NOTE, NAMES } from './flags.js';
import { LAST_LINES, lastLinesText } from './lifecycle.js';

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
  args: NAMES,
  expects: 'a service name',
  flags: [JSON_FLAG, ...FIND_DAEMON],
  examples: ['why web', 'why db web'],
  notes: NAME_NOTE,
  schema: shape<WhyArgs>({ names }),
  request: (p) => ({ names: p.positionals }),
  print(r, io) {
    io.out(`${r.text}\n`);
  },
  async handle(args, d) {
    const now = d.now();
    // a failing instance: the last lines it printed, which often say why
    const failing = (t: (typeof targets)[number]): boolean =>
      t.state === 'failed' || t.state === 'backoff' || t.failuresInRow > 0;
    const targets = d.resolve(args.names);
    return {
      text: targets.map((t) => d.explain(t, now) + (failing(t) ? lastLinesText(d.logs.tail(t.id, LAST_LINES)) : '')).join('\n'),
    };
  },
};
