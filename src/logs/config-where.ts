// Where the log files (and the journal, and the run histories) are when no daemon answers: the
// config's log_dir and its instances (a crashed stack's logs stay readable, as journalctl reads a
// stopped unit's). The config loader is imported lazily, only when no daemon answers.
import type { Client } from '../control/client.js';
import { TendError } from '../core/errors.js';
import type { InstanceSpec } from '../core/types.js';
import type { RunIo } from '../commands/command.js';
import type { LogsWhere } from '../commands/logs.js';
import { notATask } from '../tasks/history.js';
import { reportError } from '../commands/run.js';
import { journalFileOf } from './journal-file.js';
import { historyIds, instancesNamed, loggedIds, logFileOf, removedIds, withRemoved } from './log-files.js';
import { unknownServices } from '../core/did-you-mean.js';
import { shownPath } from '../core/describe.js';

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

/** What the config says of the logs; `broken`: it has errors, and only its log folder was made out. */
interface ConfigLogs {
  logDir: string;
  insts: InstanceSpec[];
  broken?: true;
}

/**
 * The config's log_dir and instances. A config with errors still says where its logs are (the
 * logs of a stack that will not start are what explains it, as journalctl reads a broken unit's):
 * with `warn`, its log folder is made out of the YAML alone, warn is told, and the names are
 * looked for as files there.
 */
async function loadInstances(configFile: string, warn?: (text: string) => void): Promise<ConfigLogs> {
  // the bundled parser (one file) as the daemon loads it, not config/index.js (hundreds of modules
  // of yaml and zod): `tend logs NAME` with no daemon took 260-340 ms instead of 360-500 here;
  // in this thread whatever the size, since nothing else waits
  const [{ loadSpecOnDemand, logDirOnDemand }, { expandInstances }] = await Promise.all([
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
    // by name: the parser's class is another copy than this bundle's (see reportError)
    if (!warn || (err as Error).name !== 'ConfigError') throw err;
    const logDir = await logDirOnDemand(configFile);
    const count = (err as { problems?: unknown[] }).problems?.length ?? 1;
    const file = shownPath(configFile);
    const errors = count === 1 ? 'an error' : `${count} errors`;
    warn(`tend: ${file} has ${errors} (tend check -c ${file} says which); reading the files in ${shownPath(logDir)}\n`);
    return { logDir, insts: [], broken: true };
  }
}

/** With a config that has errors: the files of `names` (or of every id for `all`) in `logDir`. */
async function filesOnly(logDir: string, names: readonly string[]): Promise<LogsWhere> {
  const logged = await loggedIds(logDir);
  const ids: string[] = [];
  if (names.includes('all')) ids.push(...logged);
  for (const n of names) {
    if (n === 'all') continue;
    const found = instancesNamed(logged, n);
    if (found.length === 0) throw new TendError('unknown_service', `no log files of ${n} in ${shownPath(logDir)}`);
    ids.push(...found);
  }
  return withRemoved({ log_dir: logDir, sources: [] }, [...new Set(ids)]);
}

/**
 * Why: `tend logs` without a daemon. The files of the instances `names` mean, from the config
 * (from its log folder alone when it has errors: see loadInstances).
 */
export async function configWhere(
  configFile: string,
  names: readonly string[],
  warn?: (text: string) => void,
): Promise<LogsWhere> {
  const { logDir, insts, broken } = await loadInstances(configFile, warn);
  if (broken) return filesOnly(logDir, names);
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

/**
 * Why: `tend history` without a daemon. The log folder and the ids of the tasks `names` mean; an
 * unknown name, or one that is not a oneshot, is refused as the daemon refuses it.
 */
export async function configTasks(
  configFile: string,
  names: readonly string[],
  warn?: (text: string) => void,
): Promise<{ logDir: string; ids: string[] }> {
  const { logDir, insts, broken } = await loadInstances(configFile, warn);
  if (broken) {
    // the config cannot say which names are tasks: their history files can (backup.runs, job.1.runs)
    const ran = await historyIds(logDir);
    const ids = names.flatMap((n) => instancesNamed(ran, n));
    const none = names.find((n) => instancesNamed(ran, n).length === 0);
    if (none !== undefined) throw new TendError('unknown_service', `no run history of ${none} in ${shownPath(logDir)}`);
    return { logDir, ids };
  }
  const found = resolveNames(insts, names);
  const not = found.find((i) => i.spec.type !== 'oneshot');
  if (not) throw notATask(not.service, not.spec.type);
  return { logDir, ids: found.map((i) => i.id) };
}

/** Why: `tend events` without a daemon. The journal file, and the instance ids the names mean (unknown names kept as given). */
export async function configJournal(
  configFile: string,
  names: readonly string[],
  warn?: (text: string) => void,
): Promise<{ file: string; services: string[]; unknown?: string }> {
  const { logDir, insts, broken } = await loadInstances(configFile, warn);
  if (broken) {
    // the config cannot say a service's replicas: its log files can (web: web.1, web.2)
    const named = names.filter((n) => n !== 'all');
    if (named.length === 0 || names.includes('all')) return { file: journalFileOf(logDir), services: [] };
    const logged = await loggedIds(logDir);
    const ids = named.flatMap((n) => instancesNamed(logged, n));
    return { file: journalFileOf(logDir), services: [...new Set([...named, ...ids])] };
  }
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
