// The Spawner of real processes: each service in its own session and process group, optionally
// inside its own cgroup, started by the launcher (pipes, or a pty for tty services).
import type { ExitStatus } from '../sys/addon.js';
import type { ProcessHandle, SpawnHooks, SpawnOptions, Spawner } from '../core/spawner.js';
import type { Exit, InstanceSpec, ServiceSpec } from '../core/types.js';
import type { ServiceCgroup } from '../cgroup/service.js';
import type { NotifySocket } from './notify-socket.js';
import { initPath } from '../sys/addon.js';
import { exeOf, killQuiet, pidAlive } from '../sys/proc.js';
import { lookupGroup, lookupUser, type UserInfo } from '../sys/users.js';
import { cgroupContainment, processGroup } from './containment.js';
import { cleanEnv, prepareFences, type PreparedFences } from './fences.js';
import { commandArgv, launch, watchExit } from './launcher.js';
import { openPipes, openPty, type Stdio } from './stdio.js';

export interface ProcessSpawnerOptions {
  /** the cgroup of an instance (created empty), or undefined to use its process group */
  cgroupFor?(inst: InstanceSpec): ServiceCgroup | undefined;
  /** the daemon's notify socket, for services with `readiness: notify` or `watchdog:` */
  notifySocket?(): NotifySocket;
}

/** Who the service runs as: its environment with HOME/USER/LOGNAME, and the ids to switch to. */
interface RunAs {
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

let self: UserInfo | undefined;
/** tend's own user, looked up once: whose HOME a clean_env service without `user:` gets. */
function ownUser(): UserInfo {
  self ??= lookupUser(process.getuid?.() ?? 0);
  return self;
}

/**
 * `user:` and `group:` of a spec looked up (throws when unknown); a tty gets a TERM. With
 * clean_env, only what cleanEnv keeps of `base`, and HOME/USER/LOGNAME of its user (or tend's).
 */
function resolveUser(spec: ServiceSpec, base: Record<string, string>): RunAs {
  const clean = spec.fences?.cleanEnv === true;
  const env: Record<string, string> = clean ? cleanEnv(spec, base) : spec.tty ? { TERM: 'xterm', ...base } : { ...base };
  let uid: number | undefined;
  let gid: number | undefined;
  const u = spec.user !== undefined ? lookupUser(spec.user) : clean ? ownUser() : undefined;
  if (u) {
    if (spec.user !== undefined) {
      uid = u.uid;
      gid = u.gid;
    }
    env.HOME = u.home;
    env.USER = env.LOGNAME = u.name;
  }
  if (spec.group !== undefined) gid = lookupGroup(spec.group);
  return { env, uid, gid };
}

/** A tty service gets a pty; else pipes, with the readiness fd when its probe is `fd:`. */
function openStdio(spec: ServiceSpec): Stdio {
  if (spec.tty) return openPty();
  return openPipes(spec.readiness?.check.kind === 'fd' ? spec.readiness.check.fd : undefined);
}

/** A service that talks sd_notify(3): it gets NOTIFY_SOCKET (and WATCHDOG_USEC). */
function usesNotify(spec: ServiceSpec): boolean {
  return spec.readiness?.check.kind === 'notify' || spec.watchdog !== undefined;
}

function exitOf(s: ExitStatus): Exit {
  return s.signal ? { kind: 'signaled', signal: s.signal } : { kind: 'exited', code: s.code ?? 0 };
}

export class ProcessSpawner implements Spawner {
  constructor(private readonly opts: ProcessSpawnerOptions = {}) {}

