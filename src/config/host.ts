// What a valid config may still get wrong about this machine, found before a spawn fails: a
// program that is not on PATH or not executable, a cwd that does not exist, an unknown user or
// group, a fence that needs root (host-fences.ts); and a start_timeout that cannot work as meant.
// These are warnings (the machine may change before `tend up`), each located in the file.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';
import type { ConfigProblem } from '../core/errors.js';
import type { ServiceSpec, Spec } from '../core/types.js';
import { formatLimit } from '../core/describe.js';
import { DEFAULT_PATH } from '../core/fences.js';
import { lookupGroup, lookupUser } from '../sys/users.js';
import { fenceWarnings, nofileWarning } from './host-fences.js';
import { formatPath, type PathSeg } from './locate.js';

/** Where a key path sits in the file (the Locator of the parse). */
export type At = (path: readonly PathSeg[], opts?: { key?: boolean }) => { line: number; col: number };

/** Shell words that are not programs looked up on PATH: keywords and builtins of sh. */
const SHELL_WORDS = new Set(
  (
    '! { } [ [[ ]] . : alias bg break case cd command continue do done elif else esac eval exec exit export false fc fg ' +
    'for function getopts hash if jobs kill local printf pwd read readonly return select set shift source test then ' +
    'time times trap true type ulimit umask unalias unset until wait while echo'
  ).split(' '),
);
const PLAIN_WORD = /^[A-Za-z0-9_./+@%,:-]+$/;

/**
 * The program a command runs, when tend can tell without running a shell: argv[0] of a list; for
 * a string, its first word when that word is plain (after an `exec`), else undefined.
 */
export function programOf(command: string | string[]): { program: string; index?: number } | undefined {
  if (Array.isArray(command)) return command[0] ? { program: command[0], index: 0 } : undefined;
  const words = command.trim().split(/[ \t]+/);
  let word = words[0];
  if (word === 'exec') word = words[1];
  if (word === undefined || !PLAIN_WORD.test(word) || SHELL_WORDS.has(word)) return undefined;
  return { program: word };
}

/**
 * Why `program` would not run (undefined: it would): looked up in `path` (a PATH value) unless it
 * holds a slash, then taken relative to `cwd`.
 */
export function whyNotRunnable(program: string, cwd: string, path: string | undefined, whose = ''): string | undefined {
  if (program.includes('/')) {
    const file = resolve(cwd, program);
    const why = notExecutable(file);
    return why && `program ${JSON.stringify(program)} ${why}`;
  }
  const dirs = (path ?? '').split(delimiter);
  let found: string | undefined;
  for (const d of dirs) {
    const file = resolve(cwd, d === '' ? '.' : d, program);
    const why = notExecutable(file);
    if (why === undefined) return undefined;
    if (why !== 'does not exist') found ??= `${file} ${why}`;
  }
  if (found) return `program ${JSON.stringify(program)}: ${found}`;
  return `program ${JSON.stringify(program)} is not found on ${whose}PATH${path === undefined ? ' (PATH is not set)' : ''}`;
}

function notExecutable(file: string): string | undefined {
  let st;
  try {
    st = statSync(file);
  } catch {
    return 'does not exist';
  }
  if (!st.isFile()) return 'is not a file';
  try {
    accessSync(file, constants.X_OK);
    return undefined;
  } catch {
    return 'is not executable';
  }
}

/** The warnings of `spec` on this machine, located with `at`; `env` is tend's environment, `uid` its user. */
export function hostWarnings(
  spec: Spec,
  at: At,
  env: NodeJS.ProcessEnv = process.env,
  uid = process.getuid?.() ?? 0,
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const warn = (path: PathSeg[], message: string): void => {
    const { line, col } = at(path);
    out.push({ file: spec.file, line, col, path: formatPath(path), message });
  };
  for (const svc of spec.services) {
    const base: PathSeg[] = ['services', svc.name];
    fenceWarnings(svc, warn, uid, spec.settings.notifySocket);
    const nofile = svc.limits.nofile === undefined ? undefined : nofileWarning(svc.limits.nofile);
    if (nofile) warn([...base, 'limits', 'nofile'], nofile);
    const slow = startTimeoutWarning(svc);
    if (slow) warn([...base, 'start_timeout'], slow);
    const late = readinessDelayWarning(svc);
    if (late) warn([...base, 'readiness', late.key], late.message);
    // cwd and programs are inside root_dir: not checked on the host
    if (svc.fences?.rootDir === undefined) programWarnings(svc, env, warn);
    if (svc.user !== undefined) {
      try {
        const u = lookupUser(svc.user);
        // (even its own: the launcher sets the user's groups, which only root may)
        if (uid !== 0) warn([...base, 'user'], `user needs root (to set uid ${u.uid} and its groups); tend runs as uid ${uid}`);
      } catch {
        warn([...base, 'user'], `user ${JSON.stringify(svc.user)} does not exist on this machine (not in /etc/passwd)`);
      }
    }
    if (svc.group !== undefined) {
      try {
        const g = lookupGroup(svc.group);
        if (uid !== 0) warn([...base, 'group'], `group needs root (to set gid ${g} and the groups); tend runs as uid ${uid}`);
      } catch {
        warn([...base, 'group'], `group ${JSON.stringify(svc.group)} does not exist on this machine (not in /etc/group)`);
      }
    }
  }
  return out;
}

