// The composition root: wires config, store, loop, spawner, logs, probes, socket server and
// signals into the running daemon of `tend up`. Fail fast before the first spawn; never die after.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { processHash } from './config/diff.js';
import { expandInstances } from './config/instances.js';
import { exitCodeOf } from './core/describe.js';
import { TendError } from './core/errors.js';
import type { Instance } from './core/instance.js';
import { Journal } from './core/journal.js';
import { systemClock } from './core/spawner.js';
import type { InstanceSpec, Spec } from './core/types.js';
import { createControlServer, type ControlServer } from './control/server.js';
import { adoptable } from './daemon/adopt.js';
import { COMMAND_TABLE, makeHandler } from './daemon/commands.js';
import { reapDescendants } from './daemon/pid1.js';
import { probeHost } from './probes/host.js';
import { collectGarbage } from './daemon/memory.js';
import { createReloader } from './daemon/reload.js';
import { peerOf } from './daemon/peer.js';
import { TaskScheduler } from './daemon/tasks.js';
import type { StatusRow } from './daemon/status.js';
import { Supervisor } from './reconcile/supervisor.js';
import { readState, stateFileOf, stateWriter } from './daemon/state-file.js';
import { CgroupTree, subtreeName } from './cgroup/tree.js';
import { readLogLines } from './logs/read.js';
import { ServiceLog } from './logs/sink.js';
import { getPeerCred } from './sys/addon.js';
import { startReaper } from './spawn/children.js';
import { adoptedHandle, ProcessSpawner } from './spawn/process.js';
import { signalNumber } from './core/signals.js';
import { ProcUsage } from './sys/proc-usage.js';
import { colorName, colorState } from './commands/format.js';
import { defaultNotifyAddress, serviceNotify, startManagerNotify, takeManagerEnv } from './daemon/systemd.js';
import type { HttpServer } from './http/server.js';

export interface DaemonIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
}