  /** resolve user -> cgroup -> open stdio -> launch -> attach output -> watch exit. */
  spawn(inst: InstanceSpec, o: SpawnOptions, hooks: SpawnHooks): ProcessHandle | undefined {
    const spec = inst.spec;
    let stdio: Stdio | undefined;
    let fences: PreparedFences | undefined;
    try {
      const as = resolveUser(spec, o.env);
      const sock = usesNotify(spec) ? this.opts.notifySocket?.() : undefined;
      if (sock) {
        sock.open(); // a socket that cannot be bound is this start's failure
        as.env.NOTIFY_SOCKET = sock.address;
        if (spec.watchdog !== undefined) as.env.WATCHDOG_USEC = String(spec.watchdog * 1000);
      }
      const cg = this.opts.cgroupFor?.(inst);
      fences = prepareFences(inst);
      stdio = openStdio(spec);
      const pid = launch({
        argv: commandArgv(spec.command, { path: as.env.PATH, root: fences?.root }),
        script: typeof spec.command === 'string' ? spec.command : undefined,
        env: as.env,
        cwd: spec.cwd,
        stdio,
        cgroup: cg,
        nofile: spec.limits.nofile,
        umask: spec.umask,
        uid: as.uid,
        gid: as.gid,
        fences: fences?.request,
        root: fences?.root,
      });
      const notify = hooks.notify;
      stdio.attach(hooks.output, notify && (() => notify({ READY: '1' })));
      const off = sock && notify ? sock.register(pid, cg?.path, notify, fences?.request.pidns === true) : undefined;
      return this.watch(pid, cg, hooks, fences, off);
    } catch (err) {
      stdio?.close();
      fences?.cleanup();
      const message = (err as Error).message;
      queueMicrotask(() => hooks.exit({ kind: 'spawn-error', message }));
      return undefined;
    }
  }

  /**
   * The handle of a started process; its exit comes from the reaper (spawn/children.ts). Its
   * private /tmp goes once nothing of it is left.
   */
  private watch(
    pid: number,
    cg: ServiceCgroup | undefined,
    hooks: SpawnHooks,
    fences?: PreparedFences,
    unregister?: () => void,
  ): ProcessHandle {
    let gone = false;
    let left: number[] | undefined; // what the main process left behind in its cgroup
    // pid 1 of its own pid namespace is tend-init (native/init.c), unless the addon could not
    // exec it; the child has exec'd by the time spawn returns, so its program tells
    const init = fences?.request.pidns === true && runsInit(pid);
    watchExit(pid, (status) => {
      gone = true;
      unregister?.();
      if (cg) left = cg.pids();
      if (fences) {
        if (left?.length) void drainedThen(left, () => fences.cleanup());
        else fences.cleanup();
      }
      hooks.exit(exitOf(status));
    });
    return {
      pid,
      signal(sig) {
        if (!gone) killQuiet(pid, sig); // after the exit the pid may be someone else's
      },
      ...(cg ? cgroupContainment(cg, () => left, init ? pid : undefined) : processGroup(pid, init)),
    };
  }
}

/** Whether pid runs tend-init: this build's, or one a rebuild has replaced since (an adopted service). */
function runsInit(pid: number): boolean {
  const exe = exeOf(pid);
  return exe === initPath || exe === `${initPath} (deleted)`;
}

/** Calls done once every pid of `pids` is gone (a short poll: only for leftovers of a fenced service). */
function drainedThen(pids: number[], done: () => void): void {
  const tick = (): void => {
    if (!pids.some((p) => pidAlive(p))) done();
    else setTimeout(tick, 100).unref();
  };
  tick();
}

/**
 * A handle on a live process of an earlier daemon, found in its cgroup (adoption). Its
 * NOTIFY_SOCKET is the same address (derived from the control socket, or settings.notify_socket).
 */
export function adoptedHandle(cg: ServiceCgroup, pid: number, notifySocket?: () => NotifySocket): ProcessHandle {
  const init = runsInit(pid); // a private_pids service's tend-init: its own pid namespace
  return {
    pid,
    signal: (sig) => killQuiet(pid, sig),
    // not our session leader: the cgroup only; tend-init (a private_pids service) by its name
    ...cgroupContainment(cg, undefined, init ? pid : undefined),
    listen(notify) {
      const sock = notifySocket?.();
      if (!sock) return () => {};
      try {
        sock.open();
      } catch {
        return () => {}; // the socket cannot be bound: its messages are lost, as a fresh spawn would fail
      }
      return sock.register(pid, cg.path, notify, init);
    },
  };
}
