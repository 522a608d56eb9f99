// `wait` (hidden): waits until every instance wanted up has started, or failed, and says which
// did. `tend up -d` sends it once the daemon it started answers; the socket answers before the
// services are in the store, so it waits for the end of start-up first. Started means what it
// means to `tend start`: running (past its readiness probe, or up for 1 s), or completed.
import { formatLimit, stateWords } from '../core/describe.js';
import { TendError } from '../core/errors.js';
import { hasSchedule, type Instance, settleLeft, wantsUp } from '../core/instance.js';
import { dependencyClosure, ranOk, type Store } from '../reconcile/deps.js';
import { gateWait } from '../reconcile/slots.js';
import { names, optional, shape, timerMs } from './schema.js';
import type { SocketCommand } from './command.js';
import type { CommandContext } from './context.js';
import { EXIT } from './command.js';
import { FIND_DAEMON, JSON_FLAG } from './flags.js';
import { currentRun, currentRunLines, ids, lastLinesText, list } from './lifecycle.js';
import { parseTimeout } from './parse.js';

/** Its request. */
export interface WaitArgs {
  /** the instances to wait for (none: every instance wanted up) */
  names?: string[];
  /** milliseconds (default 60 s) */
  timeout?: number;
}

/**
 * Its reply: those that started, and those that did not, with why and what they printed last.
 * `held` (without names only): those not waited for because an approval gate holds them, each
 * with the gated instances that hold it.
 */
export interface WaitReply {
  started: string[];
  failed: Array<{ name: string; reason: string; lines: Array<{ stream: string; line: string }> }>;
  held?: Array<{ name: string; by: string[] }>;
}

/** `not waited for, behind an approval gate: deploy, web (tend approve deploy)`, or '' for none. */
export function heldText(held: WaitReply['held']): string {
  if (!held?.length) return '';
  const gates = [...new Set(held.flatMap((h) => h.by))];
  return `not waited for, behind an approval gate: ${list(held.map((h) => h.name))} (tend approve ${gates.join(' ')})\n`;
}

/** A failed instance as `tend up -d` and `tend wait` print it: why, then its last lines. */
export function failedText(f: WaitReply['failed'][number]): string {
  return `tend: ${f.name}: ${f.reason}${lastLinesText(f.lines ?? [])}\n`;
}

/** What `wait` waits for: wanted up and not a task resting between runs of its schedule. */
export function waitable(i: Instance): boolean {
  return wantsUp(i) && !(hasSchedule(i.inst) && i.state === 'scheduled');
}

/**
 * Why: a run behind `approval: true` starts when a person says so (`tend approve`), and so does
 * what depends on it; waiting for them would end in a timeout and exit 1 for a config doing what
 * it should (examples/tasks.yaml). The targets held so, each with the instances that hold it: a
 * target awaiting approval itself, or a pending one depending, directly or not, on a service with
 * an instance that does (one already up is not held by its dependency's next run). The status
 * table says where they are.
 */
export function heldByApproval(store: Store, targets: Iterable<Instance>): Map<string, Instance[]> {
  const gated = new Map<string, Instance[]>();
  for (const i of store.values()) {
    if (i.state === 'pending' && gateWait(i)) gated.set(i.inst.service, [...(gated.get(i.inst.service) ?? []), i]);
  }
  const held = new Map<string, Instance[]>();
  if (gated.size === 0) return held;
  for (const t of targets) {
    if (t.state !== 'pending') continue;
    if (gateWait(t)) {
      held.set(t.id, [t]);
      continue;
    }
    const by = [...dependencyClosure(store, [t.inst.service])].flatMap((s) => gated.get(s) ?? []);
    if (by.length) held.set(t.id, by);
  }
  return held;
}

/**
 * Why a named instance cannot get started without someone doing something, or undefined: it is
 * not wanted up (stopped, `autostart: false`, a `tend stop`), or an approval gate holds it
 * (`held`, from heldByApproval). `detail`: its status detail (`waiting for deploy: completed`).
 * Waiting for it would end only at the timeout, so `tend wait NAME` fails at once with this.
 */