/** Runs the supervisor until shutdown; resolves with the exit code. */
export async function runDaemon(initial: Spec, io: DaemonIo): Promise<number> {
  let spec = initial;
  const color = Boolean(io.stderr.isTTY) && !process.env.NO_COLOR;
  const journal = new Journal();
  const logs = new Map<string, ServiceLog>();
  // a closed terminal or pipe (tend up | head) must not take the daemon down: stop writing there
  let stderrOk = true;
  let stdoutOk = true;
  io.stderr.on('error', () => (stderrOk = false));
  io.stdout.on('error', () => (stdoutOk = false));
  // stderr lines of one event-loop turn go out in one write (500 services start in one turn)
  let pending: string[] = [];
  const flushSay = (): void => {
    const text = pending.join('');
    pending = [];
    if (stderrOk && text) io.stderr.write(text);
  };
  const sayLater = (line: string): void => {
    if (pending.length === 0) setImmediate(flushSay);
    pending.push(`${line}\n`);
  };
  // warnings and errors go out at once (after what is queued, to keep the order)
  const say = (line: string): void => {
    sayLater(line);
    flushSay();
  };

  // every process (services, exec probes) is started by the addon (spawn/launcher.ts); tend is
  // a child subreaper and reaps every child: exits go to their watchers, orphans are just reaped
  const reaper = startReaper();

  const logFor = (inst: InstanceSpec): ServiceLog => {
    let l = logs.get(inst.id);
    if (!l) {
      l = new ServiceLog({
        file: join(spec.settings.logDir, `${inst.id}.log`),
        maxSize: inst.spec.logs.maxSize,
        keep: inst.spec.logs.keep,
        onError: (m) => journal.add(inst.id, 'log-error', `writing the log fails: ${m}`),
        onRecover: () => journal.add(inst.id, 'log-ok', 'writing the log works again'),
      });
      logs.set(inst.id, l);
      if (spec.settings.echo) {
        const name = Buffer.from(`${colorName(inst.id, Boolean(io.stdout.isTTY) && !process.env.NO_COLOR)} | `);
        l.subscribe((line) => {
          // echo is a view: while stdout is slow (write() false) lines go only to the log file
          if (!stdoutOk || io.stdout.writableNeedDrain) return;
          io.stdout.write(Buffer.concat([name, line.line, NEWLINE]));
        });
      }
    }
    return l;
  };

  // tend's own environment, read once (process.env is a slow view of environ)
  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) baseEnv[k] = v;
  const manager = takeManagerEnv(baseEnv); // NOTIFY_SOCKET and WATCHDOG_* are tend's, not its services'
  const notify = serviceNotify(() => spec.settings.notifySocket ?? defaultNotifyAddress(spec.settings.socket), journal);
  const env = (inst: InstanceSpec): Record<string, string> => {
    const e: Record<string, string> = { ...baseEnv, ...inst.spec.env };
    e.TEND_SERVICE = inst.service;
    e.TEND_INSTANCE = inst.id;
    if (inst.replica !== undefined) e.TEND_REPLICA = String(inst.replica);
    return e;
  };

  let tree: CgroupTree | undefined;
  const warned = new Set<string>();
  const warnOnce = (id: string, msg: string): void => {
    if (warned.has(`${id}\0${msg}`)) return;
    warned.add(`${id}\0${msg}`);
    journal.add(id, 'warning', msg);
  };
  const cgroupFor = (inst: InstanceSpec) => {
    const { memory, cpu, pids } = inst.spec.limits;
    if (!tree) {
      if (memory !== undefined || cpu !== undefined || pids !== undefined) {
        warnOnce(inst.id, 'limits.memory/cpu/pids not applied: no writable cgroup v2 (see the warning at start-up)');
      }
      return undefined;
    }
    const cg = tree.service(inst.id);
    for (const w of cg.applyLimits(inst.spec.limits)) warnOnce(inst.id, w);
    return cg;
  };

  const sup = new Supervisor({
    spawner: new ProcessSpawner({ cgroupFor, notifySocket: notify.get }),
    clock: systemClock,
    journal,
    env,
    output: logFor,
    probes: probeHost({ env, logFor }),
  });
  const tasks = new TaskScheduler({ sup, journal, clock: systemClock });

  // Fail before the first spawn: a live socket means another tend runs there.
  let server: ControlServer | undefined;
  let http: HttpServer | undefined;
  let exitCode = 0;
  let shuttingDown: Promise<number> | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const reloader = createReloader({
    sup,
    journal,
    current: () => spec,
    setSpec: (s) => tasks.setSpec((spec = s)),
    instances: expandInstances,
    forget: (id) => {
      const l = logs.get(id);
      logs.delete(id);
      void l?.close();
      tree?.remove(id);
    },
  });

  // cpu % and memory summed over every process of each instance (its cgroup, else its leader)
  const procUsage = new ProcUsage();
  const usage = async (rows: StatusRow[], insts: Instance[]): Promise<void> => {
    const now = Date.now();
    const seen = new Set<number>();
    rows.forEach((r, k) => {
      const i = insts[k]!;
      const failing = logs.get(i.id)?.failing;
      if (failing) {
        r.log_error = failing;
        r.detail = r.detail ? `${r.detail}; logs failing: ${failing}` : `logs failing: ${failing}`;
      }
      if (i.pid === null) return;
      let cpu = 0;
      let memory = 0;
      let seconds = 0;
      let any = false;
      for (const pid of sup.handle(i.id)?.pids() ?? [i.pid]) {
        const s = procUsage.sample(pid, now);
        if (!s) continue;
        seen.add(pid);
        any = true;
        cpu += s.cpu;
        memory += s.memory;
        seconds += s.seconds;
      }
      if (any) {
        r.cpu = Math.round(cpu * 10) / 10;
        r.cpu_seconds = Math.round(seconds * 100) / 100;
        r.memory = memory;
      }
    });
    if (rows.length === sup.store.size) procUsage.prune(seen);
  };

  const shutdown = (code = 0): Promise<number> => {
    if (shuttingDown) return shuttingDown;
    exitCode = code;
    shuttingDown = (async () => {
      reloader.close(); // no reload (file edit, SIGHUP) may start anything now
      journal.add('tend', 'shutdown', 'stopping every service');
      sd?.stopping();
      sup.stop([...sup.store.values()]);
      const bound = spec.settings.shutdownTimeout;
      const deadline = Date.now() + bound;
      const quiet = await waitQuiet(sup, Math.max(0, bound - 500));
      if (!quiet) {
        say(`tend: services still running near shutdown_timeout (${bound}ms): killing them`);
        sup.killAll();
        await waitQuiet(sup, Math.max(100, deadline - Date.now()));
      }
      // PID 1 / subreaper: orphans reparented to us go too (TERM, then KILL at the bound)
      await reapDescendants(reaper, Math.max(200, deadline - Date.now()));
      state.remove();
      await within(1000, server?.close());
      await within(1000, http?.close());
      notify.close();
      sd?.close();
      await within(1000, Promise.all([...logs.values()].map((l) => l.close().catch(() => {}))));
      reaper.stop();
      tree?.prune();
      tree?.release();
      flushSay();
      resolveDone(exitCode);
      return exitCode;
    })();
    return shuttingDown;
  };

  try {
    server = await createControlServer({
      path: spec.settings.socket,
      commands: COMMAND_TABLE,
      handle: makeHandler({
        sup,
        journal,
        now: () => Date.now(),
        usage,
        logs: {
          async tail(id, n) {
            const l = logs.get(id);
            if (l && l.tail(1).length) return l.tail(n).map((x) => lineData(id, x));
            // nothing in memory (not run since tend started): read the end of its file
            const text = await readLogLines(join(spec.settings.logDir, `${id}.log`), n);
            return text.map((t) => fileLineData(id, t));
          },
          follow(id, fn) {
            const l = logs.get(id) ?? logFor(sup.store.get(id)!.inst);
            return l.subscribe((x) => fn(lineData(id, x)));
          },
        },
        reload: (dryRun) => reloader.reload(dryRun, 'tend reload'),
        shutdown: () => void shutdown(0),
        configProblem: () => reloader.problem(),
        shuttingDown: () => shuttingDown !== undefined,
        tasks,
      }),
      peerOf,
      allowPeer(socket) {
        const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
        if (fd === undefined || fd < 0) return undefined;
        const cred = getPeerCred(fd);
        const me = process.getuid?.() ?? 0;
        if (cred.uid === me || cred.uid === 0 || cred.uid < 0) return undefined;
        return `uid ${cred.uid} may not control this tend (only uid ${me} and root)`;
      },
      onError: (m) => journal.add('tend', 'error', m),
    });
    const at = spec.settings.http; // the HTTP endpoints' code is loaded only when they are wanted
    if (at) http = await (await import('./daemon/http.js')).startHttp({ at, sup, journal, usage, logBytes: (id) => logs.get(id)?.bytesWritten ?? 0, notifyDropped: notify.dropped, shuttingDown: () => shuttingDown !== undefined });
  } catch (e) {
    await server?.close();
    reaper.stop();
    const msg = e instanceof TendError ? e.message : (e as Error).message;
    say(`tend: ${msg}`);
    return 1;
  }

  // cgroups: one subtree per socket; an earlier daemon's recorded subtree is reused to adopt
  const stateFile = stateFileOf(spec.settings.socket);
  const prior = readState(stateFile);
  const priorRoot = prior?.cgroupRoot && existsSync(prior.cgroupRoot) ? prior.cgroupRoot : undefined;
  const opened = CgroupTree.open({ root: priorRoot, name: subtreeName(spec.settings.socket) });
  tree = opened.tree;
  if (opened.warning) say(`tend: warning: ${opened.warning}`);
  const hashOf = (i: Instance): string => processHash(i.inst);
  const state = stateWriter(stateFile, () => ({
    cgroupRoot: tree?.root ?? null,
    live: [...sup.store.values()],
    hash: hashOf,
  }));
  sup.onChange(() => state.touch());

  journal.subscribe((e) => {
    if (e.what === 'state' && e.state) {
      const t = e.time.slice(11, 23);
      sayLater(`${t} ${colorName(e.service, color)} ${colorState(e.state, color)} ${e.why.replace(/^\S+ -> \S+: /, '')}`);
    } else if (e.what === 'error' || e.what === 'log-error' || e.what === 'reload' || e.what === 'kill') {
      sayLater(`${e.time.slice(11, 23)} ${colorName(e.service, color)} ${e.what}: ${e.why}`);
    }
  });

  try {
    mkdirSync(spec.settings.logDir, { recursive: true });
  } catch (e) {
    // services run anyway; each log says it fails (journal, status) and retries
    journal.add('tend', 'log-error', `cannot create log_dir ${spec.settings.logDir}: ${(e as Error).message}`);
  }

  // exit_with is read at each change, so a reload may set or change it
  sup.onChange((i) => {
    if (!spec.settings.exitWith || i.inst.service !== spec.settings.exitWith || shuttingDown) return;
    if (i.state !== 'completed' && i.state !== 'failed') return;
    const last = i.exits[i.exits.length - 1]?.exit;
    const code = last ? exitCodeOf(last, signalNumber) : 1;
    journal.add('tend', 'exit-with', `${i.id} ended (${i.reason}): tend exits with ${code}`);
    void shutdown(code);
  });

  let interrupts = 0;
  const onStop = (sig: string): void => {
    interrupts++;
    if (interrupts > 1 && sig === 'SIGINT') {
      say('tend: second interrupt: killing every service');
      sup.killAll();
      return;
    }
    journal.add('tend', 'signal', `${sig}: shutting down`);
    void shutdown(0);
  };
  process.on('SIGINT', () => onStop('SIGINT'));
  process.on('SIGTERM', () => onStop('SIGTERM'));
  process.on('SIGHUP', () => void reloader.reload(false, 'SIGHUP'));
  process.on('SIGPIPE', () => {});

  journal.add('tend', 'up', `pid ${process.pid}, socket ${spec.settings.socket}, ${spec.services.length} services`);
  const insts = expandInstances(spec);
  const adopt = tree ? adoptable(tree, insts, prior, journal) : [];
  sup.add(insts);
  const sd = manager && startManagerNotify(manager, sup, journal); // tend under systemd: READY=1 once started
  for (const a of adopt) {
    const handle = adoptedHandle(a.cg, a.pid, notify.get);
    sup.adopt(sup.store.get(a.id)!, handle, (cb) => void handle.drained().then(() => cb({ kind: 'lost' })), a);
  }
  tasks.setSpec(spec);
  if (spec.settings.watch) reloader.watch();
  // Start-up's garbage goes once every service got where it was going (or after a bound, for a
  // slow readiness probe): tend collects when it knows garbage was made, see daemon/memory.ts.
  void waitUntil(sup, () => settled(sup), STARTUP_GC_BOUND_MS, { unref: true }).then(() => {
    if (!shuttingDown) collectGarbage();
  });
  const code = await done;
  reloader.close();
  return code;
}

