// `tend shutdown`: stop every service (reverse dependency order); the daemon exits.
import { shape } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG } from './flags.js';

/** Its reply. */
export interface ShutdownReply {
  shutting_down: true;
}

/** `tend shutdown`. */
export const shutdown: SocketCommand<'shutdown', Record<string, never>, ShutdownReply> = {
  name: 'shutdown',
  summary: 'stop every service; the daemon exits',
  args: [],
  flags: [JSON_FLAG, ...FIND_DAEMON],
  examples: ['shutdown'],
  schema: shape<Record<string, never>>({}),
  request: () => ({}),
  print(_r, io) {
    io.out('shutting down\n');
  },
  async handle(_args, d) {
    setImmediate(() => d.shutdown());
    return { shutting_down: true };
  },
};
