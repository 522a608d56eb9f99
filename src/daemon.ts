// The composition root of `tend up`: makes the daemon's parts and wires them, nothing else. Each
// part is a module of src/daemon (or src/logs) with start and close; they start in the order
// added here and close in the reverse one (daemon/parts.ts), so adding one to tend is one line
// below. Start-up fails fast before the first spawn (a busy socket); after that tend never dies.
import { Journal } from './core/journal.js';
import { systemClock } from './core/spawner.js';
import type { InstanceSpec, Settings, Spec } from './core/types.js';
import { TendError } from './core/errors.js';
import { hasConfigFile } from './daemon/bare-spec.js';
import { DaemonCgroups } from './daemon/cgroups.js';
import { controlSocket } from './daemon/control.js';
import { serviceEnv, tendEnv } from './daemon/env.js';
import { exitWith } from './daemon/exit-with.js';
import { collectOnceSettled } from './daemon/memory.js';
import { Parts } from './daemon/parts.js';
import { ChildReaper } from './daemon/reaper.js';
import { createReloader } from './daemon/reload.js';
import { RunningConfig } from './daemon/running-config.js';
import { services } from './daemon/services.js';
import { Shutdown } from './daemon/shutdown.js';
import { signals } from './daemon/signals.js';
import { StateKeeper } from './daemon/state-keeper.js';
import { defaultNotifyAddress, serviceNotify, startManagerNotify, takeManagerEnv } from './daemon/systemd.js';
import { TaskScheduler } from './daemon/tasks.js';
import { transientServices } from './daemon/transient.js';
import { stoppingMessage } from './core/stopping-words.js';
import type { HttpServer } from './http/server.js';
import { statusUsage } from './daemon/status-usage.js';
import { type DaemonIo, Terminal } from './daemon/terminal.js';
import { echoTo } from './logs/echo.js';
import { JournalFile, journalFileOf } from './logs/journal-file.js';
import { LogRegistry } from './logs/registry.js';
import { probeHost } from './probes/host.js';
import { Supervisor } from './reconcile/supervisor.js';
import { ProcessSpawner } from './spawn/process.js';

export type { DaemonIo };

/** How this run of tend differs from the config's word. */
export interface DaemonOptions {
  /** `tend up NAME...`: only these (and their dependencies) come up; the others enter stopped */
  only?: readonly string[];
  /** settings the command line set over the config's, already in the spec (see RunningConfig) */
  settings?: Partial<Settings>;
}

/** log_dir/tend.events is rotated as a service log is by default. */
const JOURNAL_ROTATION = { maxSize: 10 * 1024 * 1024, keep: 5 };

