// A local copy of the command table's data (SPEC §3 plus the shell-only commands), so completion,
// help and "did you mean" work before the lead's commands.ts lands; it will be merged into that table.

/** One command as the CLI, the shell, completion and help see it. */
export interface CommandDef {
  name: string;
  /** one-line usage, e.g. "start NAME..." */
  usage: string;
  summary: string;
  /** flags it accepts, e.g. ["--json", "-f", "-n"]; a flag taking a value shows it in `usage` ("-n N") */
  flags: string[];
  /** positional arguments in order; a trailing 'services' repeats */
  args: Array<'service' | 'services' | 'signal' | 'none'>;
}

/** Every command, in the order `help` lists them. */
export const COMMANDS: CommandDef[] = [
  { name: 'status', usage: 'status [NAME...] [--json]', summary: 'one row a service: state, pid, uptime, restarts, cpu, memory', flags: ['--json'], args: ['services'] },
  { name: 'start', usage: 'start NAME... [--timeout D] [--no-wait] [--json]', summary: 'start services (and their dependencies); wait until running', flags: ['--timeout', '--no-wait', '--json'], args: ['services'] },
  { name: 'stop', usage: 'stop NAME... [--timeout D] [--no-wait] [--json]', summary: 'stop services (dependents first); wait until stopped', flags: ['--timeout', '--no-wait', '--json'], args: ['services'] },
  { name: 'restart', usage: 'restart NAME... [--timeout D] [--no-wait] [--json]', summary: 'stop then start services', flags: ['--timeout', '--no-wait', '--json'], args: ['services'] },
  { name: 'signal', usage: 'signal NAME SIGNAL [--json]', summary: "send a signal to a service's main process", flags: ['--json'], args: ['service', 'signal'] },
  { name: 'why', usage: 'why NAME [--json]', summary: 'explain why a service is in its state', flags: ['--json'], args: ['service'] },
  { name: 'reload', usage: 'reload [--dry-run] [--json]', summary: 're-read the config and converge (--dry-run: only print the plan)', flags: ['--dry-run', '--json'], args: ['none'] },
  { name: 'logs', usage: 'logs NAME... [-n N] [-f] [--json]', summary: 'last N lines of services (default 100); -f follows', flags: ['-n', '--lines', '-f', '--follow', '--json'], args: ['services'] },
  { name: 'events', usage: 'events [-n N] [-f] [--json]', summary: 'the journal: every action and exit, with time and reason (last N, default 100); -f follows', flags: ['-n', '--lines', '-f', '--follow', '--json'], args: ['none'] },
  { name: 'shutdown', usage: 'shutdown [--json]', summary: 'stop every service; the daemon exits', flags: ['--json'], args: ['none'] },
  { name: 'top', usage: 'top', summary: 'a live table of services (q returns to the prompt)', flags: [], args: ['none'] },
  { name: 'help', usage: 'help [COMMAND]', summary: 'list the commands, or explain one', flags: [], args: ['none'] },
  { name: 'clear', usage: 'clear', summary: 'clear the screen', flags: [], args: ['none'] },
  { name: 'exit', usage: 'exit', summary: 'leave the shell (or Ctrl-D)', flags: [], args: ['none'] },
];
