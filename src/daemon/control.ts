// The control socket as a part of the daemon: the command table's handlers over the daemon (the
// store, the journal, the logs, reload, shutdown), served to tend's own uid and root. Its start is
// where start-up fails fast: a live socket means another tend runs there.
import { createControlServer, type ControlServer } from '../control/server.js';
import type { DaemonContext } from '../commands/context.js';
import type { LogsWhere } from '../commands/logs.js';
import type { Instance } from '../core/instance.js';
import type { LogRegistry } from '../logs/registry.js';
import { COMMAND_TABLE, makeHandler } from './commands.js';
import { collectAfterInput } from './memory.js';
import { type Part, within } from './parts.js';
import { peerOf, refusePeer } from './peer.js';

/** How long `tend logs` waits for what a service printed so far to reach its file before it is told where the file is. */
const FLUSH_WAIT_MS = 2000;

/** Why: `tend status`, `start`, `logs`... reach the daemon here; `ctx` without `logs`, which come from the registry. */
export function controlSocket(socket: string, ctx: Omit<DaemonContext, 'logs'>, logs: LogRegistry): Part {
  const where = async (targets: readonly Instance[], mark: boolean): Promise<LogsWhere> => ({
    log_dir: logs.dir,
    sources: await Promise.all(
      targets.map(async (t) => {
        const s = { instance: t.id, file: logs.fileOf(t.id), keep: t.inst.spec.logs.keep };
        if (mark) {
          const up_to = await logs.mark(t.inst);
          return logs.failing(t.id) !== undefined ? { ...s, up_to, unwritable: true } : { ...s, up_to };
        }
        // bounded: a log rotating all the time (a small max_size, thousands kept: each rotation
        // renames every file) may take its queue long to pass the mark; the reply never came
        await within(FLUSH_WAIT_MS, logs.flushed([t.inst]));
        return logs.failing(t.id) !== undefined ? { ...s, unwritable: true } : s;
      }),
    ),
  });
  let server: ControlServer | undefined;
  const { sup, journal } = ctx;
  return {
    name: 'control socket',
    closeWithinMs: 1000,
    async start() {
      server = await createControlServer({
        path: socket,
        commands: COMMAND_TABLE,
        handle: makeHandler({
          ...ctx,
          logs: {
            dir: logs.dir,
            tail: (id, n) => logs.tail(id, n),
            ended: (id, ms) => logs.ended(id, ms),
            where,
            follow: (id, fn) => logs.follow(sup.store.get(id)!.inst, fn),
          },
        }),
        allowPeer: (s) => refusePeer(s),
        peerOf,
        onError: (m) => journal.add('tend', 'error', m),
        onInput: collectAfterInput(),
      });
    },
    close: () => server?.close(),
  };
}