/** Runs the supervisor until shutdown; resolves with the exit code. */
export async function runDaemon(initial: Spec, io: DaemonIo, opts: DaemonOptions = {}): Promise<number> {
  const { socket, logDir, echo } = initial.settings; // read once: a reload cannot change them
  const config = new RunningConfig(initial, opts.settings);
  const journal = new Journal();
  // the journal on disk from its first entry: `tend events` survives a restart of tend
  const journalFile = new JournalFile({
    file: journalFileOf(logDir),
    ...JOURNAL_ROTATION,
    onError: (m) => term.say(`tend: ${m}`),
  });
  journalFile.attach(journal);
  const term = new Terminal(io.stderr, initial.settings.logFormat === 'json');
  const say = (line: string): void => term.say(line);
  const parts = new Parts((m) => journal.add('tend', 'error', m));
  const shutdown = new Shutdown(parts, () => term.flush());
  const stop = (code = 0): Promise<number> => shutdown.begin(code);
  const shuttingDown = (): boolean => shutdown.started;
  const logs = new LogRegistry({
    dir: logDir,
    onError: (id, m) => journal.add(id, 'log-error', m),
    onRecover: (id) => journal.add(id, 'log-ok', 'writing the log works again'),
    onOpen: echo ? echoTo(io.stdout, initial.settings.logFormat ?? 'text') : undefined,
  });
  const cgroups = new DaemonCgroups({
    socket,
    journal,
    say,
    priorRoot: (): string | null | undefined => state.prior?.cgroupRoot,
  });
  const base = tendEnv();
  const manager = takeManagerEnv(base); // NOTIFY_SOCKET and WATCHDOG_* are tend's, not its services'
  const env = serviceEnv(base);
  const notify = serviceNotify(() => config.spec.settings.notifySocket ?? defaultNotifyAddress(socket), journal);
  const logFor = (i: InstanceSpec) => logs.for(i);
  const spawner = new ProcessSpawner({ cgroupFor: (i: InstanceSpec) => cgroups.for(i), notifySocket: notify.get });
  const sup = new Supervisor({ spawner, clock: systemClock, journal, env, output: logFor, probes: probeHost({ env, logFor }) });
  const state = new StateKeeper({ socket, sup, journal, cgroupRoot: () => cgroups.tree?.root ?? null });
  const reloader = createReloader({
    sup,
    journal,
    config,
    forget: (id) => (logs.forget(id), cgroups.forget(id)),
    retuneLog: (i) => logs.retune(i),
  });
  const tasks = new TaskScheduler({ sup, journal, clock: systemClock });
  const transient = transientServices({ sup, journal, spec: () => config.spec });
  // a daemon started by `tend run NAME -- CMD` without a config has no file to read again
  const reload = (dryRun: boolean, by: 'tend reload' | 'SIGHUP') =>
    hasConfigFile(config.spec)
      ? reloader.reload(dryRun, by)
      : Promise.reject(
          new TendError(
            'bad_request',
            'this tend runs no config file (it was started by tend run NAME -- CMD): nothing to reload',
          ),
        );
  config.onSet((s) => tasks.setSpec(s));
  const usage = statusUsage(sup, (id) => logs.failing(id));
  let http: HttpServer | undefined;
  let sd: ReturnType<typeof startManagerNotify> | undefined;
  term.printJournal(journal);

  // the parts, started in this order and closed in the reverse one
  parts.add({ name: 'journal file', close: () => journalFile.close() });
  const reaper = parts.add(new ChildReaper());
  parts.add(
    signals({
      journal,
      shutdown: stop,
      killAll: () => sup.killAll('a second interrupt'),
      reload: () => reload(false, 'SIGHUP'),
      say,
      stopping: () => stoppingMessage(sup.store.values()),
    }),
  );
  parts.add({ name: 'notify socket', close: () => (notify.close(), sd?.close()) });
  parts.add(logs);
  parts.add(
    controlSocket(
      socket,
      {
        sup,
        journal,
        now: Date.now,
        usage,
        reload: (dryRun) => reload(dryRun, 'tend reload'),
        shutdown: () => void stop(0),
        configProblem: () => reloader.problem(),
        shuttingDown,
        tasks,
        transient,
        startedUp: () => parts.start(),
        configFile: () => config.spec.file,
        shutdownTimeoutMs: () => config.spec.settings.shutdownTimeout,
        exitWith: () => config.spec.settings.exitWith,
        journalWhere: async (mark) => {
          const where = {
            file: journalFileOf(logDir),
            keep: JOURNAL_ROTATION.keep,
            services: [],
            ...(mark ? { up_to: await journalFile.mark() } : await journalFile.flush()),
            ...(journalFile.failedTimes > 0 ? { failures: journalFile.failedTimes } : {}),
          };
          return journalFile.unwritable ? { ...where, unwritable: true } : where;
        },
      },
      logs,
    ),
  );
  parts.add({
    name: 'http',
    // the endpoints' code is loaded only when they are wanted; a port in use stops start-up
    async start() {
      const at = config.spec.settings.http;
      if (at)
        http = await (await import('./daemon/http.js')).startHttp({
          at,
          sup,
          journal,
          usage,
          logBytes: (id) => logs.bytes(id),
          notifyDropped: notify.dropped,
          shuttingDown,
        });
    },
    close: () => http?.close(),
  });
  parts.add(state);
  parts.add(cgroups);
  // closed after the services: the runs that shutdown ends are recorded
  parts.add({ name: 'task histories', close: () => tasks.closeHistories() });
  parts.add(
    services({ sup, journal, spec: () => config.spec, cgroups, state, reaper, say, notify: notify.get, only: opts.only }),
  );
  parts.add({ name: 'tasks', start: () => tasks.setSpec(config.spec), close: () => tasks.close() });
  parts.add(reloader);
  parts.add(exitWith({ sup, journal, settings: () => config.spec.settings, shutdown: stop, shuttingDown }));
  // tend under systemd: READY=1 once started; STOPPING=1 first thing at shutdown (closed first)
  parts.add({
    name: 'systemd',
    start: () => void (sd = manager && startManagerNotify(manager, sup, journal)),
    close: () => sd?.stopping(),
  });

  try {
    await parts.start();
  } catch (e) {
    say(`tend: ${(e as Error).message}`);
    return stop(e instanceof TendError && e.code === 'socket_dir_unsafe' ? 2 : 1);
  }
  collectOnceSettled(sup, shuttingDown);
  return shutdown.done;
}
