// `tend shell`: the interactive shell.
import type { LocalCommand } from './command.js';
import { EXIT } from './command.js';
import { FIND_DAEMON } from './flags.js';

/** How long the shell waits for a daemon before saying there is no config (the answer is local and quick). */
const PROBE_MS = 500;

/** `tend shell`. */
export const shell: LocalCommand = {
  name: 'shell',
  summary: 'the interactive shell (also a bare `tend` on a terminal)',
  args: [],
  flags: FIND_DAEMON,
  examples: ['shell', 'shell --socket /run/tend/tend.sock'],
  notes:
    'Line editing, history (~/.tend_history), Tab completion, top, logs -f. It talks to the daemon through the socket; ' +
    'with none answering, logs and events read the files of the config, as the commands do. ' +
    'With no config file and no daemon, it says what it looked for and how to begin (tend init) instead of waiting.',
  where: 'cli',
  elsewhere: 'this is the shell already (help lists its commands)',
  async run(p, env) {
    const socket = await env.socketPath(p.flags);
    const noFile = env.noConfig(p.flags);
    const missing = env.socketGiven(p.flags) ? undefined : noFile;
    if (missing) {
      // nothing to talk to and nothing to start one from: say so once instead of retrying
      const { connect } = await import('../control/client.js');
      const client = await connect(socket, { timeoutMs: PROBE_MS }).catch(() => undefined);
      client?.close();
      if (!client) {
        env.err(`tend: no tend daemon answers on ${socket}\n${missing}`);
        return EXIT.noDaemon;
      }
    }
    return env.startShell(socket, noFile ? undefined : env.configPath(p.flags));
  },
};
