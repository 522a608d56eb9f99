// `tend shell`: the interactive shell.
import type { LocalCommand } from './command.js';
import { FIND_DAEMON } from './flags.js';

/** `tend shell`. */
export const shell: LocalCommand = {
  name: 'shell',
  summary: 'the interactive shell (also a bare `tend` on a terminal)',
  args: [],
  flags: FIND_DAEMON,
  examples: ['shell', 'shell --socket /run/tend/tend.sock'],
  notes: 'Line editing, history (~/.tend_history), Tab completion, top, logs -f. It talks to the daemon through the socket only.',
  where: 'cli',
  async run(p, env) {
    return env.startShell(await env.socketPath(p.flags));
  },
};
