// The one way tend starts a process (services and exec probes): the addon's vfork/clone3 with
// the child's set-up in C (native/child.c), exits through spawn/children.ts.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { spawnProcess } from '../sys/addon.js';
import type { FenceRequest } from './fences.js';
import type { Stdio } from './stdio.js';

export { watchExit } from './children.js';

/** What to start, and how the child sets itself up before its exec. */
export interface LaunchOptions {
  /** argv[0] without a slash is searched in env.PATH, like execvp */
  argv: string[];
  /** the full environment of the child */
  env: Record<string, string>;
  cwd?: string;
  stdio: Stdio;
  /** born in (or joined to) this cgroup before anything else runs, so nothing it forks escapes */
  cgroup?: { procsFile: string; fresh: boolean };
  nofile?: number;
  umask?: number;
  uid?: number;
  gid?: number;
  /** the fences (spawn/fences.ts) */
  fences?: FenceRequest;
  /** root_dir: argv[0] is searched in PATH under it */
  root?: string;
  /** the command string argv was made of (commandArgv): a file that is no program runs under the shell */
  script?: string;
}

/** A start that failed: .code is an errno name ("ENOENT"), .step the set-up step that failed. */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly step: string,
  ) {
    super(message);
    this.name = 'LaunchError';
  }
}

/** The argv of a command string under the shell. */
export const shellArgv = (command: string): string[] => ['/bin/sh', '-c', command];

// Words the shell would take as they are: no quotes, expansions, globs, redirections, operators,
// comments or tildes. The first word must name a program: not an assignment, keyword or builtin.
const PLAIN_WORDS = /^[ \t]*[A-Za-z0-9_@%+=:,./-]+(?:[ \t]+[A-Za-z0-9_@%+=:,./-]+)*[ \t]*$/;
const SHELL_WORDS = new Set(
  (
    '! { } [ [[ . : alias bg break case cd command continue do done echo elif else esac eval exec exit export false fc fg ' +
    'fi for function getopts hash if in jobs kill let local printf pwd read readonly return select set shift source test ' +
    'then time times trap true type ulimit umask unalias unset until wait while'
  ).split(' '),
);

/**
 * The argv of a command: a list is exec'd directly; a string runs under /bin/sh -c. With
 * `direct` (services), a simple string (plain words naming a program found in direct.path, e.g.
 * `sleep 100`) is exec'd directly: what `sh -c 'exec sleep 100'` would run, without a shell
 * process in between (one fork less at each start, and signals reach the program).
 */
export function commandArgv(command: string | string[], direct?: { path?: string; root?: string }): string[] {
  if (typeof command !== 'string') return command;
  if (!direct || !PLAIN_WORDS.test(command)) return shellArgv(command);
  const words = command.trim().split(/[ \t]+/);
  const first = words[0]!;
  if (first.includes('=') || SHELL_WORDS.has(first)) return shellArgv(command);
  // not found: the shell says so (exit 127), as it always did
  return findInPath(first, direct.path, direct.root) === undefined ? shellArgv(command) : words;
}

/**
 * Where a command name without a slash is found in PATH, like execvp. Found paths are cached per
 * PATH (a later exec of a vanished one fails with ENOENT, as it should); misses are not, so a
 * program installed after a failed start is found at the next one.
 */
const pathCache = new Map<string, string>();
export function findInPath(file: string, path: string | undefined, root?: string): string | undefined {
  if (file.includes('/')) return file;
  const dirs = path ?? '/usr/local/bin:/usr/bin:/bin';
  const key = `${root ?? ''}\0${dirs}\0${file}`;
  const hit = pathCache.get(key);
  if (hit !== undefined) return hit;
  for (const dir of dirs.split(':')) {
    const p = join(dir || '.', file); // as the child sees it (after its chroot to root)
    const host = root ? join(root, p) : p;
    try {
      accessSync(host, constants.X_OK);
      if (!statSync(host).isFile()) continue;
    } catch {
      continue; // not here
    }
    if (pathCache.size > 1000) pathCache.clear();
    pathCache.set(key, p);
    return p;
  }
  return undefined;
}

/** What a failed exec says: `spawn ./app.sh: permission denied (EACCES)`, the errno's words and name. */
export function execFailed(argv0: string, code: string): string {
  return `spawn ${argv0}: ${ERRNO_WORDS[code] ?? systemWords(code)} (${code})`;
}

/** The usual exec failures, in the words that say what to do about them. */
const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'not found',
  EACCES: 'permission denied (not executable, or a folder on its path cannot be searched)',
  ENOEXEC: 'not a program this system can run',
};

/** The C library's words for an errno name ("ENOTDIR" -> "not a directory"). */
function systemWords(code: string): string {
  for (const [name, message] of getSystemErrorMap().values()) if (name === code) return message.toLowerCase();
  return 'failed';
}

/**
 * Starts a process in its own session and process group, with o.stdio's child ends as its fds.
 * Returns its pid once it has exec'd; throws a LaunchError (an exec failure said as node says
 * it: "spawn nosuch ENOENT"). The caller must watchExit(pid) in the same synchronous step.
 */
export function launch(o: LaunchOptions): number {
  const argv0 = o.argv[0] ?? '';
  if (argv0 === '') throw new LaunchError('spawn: empty command', 'EINVAL', 'exec');
  const file = findInPath(argv0, o.env.PATH, o.root);
  if (file === undefined) {
    // a root_dir that is not there: every name is missing in it, but the command is not the news
    if (o.root !== undefined && !existsSync(o.root)) {
      throw new LaunchError(`cannot chroot to ${o.root}: No such file or directory`, 'ENOENT', 'chroot');
    }
    throw new LaunchError(execFailed(argv0, 'ENOENT'), 'ENOENT', 'exec');
  }
  let pid: number;
  try {
    pid = spawnProcess({
      file,
      argv: o.argv,
      env: o.env,
      cwd: o.cwd,
      fds: o.stdio.fds,
      setsid: true,
      ctty: o.stdio.ctty,
      cgroupProcs: o.cgroup?.procsFile,
      cgroupFresh: o.cgroup?.fresh,
      nofile: o.nofile,
      umask: o.umask,
      uid: o.uid,
      gid: o.gid,
      ...o.fences,
    });
  } catch (e) {
    const x = e as Error & { code?: string; step?: string };
    // a script without #! exec'd directly: the shell runs it, as `sh -c` always did
    if (x.code === 'ENOEXEC' && x.step === 'exec' && o.script !== undefined && o.argv[0] !== '/bin/sh') {
      return launch({ ...o, argv: shellArgv(o.script) });
    }
    const code = x.code ?? 'ESPAWN';
    const step = x.step ?? 'start';
    throw new LaunchError(step === 'exec' && code !== 'ESPAWN' ? execFailed(argv0, code) : x.message, code, step);
  }
  o.stdio.started();
  return pid;
}