/** Waits for `p`, at most `ms`. */
async function within(ms: number, p: Promise<unknown> | undefined): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p?.catch(() => {}), new Promise((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}

/** A line of a log file (`ISO out text`) as a log event. */
function fileLineData(service: string, text: string) {
  const m = /^(\S+) (out|err|log) (.*)$/s.exec(text);
  if (!m) return { time: '', service, stream: 'stdout', line: text };
  return { time: m[1]!, service, stream: m[2] === 'err' ? 'stderr' : 'stdout', line: m[3]! };
}

const NEWLINE = Buffer.from('\n');
/** At most this long after start-up before its garbage is collected (a slow readiness probe). */
const STARTUP_GC_BOUND_MS = 10_000;

function lineData(service: string, l: { time: number; stream: string; line: Buffer }) {
  return { time: new Date(l.time).toISOString(), service, stream: l.stream, line: l.line.toString('utf8') };
}

/** Resolves true when no service has a live process, false at the deadline. */
function waitQuiet(sup: Supervisor, ms: number): Promise<boolean> {
  return waitUntil(sup, () => sup.quiet(), ms);
}

/** Resolves true once `test()` holds (checked at every state change), false at the deadline. */
function waitUntil(sup: Supervisor, test: () => boolean, ms: number, opts: { unref?: boolean } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    if (test()) return resolve(true);
    const off = sup.onChange(() => {
      if (test()) {
        off();
        clearTimeout(t);
        resolve(true);
      }
    });
    const t = setTimeout(() => {
      off();
      resolve(test());
    }, ms);
    if (opts.unref) t.unref();
  });
}

/** No service is on its way up (pending or starting): start-up, or a wave of starts, is over. */
function settled(sup: Supervisor): boolean {
  for (const i of sup.store.values()) if (i.state === 'pending' || i.state === 'starting') return false;
  return true;
}
