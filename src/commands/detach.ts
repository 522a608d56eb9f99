// Starting tend's daemon in the background, for `tend up -d` and for `tend run NAME -- CMD` where
// none runs: `tend up` itself (the same program, the same node flags), in a session of its own,
// stdin from /dev/null, stdout and stderr to log_dir/tend.out (its state lines, warnings, a
// crash); then waiting until its socket answers, or it has exited (its last lines say why).
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Client } from '../control/client.js';
import { formatLimit } from '../core/describe.js';
import { TendError } from '../core/errors.js';

/**
 * The variable that tells a `tend up` it was started in the background: `config` (`tend up -d`)
 * or `bare` (no config: `tend run NAME -- CMD`). The daemon reads it and takes it out of its
 * environment before a service could inherit it.
 */
export const DETACHED_VAR = 'TEND_DETACHED';

/** How a background `tend up` was started. */
export type DetachedMode = 'config' | 'bare';

/** Reads (and removes) DETACHED_VAR: how this `tend up` was started, undefined in the foreground. */
export function takeDetachedMode(env: NodeJS.ProcessEnv = process.env): DetachedMode | undefined {
  const v = env[DETACHED_VAR];
  delete env[DETACHED_VAR];
  return v === 'config' || v === 'bare' ? v : undefined;
}

/**
 * The descriptor on which `tend up -d` hands its daemon the parse of the config it checked
 * (config/on-demand.ts parseHandoff), so that the daemon need not parse the file again: a pipe
 * (a socket pair, as node makes them), read to its end at start-up, then closed (no service
 * inherits it).
 */
export const HANDOFF_FD = 3;

/** The daemon's side: what its `tend up -d` wrote on HANDOFF_FD, or undefined when there is nothing to read there. */
export function readHandoff(): Buffer | undefined {
  try {
    const st = fstatSync(HANDOFF_FD);
    if (!st.isFIFO() && !st.isSocket()) return undefined; // node's stdio pipes are socket pairs
    return readFileSync(HANDOFF_FD);
  } catch {
    return undefined;
  } finally {
    try {
      closeSync(HANDOFF_FD);
    } catch {
      // not open
    }
  }
}

/** Where a bare daemon of `dir` writes its own output: the default log_dir (config/build.ts DEFAULTS.logDir), tend.out. */
export function bareOutFile(dir: string): string {
  return resolve(dir, '.tend/logs', OUT_FILE);
}

/** The file in log_dir that a background daemon's stdout and stderr go to. */
export const OUT_FILE = 'tend.out';

/** What was started: its pid, and a connection to its socket. */
export interface Detached {
  pid: number;
  client: Client;
  /** how it ended ("exit code 1"), once it has; undefined while it runs */
  ended(): string | undefined;
  /** its exit code once it has exited (null: killed by a signal, or it could not be run); undefined while it runs */
  code(): number | null | undefined;
  /** where its stdout and stderr go: log_dir/tend.out, or, when that cannot be written, a file in the temp dir */
  out: string;
  /** why log_dir/tend.out could not be written (an unwritable log_dir stops no service) */
  outError?: string;
}

/** What to start and where it will answer. */
export interface DetachOptions {
  /** the words after `tend` (`up -c FILE --socket PATH`) */
  args: string[];
  mode: DetachedMode;
  /** its stdout and stderr (made anew) */
  out: string;
  socket: string;
  connect(path: string): Promise<Client>;
  /** how long it may take to answer (default 60 s: a loaded machine, a large config) */
  timeoutMs?: number;
  /** written to its HANDOFF_FD: the parse of its config (`tend up -d`) */
  handoff?: Uint8Array;
}

/** Its last lines, for the error that says why it did not come up. */
function lastLines(file: string, n = 20): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** Why: both callers start the same daemon the same way. Throws TendError('start_failed') with its last words. */
export async function startDetached(o: DetachOptions): Promise<Detached> {
  const { spawn } = await import('node:child_process');
  let fd: number;
  let out = o.out;
  let outError: string | undefined;
  try {
    mkdirSync(dirname(out), { recursive: true });
    fd = openSync(out, 'w', 0o600);
  } catch (e) {
    // a read-only or full log_dir: the daemon runs all the same (it says so of the service
    // logs too), as a foreground tend up does; its own output goes to a folder of its own in
    // the temp dir, so that a start that fails can still be told with its last words
    outError = (e as Error).message;
    out = join(mkdtempSync(join(tmpdir(), 'tend-out-')), OUT_FILE);
    fd = openSync(out, 'w', 0o600);
  }
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...o.args], {
      detached: true,
      stdio: o.handoff ? ['ignore', fd, fd, 'pipe'] : ['ignore', fd, fd],
      env: { ...process.env, [DETACHED_VAR]: o.mode },
    });
  } finally {
    closeSync(fd);
  }
  const pipe = child.stdio[HANDOFF_FD];
  if (o.handoff && pipe && 'end' in pipe) {
    // a daemon that exits before it has read it all (a bad addon) closes the pipe: EPIPE, told by its exit
    pipe.on('error', () => {});
    pipe.end(o.handoff);
  }
  let ended: string | undefined;
  let exitCode: number | null | undefined;
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    ended = code !== null ? `exit code ${code}` : `killed by ${signal}`;
    exitCode = code;
  };
  const onError = (e: Error): void => {
    ended = e.message;
    exitCode = null;
  };
  child.on('exit', onExit);
  child.on('error', onError);
  const timeoutMs = o.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let done = false;
  try {
    for (;;) {
      if (ended !== undefined) {
        const said = lastLines(out);
        throw new TendError(
          'start_failed',
          `the daemon exited while starting (${ended})${said ? `:\n${said}` : `; nothing in ${out}`}`,
        );
      }
      try {
        const client = await o.connect(o.socket);
        done = true; // the exit listener stays: a later failure of its start-up is told by it
        return { pid: child.pid!, client, ended: () => ended, code: () => exitCode, out, ...(outError ? { outError } : {}) };
      } catch (e) {
        if (!(e instanceof TendError) || e.code !== 'no_daemon') throw e;
      }
      if (Date.now() > deadline) {
        throw new TendError(
          'start_failed',
          `the daemon (pid ${child.pid}) did not answer on ${o.socket} within ${formatLimit(timeoutMs)}; see ${out}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    if (!done) {
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.unref();
  }
}

/**
 * A connection lost while waiting on a daemon just started: when that daemon has exited (within a
 * few seconds), the error that says so with its last words; else undefined (report the loss itself).
 */
export async function exitedWhileStarting(d: Detached): Promise<TendError | undefined> {
  const out = d.out;
  if (!(await untilEnded(d, 5000))) return undefined;
  const said = lastLines(out);
  return new TendError(
    'start_failed',
    `the daemon exited while starting (${d.ended()})${said ? `:\n${said}` : `; nothing in ${out}`}`,
  );
}

/** Whether the daemon `d` has exited within `ms` (looked at every 50 ms: its exit event sets it). */
export async function untilEnded(d: Detached, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (d.ended() === undefined) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
