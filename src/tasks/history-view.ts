// `tend history` in the client: from the daemon when one answers, else from the files in the
// config's log_dir (the record of the runs is the files, as `tend logs` and `tend events` read theirs).
import { untyped } from '../control/client.js';
import { EXIT, type RunIo } from '../commands/command.js';
import { history, HISTORY_DEFAULT, type HistoryArgs, type HistoryReply } from '../commands/history.js';
import { configTasks, fromDaemonOrConfig } from '../logs/config-where.js';
import { lastRuns } from './history.js';

/** Why: `tend history` with a daemon or without one; prints as the request would. */
export function runHistory(args: HistoryArgs, json: boolean, io: RunIo): Promise<number> {
  const show = (r: HistoryReply): number => {
    if (json) io.out(`${JSON.stringify(history.json!(r))}\n`);
    else history.print(r, io, args);
    return EXIT.ok;
  };
  return fromDaemonOrConfig(
    io,
    async (configFile) => {
      const { logDir, ids } = await configTasks(configFile, args.names, (t) => io.err(t));
      return show({ runs: await lastRuns(logDir, ids, args.lines ?? HISTORY_DEFAULT) });
    },
    async (client) => show((await untyped(client).request('history', args)) as HistoryReply),
  );
}
