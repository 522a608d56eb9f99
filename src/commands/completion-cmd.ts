// `tend completion bash|zsh|fish`: prints the shell's completion script, written from the command
// table; and the hidden `tend __complete services` those scripts run for service names.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { SIGNAL_NAMES } from '../core/signals.js';
import type { LocalCommand } from './command.js';
import { EXIT } from './command.js';
import { serviceWords } from './completion.js';
import type { ShellName } from './completion-scripts.js';
import { configServiceNames } from './config-names.js';
import { FIND_DAEMON } from './flags.js';

/** The shells there is a script for (completion-scripts.ts, loaded only by `tend completion`). */
const SHELLS: readonly ShellName[] = ['bash', 'zsh', 'fish'];

/** `tend completion SHELL`. */
export const completion: LocalCommand = {
  name: 'completion',
  summary: 'print a completion script for bash, zsh or fish',
  args: [{ name: 'SHELL', kind: 'choice', choices: SHELLS }],
  flags: [],
  where: 'cli',
  elsewhere: 'completion prints a script for bash, zsh or fish: run tend completion SHELL in a terminal',
  examples: [
    'completion bash > ~/.local/share/bash-completion/completions/tend',
    'completion fish > ~/.config/fish/completions/tend.fish',
  ],
  notes:
    'It completes commands, flags, service names (from the running daemon, else from the config), signal names and files. ' +
    'zsh: write it as _tend into a folder of $fpath, or source it after compinit.',
  async run(p, env) {
    const shell = p.positionals[0] as ShellName;
    if (!SHELLS.includes(shell)) {
      env.err(`tend: completion: expected one of ${SHELLS.join(', ')}; got "${shell}"\nusage: tend completion SHELL\n`);
      return EXIT.usage;
    }
    const { completionScript } = await import('./completion-scripts.js');
    env.out(completionScript(shell, env.commands, SIGNAL_NAMES));
    return EXIT.ok;
  },
};

/** How long completion waits for the daemon before reading the config instead. */
const DAEMON_WAIT_MS = 300;

/** `tend __complete services` (hidden): the names a NAME argument takes, one a line. */
export const complete: LocalCommand = {
  name: '__complete',
  summary: 'the words completion scripts offer (service names), one a line',
  args: [{ name: 'WHAT', kind: 'choice', choices: ['services'] }],
  flags: FIND_DAEMON,
  where: 'cli',
  hidden: true,
  examples: ['__complete services'],
  async run(p, env) {
    if (p.positionals[0] !== 'services') {
      env.err('tend: __complete: expected services\n');
      return EXIT.usage;
    }
    const flags = { ...p.flags };
    for (const k of ['config', 'socket'] as const) if (typeof flags[k] === 'string') flags[k] = asTyped(flags[k]);
    const names = (await daemonNames(await env.socketPath(flags))) ?? fileNames(env.configPath(flags));
    if (names.length) env.out(serviceWords(names).join('\n') + '\n');
    return EXIT.ok;
  },
};

/**
 * A path as the line being typed holds it, as the shell would read it once run: quotes around
 * it removed, a leading ~ made the home folder (the scripts pass the word unexpanded).
 */
function asTyped(word: string): string {
  let w = word;
  if (w.length >= 2 && (w[0] === '"' || w[0] === "'") && w.at(-1) === w[0]) w = w.slice(1, -1);
  if (w === '~' || w.startsWith('~/')) w = homedir() + w.slice(1);
  return w;
}

/** The instance names the daemon reports, or undefined when none answers quickly. */
async function daemonNames(socket: string): Promise<string[] | undefined> {
  const { connect } = await import('../control/client.js');
  const client = await connect(socket, { timeoutMs: DAEMON_WAIT_MS }).catch(() => undefined);
  if (!client) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), DAEMON_WAIT_MS * 3)));
    const reply = await Promise.race([client.request('status', {}), late]).catch(() => undefined);
    return reply?.services.map((s) => s.name);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

/** The names a line scan of the config finds (none when it cannot be read). */
function fileNames(file: string): string[] {
  try {
    return configServiceNames(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}
