// `top` (shell only): a live table of services; the shell's Top component carries it out.
import type { LocalCommand } from './command.js';

/** `top`. */
export const top: LocalCommand = {
  name: 'top',
  summary: 'a live table of services (q returns to the prompt)',
  args: [],
  flags: [],
  examples: ['top'],
  notes: 'Refreshed every second. Up/Down (or j/k) select; s starts, S stops, r restarts the selected service.',
  where: 'shell',
  elsewhere: "top is the shell's live table: tend shell, then top (tend status prints the table once)",
};
