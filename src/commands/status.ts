// `tend status [NAME...]`: one row a service.
import type { StatusRow } from '../control/wire.js';
import { names, optional, shape } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG, NAME_NOTE } from './flags.js';
import { statusTable } from './format.js';

/** The request of `status`: no names, every service. */
export interface StatusArgs {
  names?: string[];
}

/** Its reply: the rows, and the config problem that keeps the last good config running. */
export interface StatusReply {
  services: StatusRow[];
  config_error: string | null;
}

/** `tend status`. */
export const status: SocketCommand<'status', StatusArgs, StatusReply> = {
  name: 'status',
  summary: 'one row a service: state, pid, uptime, restarts, cpu, memory',
  args: [{ name: 'NAME', kind: 'service', optional: true, repeat: true }],
  flags: [JSON_FLAG, ...FIND_DAEMON],
  examples: ['status', 'status web --json'],
  notes: `${NAME_NOTE} --json prints one array of rows (name, state, pid, restarts, exit_code, since, cpu, memory, ...).`,
  schema: shape<StatusArgs>({ names: optional(names) }),
  request: (p) => ({ names: p.positionals }),
  json: (r) => r.services,
  print(r, io) {
    io.out(statusTable(r.services, io.color) + '\n');
    if (r.config_error) io.err(`tend: the config on disk is broken; running the last good one:\n${r.config_error}\n`);
  },
  async handle(args, d) {
    const insts = d.resolve(args.names, false);
    const now = d.now();
    const rows = insts.map((i) => d.statusRow(i, now));
    await d.usage(rows, insts);
    return { services: rows, config_error: d.configProblem() ?? null };
  },
};
