// `clear` (shell only): clear the screen.
import type { LocalCommand } from './command.js';

/** `clear`. */
export const clear: LocalCommand = {
  name: 'clear',
  summary: 'clear the screen',
  args: [],
  flags: [],
  examples: ['clear'],
  notes: 'Ctrl-L does the same.',
  where: 'shell',
  elsewhere: "clear clears the shell's screen (tend shell); the terminal has its own clear",
};
