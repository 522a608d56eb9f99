// `tend up`: run the supervisor in the foreground.
import type { LocalCommand } from './command.js';
import { EXIT } from './command.js';
import { resolve } from 'node:path';
import { CONFIG_FLAG, SOCKET_FLAG } from './flags.js';

/** `tend up`. */
export const up: LocalCommand = {
  name: 'up',
  summary: 'run the supervisor in the foreground',
  args: [],
  flags: [CONFIG_FLAG, { ...SOCKET_FLAG, help: 'serve on this socket instead of settings.socket' }],
  where: 'cli',
  examples: ['up', 'up -c deploy/tend.yaml'],
  notes:
    "Service output goes to stdout, each line prefixed with the service's name (settings.echo: false turns it off); " +
    'state changes go to stderr. Ctrl-C (SIGINT) or SIGTERM stops every service, then tend exits.',
  async run(p, env) {
    const spec = await env.loadConfig(env.configPath(p.flags), true, p.flags);
    if (!spec) return EXIT.usage;
    const socket = p.flags.socket;
    return env.runDaemon(typeof socket === 'string' ? { ...spec, settings: { ...spec.settings, socket: resolve(socket) } } : spec);
  },
};
