// `notices [on|failures|off]` (shell only): what the shell prints of the daemon's state changes
// and reloads; the shell carries it out (src/shell/notices.ts).
import type { LocalCommand } from './command.js';

/** `notices`. */
export const notices: LocalCommand = {
  name: 'notices',
  summary: "what the shell prints of the daemon's news: on, failures or off",
  args: [{ name: 'MODE', kind: 'choice', choices: ['on', 'failures', 'off'], optional: true }],
  flags: [],
  examples: ['notices failures', 'notices'],
  notes:
    'on (the default): state changes and reloads, a scheduled run in one line when it ends, and the next runs of a task ' +
    'with the same outcome counted in one line above the prompt. failures: only failed runs, services that fail or back off, ' +
    'and rejected reloads. off: none. Without MODE it says which is on. For this shell only, until it ends.',
  where: 'shell',
  elsewhere: 'notices sets what tend shell prints of state changes: tend shell, then notices',
};
