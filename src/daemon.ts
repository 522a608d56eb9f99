// The composition root: wires config, store, loop, spawner, logs, probes, socket server and
// signals into the running daemon of `tend up`. Fail fast before the first spawn; never die after.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { expandInstances } from './config/index.js';
import { exitCodeOf } from './core/describe.js';
import { TendError } from './core/errors.js';
import type { Instance } from './core/instance.js';
import { Journal } from './core/journal.js';
import { systemClock } from './core/spawner.js';
import type { InstanceSpec, Spec } from './core/types.js';
import { createControlServer, type ControlServer } from './control/server.js';
import { makeHandler } from './daemon/commands.js';
import { createReloader } from './daemon/reload.js';
import type { StatusRow } from './daemon/status.js';
import { Supervisor } from './reconcile/supervisor.js';
import { ServiceLog } from './spawn/log-sink.js';
import { getPeerCred, setChildSubreaper, startReaper } from './spawn/native.js';
import { ProcessSpawner, signalNumber } from './spawn/process.js';
import { ProbeRunner } from './spawn/probe.js';
import { colorName, colorState } from './shell/format.js';

export interface DaemonIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
}

/** Runs the supervisor until shutdown; resolves with the exit code. */
export async function runDaemon(initial: Spec, io: DaemonIo): Promise<number> {
  let spec = initial;
  const color = Boolean(io.stderr.isTTY) && !process.env.NO_COLOR;
  const journal = new Journal();
  const owned = new Set<number>();
  const logs = new Map<string, ServiceLog>();
  const say = (line: string): void => void io.stderr.write(`${line}\n`);

  setChildSubreaper();
  const reaper = startReaper(() => owned);

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
        const name = colorName(inst.id, Boolean(io.stdout.isTTY) && !process.env.NO_COLOR);
        l.subscribe((line) => {
          io.stdout.write(Buffer.concat([Buffer.from(`${name} | `), line.line, Buffer.from('\n')]));
        });
      }
    }
    return l;
  };

  const env = (inst: InstanceSpec): Record<string, string> => {
    const e: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) e[k] = v;
    Object.assign(e, inst.spec.env);
    e.TEND_SERVICE = inst.service;
    e.TEND_INSTANCE = inst.id;
    if (inst.replica !== undefined) e.TEND_REPLICA = String(inst.replica);
    return e;
  };

  const sup = new Supervisor({
    spawner: new ProcessSpawner({ owned }),
    clock: systemClock,
    journal,
    env,
    output: logFor,
    probes: {
      start(inst, kind, onResult) {
        const p = inst.spec[kind]!;
        if (p.check.kind === 'log') {
          const re = new RegExp(p.check.pattern);
          return logFor(inst).subscribe((l) => {
            if (re.test(l.line.toString('utf8'))) onResult(true, 'log line matched');
          });
        }
        const runner = new ProbeRunner(p, { cwd: inst.spec.cwd, env: env(inst) }, (r) => onResult(r.ok, r.message));
        runner.start();
        return () => runner.stop();
      },
    },
  });

  // Fail before the first spawn: a live socket means another tend runs there.
  let server: ControlServer;
  let exitCode = 0;
  let shuttingDown: Promise<number> | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const reloader = createReloader({
    sup,
    journal,
    current: () => spec,
    setSpec: (s) => (spec = s),
    instances: expandInstances,
  });

  const usage = async (rows: StatusRow[], insts: Instance[]): Promise<void> => {
    const pids = insts.map((i) => i.pid).filter((p): p is number => p !== null);
    if (pids.length === 0) return;
    const { default: pidusage } = await import('pidusage');
    let stats: Record<string, { cpu: number; memory: number } | undefined> = {};
    try {
      stats = (await pidusage(pids)) as typeof stats;
    } catch {
      return; // a pid ended meanwhile: no figures this time
    }
    rows.forEach((r) => {
      const s = r.pid !== null ? stats[r.pid] : undefined;
      if (s) {
        r.cpu = Math.round(s.cpu * 10) / 10;
        r.memory = s.memory;
      }
    });
  };

  const shutdown = (code = 0): Promise<number> => {
    if (shuttingDown) return shuttingDown;
    exitCode = code;
    shuttingDown = (async () => {
      journal.add('tend', 'shutdown', 'stopping every service');
      sup.stop([...sup.store.values()]);
      const bound = spec.settings.shutdownTimeout;
      const quiet = await waitQuiet(sup, bound);
      if (!quiet) {
        say(`tend: services still running after shutdown_timeout (${bound}ms): killing them`);
        sup.killAll();
        await waitQuiet(sup, 2000);
      }
      await server?.close().catch(() => {});
      await Promise.all([...logs.values()].map((l) => l.close().catch(() => {})));
      reaper.stop();
      resolveDone(exitCode);
      return exitCode;
    })();
    return shuttingDown;
  };

  try {
    server = await createControlServer({
      path: spec.settings.socket,
      handle: makeHandler({
        sup,
        journal,
        now: () => Date.now(),
        usage,
        logs: {
          async tail(id, n) {
            const l = logs.get(id);
            return l ? l.tail(n).map((x) => lineData(id, x)) : [];
          },
          follow(id, fn) {
            const l = logs.get(id) ?? logFor(sup.store.get(id)!.inst);
            return l.subscribe((x) => fn(lineData(id, x)));
          },
        },
        reload: (dryRun) => reloader.reload(dryRun, 'tend reload'),
        shutdown: () => void shutdown(0),
        configProblem: () => reloader.problem(),
      }),
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
  } catch (e) {
    reaper.stop();
    const msg = e instanceof TendError ? e.message : (e as Error).message;
    say(`tend: ${msg}`);
    return 1;
  }

  mkdirSync(spec.settings.logDir, { recursive: true });
  journal.subscribe((e) => {
    if (e.what === 'state' && e.state) {
      const t = e.time.slice(11, 23);
      say(`${t} ${colorName(e.service, color)} ${colorState(e.state, color)} ${e.why.replace(/^\S+ -> \S+: /, '')}`);
    } else if (e.what === 'error' || e.what === 'log-error' || e.what === 'reload' || e.what === 'kill') {
      say(`${e.time.slice(11, 23)} ${colorName(e.service, color)} ${e.what}: ${e.why}`);
    }
  });

  const exitWith = spec.settings.exitWith;
  if (exitWith) {
    sup.onChange((i) => {
      if (i.inst.service !== spec.settings.exitWith || shuttingDown) return;
      if (i.state !== 'completed' && i.state !== 'failed') return;
      const last = i.exits[i.exits.length - 1]?.exit;
      const code = last ? exitCodeOf(last, signalNumber) : 1;
      journal.add('tend', 'exit-with', `${i.id} ended (${i.reason}): tend exits with ${code}`);
      void shutdown(code);
    });
  }

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
  sup.add(expandInstances(spec));
  if (spec.settings.watch) reloader.watch();
  const code = await done;
  reloader.close();
  return code;
}

function lineData(service: string, l: { time: number; stream: string; line: Buffer }) {
  return { time: new Date(l.time).toISOString(), service, stream: l.stream, line: l.line.toString('utf8') };
}

/** Resolves true when no service has a live process, false at the deadline. */
function waitQuiet(sup: Supervisor, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (sup.quiet()) return resolve(true);
    const off = sup.onChange(() => {
      if (sup.quiet()) {
        off();
        clearTimeout(t);
        resolve(true);
      }
    });
    const t = setTimeout(() => {
      off();
      resolve(sup.quiet());
    }, ms);
  });
}