export function cannotStart(i: Instance, held: readonly Instance[] | undefined, detail: string): string | undefined {
  if (!wantsUp(i) && i.state !== 'completed' && i.state !== 'failed') {
    return `${stateWords(i.state)} (not wanted up): tend start ${i.id}`;
  }
  if (!held?.length) return undefined;
  const where = detail || stateWords(i.state);
  const others = held.filter((g) => g.id !== i.id);
  if (others.length === 0) return where; // its own gate: "waiting for approval (tend approve deploy)"
  return `${where} (${others.map((g) => `${g.id} waits for approval: tend approve ${g.id}`).join('; ')})`;
}

/**
 * Why an instance is not started: its reason when failed (and that its run never began, when it
 * did not: rejected, or a dependency failed), else where it still is: at the timeout, or (`early`)
 * when the wait ended at once because another named one cannot start.
 */
function notStarted(d: CommandContext, i: Instance, timeoutMs: number, early: boolean): string {
  if (i.state === 'failed') return 'never' in currentRun(i) ? `${i.reason}; it never ran, so it printed nothing` : i.reason;
  const detail = d.statusRow(i, d.now()).detail;
  const where = `${stateWords(i.state)}${detail ? `: ${detail}` : ''}`;
  if (early) return `not waited for, as the others named cannot start: still ${where}`;
  return `still ${stateWords(i.state)} after ${formatLimit(timeoutMs)}${detail ? `: ${detail}` : ''}`;
}

/**
 * Notes in `blocked` each of `targets` that cannot start now without a person (cannotStart), and
 * says whether there is one. Judged by where each is now: one that started and was then stopped
 * counts (the wait is for all of them to be up at once). Run as a named wait begins and at each
 * change of the store after, so the status detail is made only for one an approval gate holds.
 */
function blockedNow(d: CommandContext, targets: readonly Instance[], blocked: Map<string, string>): boolean {
  const current = targets.map((t) => d.sup.store.get(t.id) ?? t);
  const pending = current.filter((i) => i.state === 'pending');
  const held = pending.length ? heldByApproval(d.sup.store, pending) : new Map<string, Instance[]>();
  for (const i of current) {
    if (wantsUp(i) && !held.has(i.id)) continue;
    const detail = held.has(i.id) ? d.statusRow(i, d.now()).detail : '';
    const why = cannotStart(i, held.get(i.id), detail);
    if (why !== undefined) blocked.set(i.id, why);
  }
  return blocked.size > 0;
}

/** What Ctrl-C in the shell says of a `wait`: it stopped, and the services go on. */
export function waitInterrupted(names: readonly string[]): string {
  if (names.length === 0) return 'stopped waiting; the services go on starting';
  return `stopped waiting; ${list(names)} ${names.length > 1 ? 'go' : 'goes'} on starting`;
}