/**
 * Why `start_timeout` cannot do what it is there for, or undefined: without readiness a service
 * is running at once; and when `burst` runs of it do not fit in `start_limit.interval`, the start
 * limit never ends a service that never gets ready (it is restarted forever, as systemd's
 * TimeoutStartSec= past StartLimitIntervalSec= is).
 */
export function startTimeoutWarning(svc: ServiceSpec): string | undefined {
  const t = svc.startTimeout;
  if (t === undefined) return undefined;
  if (!svc.readiness) return 'start_timeout does nothing without readiness: the service is running as soon as it is spawned';
  const { burst, interval } = svc.startLimit;
  if (svc.restart === 'never' || burst * t < interval) return undefined;
  return (
    `${burst} starts of ${formatLimit(t)} (start_timeout) do not fit in start_limit.interval ${formatLimit(interval)}: ` +
    `a service that never gets ready is restarted forever; set start_limit.interval above ${formatLimit(burst * t)}, ` +
    'with room for the stops and the backoff'
  );
}

/**
 * Why a readiness probe cannot pass within `start_timeout`, or undefined: its `initial_delay` is
 * not before the bound (no run before it: never ready, a failed start each time), or the delay
 * and one run (its `timeout`) end past it (a slow run that would pass ends too late). Exec, tcp
 * and http only: `log`, `fd` and `notify` have no initial_delay.
 */
export function readinessDelayWarning(svc: ServiceSpec): { key: 'initial_delay' | 'timeout'; message: string } | undefined {
  const t = svc.startTimeout;
  const probe = svc.readiness;
  if (t === undefined || !probe || !['exec', 'tcp', 'http'].includes(probe.check.kind)) return undefined;
  const { initialDelay, timeout } = probe;
  if (initialDelay >= t) {
    const message =
      `readiness.initial_delay ${formatLimit(initialDelay)} is not before start_timeout ${formatLimit(t)}: ` +
      'the probe never runs before the bound, so every start fails; make initial_delay shorter or start_timeout longer';
    return { key: 'initial_delay', message };
  }
  if (initialDelay + timeout <= t) return undefined;
  const what =
    initialDelay > 0
      ? `readiness.initial_delay ${formatLimit(initialDelay)} and one run of the probe (timeout ${formatLimit(timeout)}) take ${formatLimit(initialDelay + timeout)}`
      : `one run of the readiness probe takes up to its timeout ${formatLimit(timeout)}`;
  const message = `${what}, past start_timeout ${formatLimit(t)}: a first run that needs its timeout ends after the bound`;
  return { key: initialDelay > 0 ? 'initial_delay' : 'timeout', message };
}

/** A command, readiness and liveness exec programs that would not run, and a missing cwd. */
function programWarnings(svc: ServiceSpec, env: NodeJS.ProcessEnv, warn: (path: PathSeg[], message: string) => void): void {
  const base: PathSeg[] = ['services', svc.name];
  const cwdOk = checkCwd(svc, (m) => warn([...base, 'cwd'], m));
  const own = Object.hasOwn(svc.env, 'PATH');
  // a clean_env service gets DEFAULT_PATH; its probes run with tend's environment
  const commands: [string | string[], PathSeg[], string | undefined][] = [
    [svc.command, [...base, 'command'], own ? svc.env.PATH : svc.fences?.cleanEnv ? DEFAULT_PATH : env.PATH],
  ];
  for (const which of ['readiness', 'liveness'] as const) {
    const check = svc[which]?.check;
    if (check?.kind === 'exec') commands.push([check.command, [...base, which, 'exec'], own ? svc.env.PATH : env.PATH]);
  }
  for (const [command, where, path] of commands) {
    const p = programOf(command);
    // a relative program is found from cwd: when cwd is missing, that warning says it all
    if (!p || (!cwdOk && (p.program.includes('/') || path?.split(delimiter).some((d) => !d.startsWith('/'))))) continue;
    const why = whyNotRunnable(p.program, svc.cwd, path, own ? "the service's " : '');
    if (why) warn(p.index === undefined ? where : [...where, p.index], why);
  }
}

function checkCwd(svc: ServiceSpec, warn: (message: string) => void): boolean {
  try {
    if (statSync(svc.cwd).isDirectory()) return true;
    warn(`cwd ${svc.cwd} is not a directory`);
  } catch {
    warn(`cwd ${svc.cwd} does not exist`);
  }
  return false;
}
