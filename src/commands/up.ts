// `tend up`: run the supervisor in the foreground.
import type { LocalCommand } from './command.js';
import { EXIT } from './command.js';
import { CONFIG_WORDS } from './flags.js';

/** `tend up`. */
export const up: LocalCommand = {
  name: 'up',
  summary: 'run the supervisor in the foreground',
  ...CONFIG_WORDS,
  examples: ['up', 'up -c deploy/tend.yaml'],
  notes:
    "Service output goes to stdout, each line prefixed with the service's name (settings.echo: false turns it off); " +
    'state changes go to stderr. Ctrl-C (SIGINT) or SIGTERM stops every service, then tend exits.',
  async run(p, env) {
    const spec = await env.loadConfig(env.configPath(p.flags), true, p.flags);
    return spec ? env.runDaemon(spec) : EXIT.usage;
  },
};
