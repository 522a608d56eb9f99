// tty services: run a process under a pseudo-terminal with node-pty. node-pty is a native
// module, loaded on first use, so a daemon without tty services never pays for it.
import { accessSync, constants as fsConstants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import type * as NodePty from 'node-pty';
import type { Exit } from '../core/types.js';
import type { ProcessHandle, SpawnHooks } from '../core/spawner.js';
import { signalName } from '../core/signals.js';

/** How to run a tty process. A pty is 80x24 unless told otherwise. */
export interface PtyOptions {
  cwd: string;
  env: Record<string, string>;
  cols?: number;
  rows?: number;
  uid?: number;
  gid?: number;
}

type PtyModule = typeof NodePty;

let loaded: { mod?: PtyModule; error?: string } | undefined;

/** Loads node-pty once; returns why it cannot be loaded, or undefined when it can. */
export function ptyUnavailable(): string | undefined {
  return loadPty().error;
}

function loadPty(): { mod?: PtyModule; error?: string } {
  if (loaded) return loaded;
  try {
    const require = createRequire(import.meta.url);
    loaded = { mod: require('node-pty') as PtyModule };
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    loaded = { error: `node-pty cannot be loaded (run "npm rebuild node-pty"): ${why}` };
  }
  return loaded;
}

/** Starts `file args` on a new pty (the child is a session leader: its pid is its process
 *  group). Output goes to hooks.output as 'stdout'; a pty merges stdout and stderr. A failure to
 *  start is reported through hooks.exit (asynchronously) and returns undefined. */
export function spawnPty(file: string, args: string[], opts: PtyOptions, hooks: SpawnHooks): ProcessHandle | undefined {
  let exited = false;
  let resolveExit!: () => void;
  const exitDone = new Promise<void>((r) => (resolveExit = r));
  const reportExit = (exit: Exit): void => {
    if (exited) return;
    exited = true;
    resolveExit();
    hooks.output.end();
    hooks.exit(exit);
  };
  const failLater = (message: string): undefined => {
    exited = true;
    queueMicrotask(() => hooks.exit({ kind: 'spawn-error', message }));
    return undefined;
  };

  const { mod, error } = loadPty();
  if (!mod) return failLater(error ?? 'node-pty cannot be loaded');
  if ((opts.uid === undefined) !== (opts.gid === undefined)) {
    return failLater(`spawn ${file}: a tty service needs both uid and gid (got uid ${opts.uid}, gid ${opts.gid})`);
  }
  const missing = findMissing(file, opts);
  if (missing) return failLater(missing);

  // node-pty's setuid keeps the daemon's supplementary groups; setpriv clears them.
  let [runFile, runArgs] = [file, args];
  let ids: { uid?: number; gid?: number } = { uid: opts.uid, gid: opts.gid };
  if (opts.uid !== undefined && opts.gid !== undefined && existsSync(SETPRIV)) {
    runArgs = [`--reuid=${opts.uid}`, `--regid=${opts.gid}`, '--clear-groups', '--', file, ...args];
    runFile = SETPRIV;
    ids = {};
  }

  let term: NodePty.IPty;
  try {
    term = mod.spawn(runFile, runArgs, {
      name: opts.env.TERM ?? 'xterm',
      cols: opts.cols ?? 80,
      rows: opts.rows ?? 24,
      cwd: opts.cwd,
      env: opts.env,
      encoding: null, // Buffers: output passes through byte for byte
      ...ids,
    });
  } catch (err) {
    return failLater(`spawn ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const pid = term.pid;
  // node-pty throws from its socket's error handler unless someone else listens
  (term as unknown as { on(ev: 'error', cb: (e: Error) => void): void }).on('error', () => {});

  let paused = false;
  const onData = term.onData as unknown as NodePty.IEvent<Buffer | string>;
  onData((data) => {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    if (!hooks.output.write('stdout', chunk) && !paused) {
      paused = true;
      term.pause();
      hooks.output.onDrain(() => {
        paused = false;
        if (!exited) term.resume();
      });
    }
  });
  term.onExit(({ exitCode, signal }) => {
    const name = signal ? (signalName(signal) ?? `signal ${signal}`) : undefined;
    reportExit(name ? { kind: 'signaled', signal: name } : { kind: 'exited', code: exitCode });
  });

  return {
    pid,
    pids: () => (processGroupAlive(pid) ? [pid] : []),
    signal(sig: string): void {
      if (exited) return; // the pid is reaped and may be reused
      ignoreEsrch(() => process.kill(pid, sig));
    },
    signalAll(sig: string): void {
      ignoreEsrch(() => process.kill(-pid, sig));
    },
    alive(): boolean {
      return !exited || processGroupAlive(pid);
    },
    async drained(): Promise<void> {
      await exitDone;
      let wait = 50;
      while (processGroupAlive(pid)) {
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 500);
      }
    },
  };
}

const SETPRIV = '/usr/bin/setpriv';

/** True while a process group has a member that is not a zombie. Cheap when the group is gone
 *  (one kill(2)); reads /proc only when members are left, to tell live ones from unreaped ones. */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // ended meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parens, so split after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** A command that cannot be found on PATH, said like node says it ("spawn nosuch ENOENT"). */
function findMissing(file: string, opts: PtyOptions): string | undefined {
  const dirs = file.includes('/') ? [''] : (opts.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter);
  for (const dir of dirs) {
    const full = dir === '' ? join(opts.cwd, file) : join(dir, file);
    try {
      accessSync(file.startsWith('/') ? file : full, fsConstants.X_OK);
      return undefined;
    } catch {
      // try the next
    }
  }
  return `spawn ${file} ENOENT`;
}

function ignoreEsrch(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH' && code !== 'EPERM') throw err;
  }
}
