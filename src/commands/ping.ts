// `ping`: whether the daemon answers, and its pid. For tools; not listed by help.
import { shape } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON } from './flags.js';

/** Its reply. */
export interface PingReply {
  pid: number;
}

/** `tend ping` (hidden). */
export const ping: SocketCommand<'ping', Record<string, never>, PingReply> = {
  name: 'ping',
  summary: "check that the daemon answers; print its pid",
  args: [],
  flags: [...FIND_DAEMON],
  examples: ['ping'],
  hidden: true,
  schema: shape<Record<string, never>>({}),
  request: () => ({}),
  print(r, io) {
    io.out(`${r.pid}\n`);
  },
  handle: async () => ({ pid: process.pid }),
};
