// `ping`: whether the daemon answers, its pid and the config it runs. For tools; not listed by help.
import { shape } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON } from './flags.js';

/** Its reply. */
export interface PingReply {
  pid: number;
  /** the config file it runs (absolute); null for a daemon started by `tend run NAME -- CMD` without one */
  config: string | null;
}

/** `tend ping` (hidden). */
export const ping: SocketCommand<'ping', Record<string, never>, PingReply> = {
  name: 'ping',
  summary: 'check that the daemon answers; print its pid',
  args: [],
  flags: [...FIND_DAEMON],
  examples: ['ping'],
  hidden: true,
  schema: shape<Record<string, never>>({}),
  request: () => ({}),
  print(r, io) {
    io.out(`${r.pid}\n`);
  },
  handle: async (_args, d) => ({ pid: process.pid, config: d.configFile?.() || null }),
};
