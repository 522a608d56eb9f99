// The command table: every command of tend, each defined in its own module. The CLI dispatches
// through it, the shell's help and completion read it, the daemon answers its socket commands.
// A new command is a new module plus its line here (test/commands/registry.test.ts checks both).
import { approve } from './approve.js';
import { check } from './check.js';
import { clear } from './clear.js';
import { complete, completion } from './completion-cmd.js';
import type { Command } from './command.js';
import { events } from './events.js';
import { exit } from './exit.js';
import { help } from './help.js';
import { init } from './init.js';
import { history } from './history.js';
import { logs } from './logs.js';
import { notices } from './notices.js';
import { disable } from './disable.js';
import { enable } from './enable.js';
import { ping } from './ping.js';
import { reject } from './reject.js';
import { reload } from './reload.js';
import { restart } from './restart.js';
import { shell } from './shell.js';
import { shutdown } from './shutdown.js';
import { signal } from './signal.js';
import { start } from './start.js';
import { status } from './status.js';
import { stop } from './stop.js';
import { taskRun } from './task-run.js';
import { top } from './top.js';
import { up } from './up.js';
import { version } from './version.js';
import { wait } from './wait.js';
import { why } from './why.js';

/** The commands the daemon answers (their types make the wire protocol, control/wire.ts). */
export const SOCKET_COMMANDS = [
  status,
  start,
  stop,
  restart,
  signal,
  why,
  reload,
  logs,
  events,
  taskRun,
  history,
  enable,
  disable,
  approve,
  reject,
  wait,
  shutdown,
  ping,
] as const;

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  init,
  up,
  check,
  shell,
  ...SOCKET_COMMANDS,
  top,
  notices,
  help,
  clear,
  exit,
  version,
  completion,
  complete,
];

/** The commands of the one-shot CLI (`tend help` lists them). */
export const CLI_COMMANDS: readonly Command[] = COMMANDS.filter((c) => c.where !== 'shell' && !c.hidden);

/** The commands of the interactive shell (its help and completion list them). */
export const SHELL_COMMANDS: readonly Command[] = COMMANDS.filter((c) => c.where !== 'cli' && !c.hidden);

/**
 * What a command of the other side answers when typed here (`up` in the shell, `top` on the
 * command line: its `elsewhere`); undefined for any other word, which stays an unknown command.
 */
export function elsewhere(name: string, here: 'cli' | 'shell'): string | undefined {
  return COMMANDS.find((c) => c.name === name && c.where !== undefined && c.where !== here && !c.hidden)?.elsewhere;
}

/** The command called `name` among `list`. */
export function findCommand(name: string, list: readonly Command[] = COMMANDS): Command | undefined {
  return list.find((c) => c.name === name);
}
