// `exit` (shell only): leave the shell.
import type { LocalCommand } from './command.js';

/** `exit`. */
export const exit: LocalCommand = {
  name: 'exit',
  summary: 'leave the shell (or Ctrl-D)',
  args: [],
  flags: [],
  examples: ['exit'],
  where: 'shell',
  elsewhere: 'exit leaves tend shell; there is no shell to leave here',
};
