// `wait` (hidden): waits until every instance wanted up has started, or failed, and says which
// did. `tend up -d` sends it once the daemon it started answers; the socket answers before the
// services are in the store, so it waits for the end of start-up first. Started means what it
// means to `tend start`: running (past its readiness probe, or up for 1 s), or completed.
import { formatDuration } from '../core/describe.js';
import { TendError } from '../core/errors.js';
import { hasSchedule, type Instance, wantsUp } from '../core/instance.js';
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

/** Its reply: those that started, and those that did not, with why and what they printed last. */
export interface WaitReply {
  started: string[];
  failed: Array<{ name: string; reason: string; lines: Array<{ stream: string; line: string }> }>;
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
 * it should (examples/tasks.yaml). The ids of `targets` held so: awaiting approval, or depending,
 * directly or not, on a service with an instance that does. The status table says where they are.
 */
export function heldByApproval(store: Store, targets: Iterable<Instance>): Set<string> {
  const gated = new Set<string>();
  for (const i of store.values()) if (i.state === 'pending' && gateWait(i)) gated.add(i.inst.service);
  const held = new Set<string>();
  if (gated.size === 0) return held;
  for (const t of targets) {
    if (gated.has(t.inst.service) || [...dependencyClosure(store, [t.inst.service])].some((s) => gated.has(s))) held.add(t.id);
  }
  return held;
}

/**
 * Why an instance is not started: its reason when failed (and that its run never began, when it
 * did not: rejected, or a dependency failed), else where it still is.
 */
function notStarted(d: CommandContext, i: Instance, timeoutMs: number): string {
  if (i.state === 'failed') return 'never' in currentRun(i) ? `${i.reason}; it never ran, so it printed nothing` : i.reason;
  const detail = d.statusRow(i, d.now()).detail;
  return `still ${i.state} after ${formatDuration(timeoutMs)}${detail ? `: ${detail}` : ''}`;
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
    'Without names: every service wanted up (not one an approval gate holds, nor a task at rest). Exit 0 when all started, 1 with the reason of each that failed or timed out.',
  schema: shape<WaitArgs>({ names: optional(names), timeout: optional(timerMs) }),
  request(p) {
    const t = p.flags.timeout;
    return { names: p.positionals, timeout: typeof t === 'string' ? parseTimeout(t) : undefined };
  },
  print(r, io) {
    if (r.started.length) io.out(`started ${list(r.started)}\n`);
    for (const f of r.failed) io.err(failedText(f));
  },
  exitCode: (r) => (r.failed.length ? EXIT.failed : EXIT.ok),
  async handle(args, d, rc) {
    await d.startedUp?.();
    await d.tasks.settled(); // the status printed next says each task's next run
    const asked = args.names?.length ? d.resolve(args.names) : [...d.sup.store.values()].filter(waitable);
    const held = heldByApproval(d.sup.store, asked);
    const targets = asked.filter((t) => !held.has(t.id));
    const timeoutMs = args.timeout ?? 60_000;
    let failed: Instance[];
    try {
      // a task's run going counts (a catch-up run is no part of the stack being up)
      failed = await d.waitStarted(targets, timeoutMs, rc.signal, undefined, true);
    } catch (e) {
      if (!(e instanceof TendError) || e.code !== 'timeout') throw e;
      // the store at the deadline: what started, what did not and where it is
      const now = targets.map((t) => d.sup.store.get(t.id) ?? t);
      // (a task pulled by a dependent rests in scheduled after a run that completed)
      failed = now.filter((i) => i.state !== 'completed' && i.state !== 'running' && !ranOk(i));
    }
    const bad = new Set(failed.map((f) => f.id));
    // as a failed start: the output that explains it, which can follow the exit by a moment (one
    // still starting at the timeout has its pipes open: nothing to wait for)
    const exited = failed.filter((f) => (d.sup.store.get(f.id) ?? f).state === 'failed');
    await Promise.all(exited.map((f) => d.logs.ended(f.id, 1000)));
    return {
      started: ids(targets.filter((t) => !bad.has(t.id))),
      failed: failed.map((f) => {
        const i = d.sup.store.get(f.id) ?? f;
        // the lines of the run it is in, not of one before (a rejected run printed nothing)
        const lines = currentRunLines(i, (id, n) => d.logs.tail(id, n));
        return { name: f.id, reason: notStarted(d, i, timeoutMs), lines: lines.map((l) => ({ stream: l.stream, line: l.line })) };
      }),
    };
  },
};
