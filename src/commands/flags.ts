// Flags and arguments several commands share, written once so their help reads the same everywhere.
import type { ArgSpec, FlagSpec } from './command.js';

/** `--json`: machine-readable output. */
export const JSON_FLAG: FlagSpec = { name: 'json', help: 'print JSON instead of text' };

/** `-c FILE`: the config (for up and check; for the others, where to find the socket). */
export const CONFIG_FLAG: FlagSpec = {
  name: 'config',
  short: 'c',
  value: { label: 'FILE', kind: 'file' },
  help: 'the config file (default: $TEND_CONFIG, else ./tend.yaml)',
  cliOnly: true,
};

/** `--socket PATH`: the daemon's socket. */
export const SOCKET_FLAG: FlagSpec = {
  name: 'socket',
  value: { label: 'PATH', kind: 'path' },
  help: "the daemon's socket (default: $TEND_SOCKET, else the config's settings.socket)",
  cliOnly: true,
};

/** How a one-shot command finds the daemon: -c and --socket. */
export const FIND_DAEMON: readonly FlagSpec[] = [
  { ...CONFIG_FLAG, help: 'find the socket through this config (default: $TEND_CONFIG, else ./tend.yaml)' },
  SOCKET_FLAG,
];

/** `--timeout D` and `--no-wait` of start, stop and restart. */
export const WAIT_FLAGS: readonly FlagSpec[] = [
  {
    name: 'timeout',
    value: { label: 'D', kind: 'duration' },
    help: 'give up waiting after D (30s, 2m, 1h30m, 2d; default 60s, stop 120s)',
  },
  { name: 'no-wait', help: 'return at once instead of waiting' },
];

/** `-n N` of logs and events. */
export const LINES_FLAG: FlagSpec = {
  name: 'lines',
  short: 'n',
  value: { label: 'N', kind: 'number' },
  help: 'show the last N lines (default 100)',
};

/** `--since T` of logs and events. */
export const SINCE_FLAG: FlagSpec = {
  name: 'since',
  value: { label: 'T', kind: 'duration' },
  help: 'from time T: a duration back (10m, -2h, 10m ago) or ahead (+10s), a time today (10:00), a date (2026-12-05), a date and time, @EPOCH, now, today, yesterday',
};

/** `--grep RE` of logs and events (what it matches is said by each). */
export function grepFlag(what: string): FlagSpec {
  return {
    name: 'grep',
    value: { label: 'RE', kind: 'text' },
    help: `only ${what} matching the regex RE (JavaScript syntax, run in linear time)`,
  };
}

/** `-i` of logs and events: with --grep. */
export const IGNORE_CASE_FLAG: FlagSpec = { name: 'ignore-case', short: 'i', help: 'with --grep: ignore case' };

/** `--until T` of logs and events. */
export const UNTIL_FLAG: FlagSpec = {
  name: 'until',
  value: { label: 'T', kind: 'duration' },
  help: 'up to time T (the same forms as --since)',
};

/** `-f` of logs and events. */
export const FOLLOW_FLAG: FlagSpec = { name: 'follow', short: 'f', help: 'keep printing new lines as they come (Ctrl-C stops)' };

/** `-h`: every command's help; accepted everywhere, listed by help itself. */
export const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', help: 'show this help' };

/** NAME... (one or more services). */
export const NAMES: readonly ArgSpec[] = [{ name: 'NAME', kind: 'service', repeat: true }];

/** NAME (one service). */
export const NAME: readonly ArgSpec[] = [{ name: 'NAME', kind: 'service' }];

/** The note of every command that takes service names. */
export const NAME_NOTE = 'NAME may be all, or a replica set name for all of its instances.';
