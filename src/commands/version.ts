// `tend version` (also -v, --version): tend's version.
import type { LocalCommand } from './command.js';
import { EXIT } from './command.js';

/** `tend version`. */
export const version: LocalCommand = {
  name: 'version',
  summary: "print tend's version (also -v, --version)",
  args: [],
  flags: [],
  examples: ['version'],
  where: 'cli',
  elsewhere: "version is the command line's: run tend version in a terminal",
  async run(_p, env) {
    env.out(`tend ${env.version()}\n`);
    return EXIT.ok;
  },
};
