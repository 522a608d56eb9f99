// tend under systemd (a `Type=notify` unit, examples/tend.service), and the notify socket tend
// owns for its own services. Both speak sd_notify(3); see the README's "Running many copies under
// a scheduler".
import { createHash } from 'node:crypto';
import type { Journal } from '../core/journal.js';
import type { Instance } from '../core/instance.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import { NotifySocket } from '../spawn/notify-socket.js';
import { sendNotify } from '../sys/addon.js';
import { heldByApproval, waitable } from '../commands/wait.js';
import { settleLeft } from '../core/instance.js';

/** What tend's own service manager gave it: where to notify, and its watchdog. */
export interface Manager {
  socket: string;
  /** microseconds; undefined: no watchdog */
  watchdogUsec?: number;
}

/**
 * Takes NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID out of `env` (the services' base
 * environment: they are tend's, not theirs) and returns them as tend's Manager, if it has one.
 */
export function takeManagerEnv(env: Record<string, string>): Manager | undefined {
  const socket = env.NOTIFY_SOCKET;
  const usec = Number(env.WATCHDOG_USEC);
  const pid = env.WATCHDOG_PID;
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (!socket) return undefined;
  const mine = pid === undefined || Number(pid) === process.pid;
  return { socket, watchdogUsec: mine && Number.isInteger(usec) && usec > 0 ? usec : undefined };
}

/** The services' notify socket address when settings.notify_socket is not set: abstract, one per control socket. */
export function defaultNotifyAddress(controlSocket: string): string {
  return `@tend-${createHash('sha256').update(controlSocket).digest('hex').slice(0, 16)}/notify`;
}

/** The services' notify socket, made (and bound, by the spawner) on first use. */
export function serviceNotify(
  address: () => string,
  journal: Journal,
): { get(): NotifySocket; dropped(): Record<string, number>; close(): void } {
  let sock: NotifySocket | undefined;
  return {
    get() {
      sock ??= new NotifySocket(address(), (reason, m) => journal.add('tend', 'notify-dropped', `${m} [${reason}]`));
      return sock;
    },
    dropped: () => ({ ...(sock?.dropped ?? { foreign: 0, too_large: 0 }) }),
    close: () => sock?.close(),
  };
}

/** Counts by state, as STATUS= says them: "3 running, 1 completed, 1 backoff". */
export function stateCounts(store: ReadonlyMap<string, Instance>): string {
  const n = new Map<string, number>();
  for (const i of store.values()) n.set(i.state, (n.get(i.state) ?? 0) + 1);
  return [...n].map(([s, k]) => `${k} ${s}`).join(', ') || 'no services';
}

/**
 * Every instance `tend up -d` waits for (commands/wait.ts) got where it was going: none pending or
 * starting, and one running without a readiness probe has run SETTLE_MS (a command that dies at
 * once is not counted up). Unlike `tend wait`, one in backoff does not hold READY=1 back: a
 * service that crash-loops without a start limit would keep `systemctl start` waiting until
 * systemd's timeout, which stops tend. Else false, or the ms until one settles.
 */
function started(store: ReadonlyMap<string, Instance>, now: number): true | false | number {
  const targets = [...store.values()].filter(waitable);
  const held = heldByApproval(store, targets);
  let due: number | undefined;
  for (const i of targets) {
    if (held.has(i.id)) continue;
    if (i.state === 'pending' || i.state === 'starting') return false;
    const left = settleLeft(i, now);
    if (left !== undefined) due = due === undefined ? left : Math.min(due, left);
  }
  return due ?? true;
}

/** The watchdog is pinged at half its interval, but never more often than this. */
const MIN_PING_MS = 20;

/** STATUS= at most this often (a wave of 500 starts is one message). */
const STATUS_EVERY_MS = 1000;

/**
 * Tells tend's manager READY=1 once every autostart service has started (with STATUS= counts),
 * then STATUS= on changes; pings its watchdog at half its interval. Call after the services are
 * added; `stopping()` at shutdown (STOPPING=1).
 */
export function startManagerNotify(m: Manager, sup: Supervisor, journal: Journal): { stopping(): void; close(): void } {
  let failed = false;
  const send = (text: string): void => {
    try {
      sendNotify(m.socket, text);
    } catch (e) {
      if (!failed) journal.add('tend', 'error', `cannot notify the service manager at ${m.socket}: ${(e as Error).message}`);
      failed = true;
    }
  };
  let ready = false;
  let timer: NodeJS.Timeout | undefined;
  const status = (): void => {
    timer = undefined;
    send(`STATUS=${stateCounts(sup.store)}`);
  };
  let settle: NodeJS.Timeout | undefined;
  const check = (): void => {
    const up = started(sup.store, Date.now());
    if (!ready && typeof up === 'number') {
      // a service still settling: look again once it has run SETTLE_MS
      clearTimeout(settle);
      settle = setTimeout(check, Math.max(1, up)).unref();
    }
    if (!ready && up === true) {
      ready = true;
      send(`READY=1\nSTATUS=${stateCounts(sup.store)}`);
      journal.add('tend', 'notify', `READY=1 sent to the service manager (${m.socket})`);
      return;
    }
    if (ready && !timer) timer = setTimeout(status, STATUS_EVERY_MS).unref();
  };
  const off = sup.onChange(check);
  queueMicrotask(check);
  const dog =
    m.watchdogUsec !== undefined
      ? setInterval(() => send('WATCHDOG=1'), Math.max(MIN_PING_MS, m.watchdogUsec / 2000)).unref()
      : undefined;
  return {
    stopping() {
      send(`STOPPING=1\nSTATUS=stopping every service`);
    },
    close() {
      off();
      clearTimeout(settle);
      clearTimeout(timer);
      clearInterval(dog);
    },
  };
}
