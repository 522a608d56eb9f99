// Where the log files are when no daemon answers: the config's log_dir and its instances (a
// crashed stack's logs stay readable, as journalctl reads a stopped unit's). The config loader is
// imported here only, lazily.
import type { Client } from '../control/client.js';
import { TendError } from '../core/errors.js';
import type { InstanceSpec } from '../core/types.js';
import type { RunIo } from '../commands/command.js';
import type { LogsWhere } from '../commands/logs.js';
import { reportError } from '../commands/run.js';
import { journalFileOf } from './journal-file.js';
import { logFileOf, removedIds, withRemoved } from './log-files.js';
import { unknownServices } from '../core/did-you-mean.js';

/** The instances `names` mean (all, a service and its replicas, an instance); unknown names throw, as the daemon's do. */
export function resolveNames(insts: readonly InstanceSpec[], names: readonly string[], lenient = false): InstanceSpec[] {
  if (names.length === 0) return [...insts];
  const out = new Set<InstanceSpec>();
  const unknown: string[] = [];
  for (const n of names) {
    const found = n === 'all' ? insts : insts.filter((i) => i.id === n || i.service === n);
    if (found.length === 0) unknown.push(n);
    for (const i of found) out.add(i);
  }
  if (unknown.length > 0 && !lenient) {
    throw new TendError('unknown_service', unknownServices(unknown, [...new Set(insts.map((i) => i.service))]));
  }
  return insts.filter((i) => out.has(i));
}

async function loadInstances(configFile: string): Promise<{ logDir: string; insts: InstanceSpec[] }> {
  // the bundled parser (one file) as the daemon loads it, not config/index.js (hundreds of modules
  // of yaml and zod): `tend logs NAME` with no daemon took 260-340 ms instead of 360-500 here;
  // in this thread whatever the size, since nothing else waits
  const [{ loadSpecOnDemand }, { expandInstances }] = await Promise.all([
    import('../config/on-demand.js'),
    import('../config/instances.js'),
  ]);
  try {
    const spec = await loadSpecOnDemand(configFile, { workerBytes: Number.POSITIVE_INFINITY });
    return { logDir: spec.settings.logDir, insts: expandInstances(spec) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TendError('no_daemon', `no daemon answers, and no config at ${configFile} says where the logs are (use -c FILE)`);
    }
    throw err;
  }
}

/** Why: `tend logs` without a daemon. The files of the instances `names` mean, from the config. */
export async function configWhere(configFile: string, names: readonly string[]): Promise<LogsWhere> {
  const { logDir, insts } = await loadInstances(configFile);
  const where = (list: readonly InstanceSpec[]): LogsWhere => ({
    log_dir: logDir,
    sources: list.map((i) => ({ instance: i.id, file: logFileOf(logDir, i.id), keep: i.spec.logs.keep })),
  });
  // a name the config no longer has reads the files it left in log_dir (as the daemon's logs do)
  const unknown = names.filter((x) => x !== 'all' && !insts.some((i) => i.id === x || i.service === x));
  const removed = await removedIds(logDir, unknown);
  if (removed === undefined) return where(resolveNames(insts, names)); // throws unknown_service
  const known = names.filter((x) => !unknown.includes(x));
  return withRemoved(where(unknown.length > 0 && known.length === 0 ? [] : resolveNames(insts, known)), removed);
}

/** Why: `tend events` without a daemon. The journal file, and the instance ids the names mean (unknown names kept as given). */
export async function configJournal(
  configFile: string,
  names: readonly string[],
): Promise<{ file: string; services: string[]; unknown?: string }> {
  const { logDir, insts } = await loadInstances(configFile);
  const ids = resolveNames(insts, names, true).map((i) => i.id);
  const services = names.length === 0 || names.includes('all') ? [] : [...new Set([...ids, ...names.filter((n) => n !== 'all')])];
  const unknown = names.filter((n) => n !== 'all' && n !== 'tend' && !insts.some((i) => i.id === n || i.service === n));
  const known = [...new Set(insts.map((i) => i.service))];
  return { file: journalFileOf(logDir), services, unknown: unknown.length ? unknownServices(unknown, known) : undefined };
}

/**
 * Why: logs and events read with a daemon or without one. `daemon` gets the client when one
 * answers; with none, `noDaemon` gets the config file (when there is one to ask: not in the shell).
 * An error is printed (exit code as reportError picks it); the client is closed after.
 */
export async function fromDaemonOrConfig(
  io: RunIo,
  noDaemon: (configFile: string) => Promise<number>,
  daemon: (client: Client) => Promise<number>,
): Promise<number> {
  let client: Client | undefined;
  try {
    try {
      client = await io.connect();
    } catch (err) {
      if (!((err as TendError).code === 'no_daemon' && io.configPath)) throw err;
      return await noDaemon(io.configPath());
    }
    return await daemon(client);
  } catch (err) {
    return reportError(err, io);
  } finally {
    client?.close();
  }
}
