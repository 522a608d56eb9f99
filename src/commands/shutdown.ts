// `tend shutdown`: stop every service (reverse dependency order); the daemon exits. The client
// waits until it has: the daemon closes its connections only once every service is stopped, and
// its pid goes away right after.
import { readFileSync, readlinkSync } from 'node:fs';
import type { Client } from '../control/client.js';
import { formatLimit } from '../core/describe.js';
import { TendError } from '../core/errors.js';
import { stillRunning } from '../core/stopping-words.js';
import { bool, optional, shape, timerMs } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG } from './flags.js';
import { list } from './lifecycle.js';
import { parseTimeout } from './parse.js';

/** The request: wait or not (the client's business; the daemon answers at once either way). */
export interface ShutdownArgs {
  /** false: return once the daemon took the request */
  wait?: boolean;
  /** milliseconds to wait for the daemon's exit (default: its shutdown_timeout + 10 s) */
  timeout?: number;
}

/** Its reply. */
export interface ShutdownReply {
  shutting_down: true;
  /** the daemon's pid */
  pid: number;
  /** the instances that had a process when shutdown began */
  stopping: string[];
  /** the daemon's settings.shutdown_timeout in ms, when it tells it */
  timeout_ms: number | null;
  /** the daemon's pid namespace (`pid:[4026531836]`): its pid means that process only in the same one */
  pid_ns?: string;
  /** filled by the client: the daemon has exited (false with --no-wait) */
  exited?: boolean;
}

/** How long past the daemon's own bound the client waits: closing logs and the socket, exiting. */
const MARGIN_MS = 10_000;
/** The bound when the daemon does not say (the default shutdown_timeout). */
const DEFAULT_BOUND_MS = 30_000;

/** `tend shutdown`. */
export const shutdown: SocketCommand<'shutdown', ShutdownArgs, ShutdownReply> = {
  name: 'shutdown',
  summary: 'stop every service; wait until the daemon has exited',
  args: [],
  flags: [
    {
      name: 'timeout',
      value: { label: 'D', kind: 'duration' },
      help: "give up waiting after D (default: the config's shutdown_timeout + 10s)",
    },
    { name: 'no-wait', help: 'return at once instead of waiting for the daemon to exit' },
    JSON_FLAG,
    ...FIND_DAEMON,
  ],
  examples: ['shutdown', 'shutdown --no-wait'],
  notes: 'Prints what it stopped once the daemon has exited (exit 1 when it is still there at the deadline).',
  schema: shape<ShutdownArgs>({ wait: optional(bool), timeout: optional(timerMs) }),
  request(p) {
    const t = p.flags.timeout;
    return { wait: !p.flags['no-wait'], timeout: typeof t === 'string' ? parseTimeout(t) : undefined };
  },
  interrupted: (args) => (args.wait === false ? undefined : 'stopped waiting; the daemon goes on shutting down'),
  async settle(r, args, client) {
    if (args.wait === false) return { ...r, exited: false };
    const bound = args.timeout ?? (r.timeout_ms ?? DEFAULT_BOUND_MS) + MARGIN_MS;
    // a daemon in another pid namespace (PID 1 of a container, asked from the host): its pid is
    // another process here (the host's init: it waited for it to the deadline); the close says it
    const pid = r.pid_ns !== undefined && r.pid_ns !== pidNamespace() ? undefined : r.pid;
    if (!(await daemonGone(client, pid, bound))) {
      throw new TendError('timeout', `timed out after ${formatLimit(bound)} waiting for tend (pid ${r.pid}) to exit`);
    }
    return { ...r, exited: true };
  },
  print(r, io) {
    if (!r.exited) {
      io.out(
        `shutting down: stopping ${r.stopping.length ? list(r.stopping) : 'nothing (no service runs)'} (tend pid ${r.pid})\n`,
      );
      return;
    }
    io.out(r.stopping.length ? `stopped ${list(r.stopping)}\n` : 'no service was running\n');
    io.out(`tend exited (pid ${r.pid})\n`);
  },
  async handle(_args, d) {
    const stopping = stillRunning(d.sup.store.values()).map((i) => i.id);
    setImmediate(() => d.shutdown());
    const ns = pidNamespace();
    return {
      shutting_down: true,
      pid: process.pid,
      stopping,
      timeout_ms: d.shutdownTimeoutMs?.() ?? null,
      ...(ns ? { pid_ns: ns } : {}),
    };
  },
};

/**
 * Waits until the daemon is gone: its side of `client`'s connection closes (it closes them once
 * every service is stopped), then its pid ends (a zombie counts as ended). False at the deadline.
 */
export async function daemonGone(client: Client, pid: number | undefined, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  const closed = new Promise<boolean>((resolve) => {
    if (client.closed) return resolve(true);
    client.onClose(() => resolve(true));
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const ok = await Promise.race([closed, late]);
  clearTimeout(timer);
  if (!ok) return false;
  while (pid !== undefined && pidRuns(pid)) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** This process's pid namespace, as /proc/self/ns/pid names it (undefined without /proc). */
function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a process that has not ended (not a zombie). */
export function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}
