// `tend reload [--dry-run]`: re-read the config and converge, printing what changes.
import type { ReloadResult } from '../control/wire.js';
import { bool, optional, shape } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG } from './flags.js';

/** Its request. */
export interface ReloadArgs {
  dry_run?: boolean;
}

/** `tend reload`. */
export const reload: SocketCommand<'reload', ReloadArgs, ReloadResult> = {
  name: 'reload',
  summary: 're-read the config and converge (--dry-run: only print the plan)',
  args: [],
  flags: [{ name: 'dry-run', help: 'print the plan and change nothing' }, JSON_FLAG, ...FIND_DAEMON],
  examples: ['reload --dry-run', 'reload'],
  notes:
    'Prints what is added (+), removed (-) and changed (~). An edit of the file reloads by itself unless settings.watch is false.',
  schema: shape<ReloadArgs>({ dry_run: optional(bool) }),
  request: (p) => ({ dry_run: p.flags['dry-run'] === true }),
  refusedWhileShuttingDown: true,
  print(r, io) {
    io.out(`${r.text ?? ''}\n`);
  },
  handle: (args, d) => d.reload(args.dry_run === true),
};
