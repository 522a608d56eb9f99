// The daemon's one notify socket (systemd's NOTIFY_SOCKET, sd_notify(3)): services with
// `readiness: notify` or `watchdog:` get its address. Each datagram carries the kernel-checked
// pid of its sender (SCM_CREDENTIALS), and is handed to the run that pid belongs to:
//   1. the run's main pid, or a pid it named with MAINPID=;
//   2. else a process in the run's cgroup (systemd-notify is a child of the service: NotifyAccess=all);
//   3. else (no cgroups) a descendant of one of those pids, by the ppid chain of /proc.
// Anything else, and a message over 4 KiB, is dropped and counted (README "Running many copies
// under a scheduler").
import { chmodSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { NOTIFY_MAX_BYTES, openNotify, type NotifyDatagram } from '../sys/addon.js';

/** The fields of one message: `READY=1\nSTATUS=...` as { READY: '1', STATUS: '...' }. */
export type NotifyFields = Record<string, string>;

/** Why a message was dropped: the labels of tend_notify_dropped_total. */
export type DropReason = 'foreign' | 'too_large';

/** A registered run: the pids and cgroup its messages may come from. */
interface Run {
  pids: Set<number>;
  /** `<subtree>/svc-<id>`, the end of its cgroup path (undefined: no cgroup) */
  tail: string | undefined;
  /** in a pid namespace of its own: a MAINPID= it sends is not a pid of tend's, so lets no one in */
  ownPidNs: boolean;
  deliver(fields: NotifyFields): void;
}

/** How far up the ppid chain a sender is looked for (without cgroups). */
const MAX_ANCESTORS = 32;

/** Splits `KEY=VALUE` lines (an empty line or one without `=` is skipped, as systemd does). */
export function parseNotify(text: string): NotifyFields {
  const out: NotifyFields = Object.create(null);
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** The `<subtree>/svc-<id>` end of a cgroup path: what /proc/PID/cgroup shows of it too. */
function tailOf(path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  const leaf = parts[parts.length - 1];
  if (!leaf?.startsWith('svc-') || parts.length < 2) return undefined;
  return `${parts[parts.length - 2]}/${leaf}`;
}

/** The ends of `pid`'s cgroup path that could name a run (`<subtree>/svc-<id>`, nested ones too). */
function cgroupTails(pid: number): string[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return [];
  }
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  if (!line) return [];
  const parts = line.slice(3).split('/').filter(Boolean);
  const out: string[] = [];
  for (let k = parts.length - 1; k >= 1; k--) if (parts[k]!.startsWith('svc-')) out.push(`${parts[k - 1]}/${parts[k]}`);
  return out;
}

/** The parent pid of `pid` (0 when gone). */
function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || 0;
  } catch {
    return 0;
  }
}

/** The notify socket at `address` ("/path" or "@abstract"); bound on first use. */
export class NotifySocket {
  private byPid = new Map<number, Run>();
  private byTail = new Map<string, Run>();
  private socket: { close(): void } | undefined;
  /** messages dropped, by reason (tend_notify_dropped_total) */
  readonly dropped: Record<DropReason, number> = { foreign: 0, too_large: 0 };

  constructor(
    readonly address: string,
    /** told of the first drop of each reason (the journal): later ones are only counted */
    private readonly onDrop: (reason: DropReason, message: string) => void = () => {},
  ) {}

  /** Binds the socket if it is not yet (a stale path socket is replaced); throws why it cannot. */
  open(): void {
    if (this.socket) return;
    if (!this.address.startsWith('@')) removeStaleSocket(this.address);
    this.socket = openNotify(this.address, (msgs) => this.receive(msgs));
    // any uid may send: a service may run as another user; the sender's pid is what is checked
    if (!this.address.startsWith('@')) chmodSync(this.address, 0o666);
  }

  /**
   * Messages from `pid` (and its cgroup `cgroupPath`) go to `deliver` until the returned function
   * is called. `ownPidNs`: the run has a pid namespace of its own (private_pids).
   */
  register(pid: number, cgroupPath: string | undefined, deliver: (fields: NotifyFields) => void, ownPidNs = false): () => void {
    const run: Run = { pids: new Set([pid]), tail: cgroupPath ? tailOf(cgroupPath) : undefined, ownPidNs, deliver };
    this.byPid.set(pid, run);
    if (run.tail) this.byTail.set(run.tail, run);
    return () => {
      for (const p of run.pids) if (this.byPid.get(p) === run) this.byPid.delete(p);
      if (run.tail && this.byTail.get(run.tail) === run) this.byTail.delete(run.tail);
    };
  }

  /** Closes the socket (a path socket's file is removed). */
  close(): void {
    if (!this.socket) return;
    this.socket.close();
    this.socket = undefined;
    if (!this.address.startsWith('@')) removeStaleSocket(this.address);
  }

  private receive(msgs: NotifyDatagram[]): void {
    for (const m of msgs) {
      if (m.data === null || m.size > NOTIFY_MAX_BYTES) {
        this.drop('too_large', `a message of ${m.size} bytes from pid ${m.pid} (the limit is ${NOTIFY_MAX_BYTES})`);
        continue;
      }
      const run = m.pid > 0 ? this.runOf(m.pid) : undefined;
      if (!run) {
        this.drop('foreign', `a message from pid ${m.pid}, which belongs to no service that uses the notify socket`);
        continue;
      }
      const fields = parseNotify(m.data);
      if (fields.BARRIER === '1' && Object.keys(fields).length === 1) continue; // its fd was closed: answered
      const main = fields.MAINPID !== undefined ? Number(fields.MAINPID) : NaN;
      if (Number.isInteger(main) && main > 0 && !run.ownPidNs) {
        run.pids.add(main);
        this.byPid.set(main, run);
      }
      run.deliver(fields);
    }
  }

  private runOf(pid: number): Run | undefined {
    const direct = this.byPid.get(pid);
    if (direct) return direct;
    if (this.byTail.size > 0) {
      for (const t of cgroupTails(pid)) {
        const run = this.byTail.get(t);
        if (run) return run;
      }
    }
    for (let p = parentOf(pid), k = 0; p > 1 && k < MAX_ANCESTORS; p = parentOf(p), k++) {
      const run = this.byPid.get(p);
      if (run) return run;
    }
    return undefined;
  }

  private drop(reason: DropReason, message: string): void {
    if (this.dropped[reason]++ === 0) this.onDrop(reason, `${message}: dropped (later ones are only counted)`);
  }
}

/** Removes a socket file left at `path` (never anything that is not a socket). */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // not there
  }
}