/** `tend wait` (also what `tend up -d` waits with). */
export const wait: SocketCommand<'wait', WaitArgs, WaitReply> = {
  name: 'wait',
  summary: 'wait until every service wanted up has started or failed',
  args: [{ name: 'NAME', kind: 'service', optional: true, repeat: true }],
  flags: [
    { name: 'timeout', value: { label: 'D', kind: 'duration' }, help: 'give up waiting after D (default 60s)' },
    JSON_FLAG,
    ...FIND_DAEMON,
  ],
  examples: ['wait', 'wait web --timeout 2m'],
  notes:
    'Without names: every service wanted up (not one an approval gate holds, nor a task at rest). Exit 0 when all started, 1 with the reason of each that failed or timed out. A name that cannot start without you (stopped, or behind an approval gate) fails at once, and so does one that comes to be so while waited for.',
  schema: shape<WaitArgs>({ names: optional(names), timeout: optional(timerMs) }),
  // the wait ends with the request; what it waited for does not (it asked nothing of them)
  interrupted: (args) => waitInterrupted(args.names ?? []),
  request(p) {
    const t = p.flags.timeout;
    return { names: p.positionals, timeout: typeof t === 'string' ? parseTimeout(t) : undefined };
  },
  print(r, io) {
    if (r.started.length) io.out(`started ${list(r.started)}\n`);
    const held = heldText(r.held);
    if (held) io.out(held);
    for (const f of r.failed) io.err(failedText(f));
  },
  exitCode: (r) => (r.failed.length ? EXIT.failed : EXIT.ok),
  async handle(args, d, rc) {
    await d.startedUp?.();
    await d.tasks.settled(); // the status printed next says each task's next run
    const named = Boolean(args.names?.length);
    const asked = named ? d.resolve(args.names) : [...d.sup.store.values()].filter(waitable);
    // named: one that cannot start without a person (not wanted up, behind an approval gate)
    // fails at once, with what would let it go; unnamed, those an approval gate holds are not
    // waited for (up -d), and the reply says which
    const blocked = new Map<string, string>();
    if (named) blockedNow(d, asked, blocked);
    const held = named ? new Map<string, Instance[]>() : heldByApproval(d.sup.store, asked);
    const targets = asked.filter((t) => !held.has(t.id) && !blocked.has(t.id));
    let early = blocked.size > 0;
    const timeoutMs = early ? 0 : (args.timeout ?? 60_000);
    // named, one may come to need a person while waited for (a `tend stop` of it, a gated run
    // of its dependency queued): the wait then ends there, not at its timeout
    const ended = new AbortController();
    const endWith = (): void => ended.abort();
    rc.signal.addEventListener('abort', endWith);
    if (rc.signal.aborted) ended.abort();
    const came = new Map<string, string>();
    const off = named && !early ? d.sup.onChange(() => blockedNow(d, targets, came) && ended.abort()) : undefined;
    let failed: Instance[];
    try {
      // a task's run going counts (a catch-up run is no part of the stack being up)
      failed = await d.waitStarted(targets, timeoutMs, ended.signal, undefined, true);
    } catch (e) {
      if (!(e instanceof TendError) || !(e.code === 'timeout' || (e.code === 'cancelled' && !rc.signal.aborted))) throw e;
      // (no change of the store comes between here and `finally`: nothing here awaits)
      if (e.code === 'cancelled') {
        for (const [id, why] of came) blocked.set(id, why);
        early = true;
      }
      // the store at the deadline (or where one came to need a person): what started, what did
      // not and where it is (a task pulled by a dependent rests in scheduled after a run that
      // completed; one running without a readiness probe counts once it has run SETTLE_MS)
      const at = d.now();
      const now = targets.filter((t) => !blocked.has(t.id)).map((t) => d.sup.store.get(t.id) ?? t);
      failed = now.filter(
        (i) => !(i.state === 'completed' || (i.state === 'running' && settleLeft(i, at) === undefined) || ranOk(i)),
      );
    } finally {
      off?.();
      rc.signal.removeEventListener('abort', endWith);
    }
    const bad = new Set(failed.map((f) => f.id));
    // as a failed start: the output that explains it, which can follow the exit by a moment (one
    // still starting at the timeout has its pipes open: nothing to wait for)
    const exited = failed.filter((f) => (d.sup.store.get(f.id) ?? f).state === 'failed');
    await Promise.all(exited.map((f) => d.logs.ended(f.id, 1000)));
    return {
      ...(held.size === 0 ? {} : { held: [...held].map(([name, by]) => ({ name, by: [...new Set(by.map((g) => g.id))] })) }),
      started: ids(targets.filter((t) => !bad.has(t.id) && !blocked.has(t.id))),
      failed: [
        ...[...blocked].map(([name, reason]) => ({ name, reason, lines: [] })),
        ...failed.map((f) => {
          const i = d.sup.store.get(f.id) ?? f;
          // the lines of the run it is in, not of one before (a rejected run printed nothing)
          const lines = currentRunLines(i, (id, n) => d.logs.tail(id, n));
          return {
            name: f.id,
            reason: notStarted(d, i, timeoutMs, early),
            lines: lines.map((l) => ({ stream: l.stream, line: l.line })),
          };
        }),
      ],
    };
  },
};
