// `tend run NAME [--follow] [--no-wait]`: runs a oneshot now (scheduled or not, with its
// dependencies as `tend start` does), waits for the run to end and prints how it went; exit 0 when
// it completed, 1 when it failed. The transient form `tend run NAME -- CMD [ARGS]` shares the verb:
// request() sets `command` (with the caller's folder and environment), and handle() hands it to
// runTransient (run-transient.ts).
import { TendError } from '../core/errors.js';
import { isAlive, type Instance } from '../core/instance.js';
import type { LogLine } from '../control/wire.js';
import { formatDuration } from '../core/describe.js';
import { gateWait } from '../reconcile/slots.js';
import { runTransient } from './run-transient.js';
import { LAST_LINES, lastLinesText } from './lifecycle.js';
import { bool, name, optional, shape, stringMap, text, words } from './schema.js';
import { EXIT, type SocketCommand } from './command.js';
import type { CommandContext } from './context.js';
import type { RequestContext } from '../control/connection.js';
import { FIND_DAEMON, FOLLOW_FLAG, JSON_FLAG } from './flags.js';
import { logPrinter } from '../logs/print.js';
import { UsageError } from './parse.js';

/** Its request. */
export interface RunArgs {
  name: string;
  /** stream the run's output while it runs */
  follow?: boolean;
  /** false: answer once the run is asked for */
  wait?: boolean;
  /** the transient form: the command after `--` */
  command?: string[];
  /** the transient form: the caller's folder (absolute), where the command runs */
  cwd?: string;
  /** the transient form: the caller's environment, the whole environment of the command */
  env?: Record<string, string>;
}

/** Its reply: how the run went (`started` with --no-wait). */
export interface RunReply {
  name: string;
  /** now; or, while a run was going, queued behind it or replacing it (the task's overlap) */
  how: 'now' | 'queued' | 'replaced';
  result: 'completed' | 'failed' | 'started';
  /** why it ended ("exited with code 0", "timed out after 5s (killed by SIGTERM)", "rejected by uid 0 (pid 7)") */
  reason: string;
  exit_code: number | null;
  start: string | null;
  end: string | null;
  duration_ms: number | null;
  /** dependencies started with it */
  also: string[];
  /** a run that failed, without --follow: the last lines it printed (up to 10), as tend start shows them */
  lines?: Array<{ stream: string; line: string }>;
  /** the transient form: its main process (null once it ended) */
  pid?: number | null;
  /** the transient form */
  transient?: true;
}

/** Why: the one instance `tend run` runs; a task with replicas is run one instance at a time. */
function theTask(d: CommandContext, n: string): Instance {
  const found = d.resolve([n]);
  // the kind first: which replica to run is no question for a service that is not a oneshot
  const kind = found[0]?.inst.spec.type;
  if (kind !== undefined && kind !== 'oneshot') {
    throw new TendError('bad_request', `run: ${n} is not a oneshot (type ${kind}); tend start starts a service`);
  }
  if (found.length !== 1) {
    throw new TendError(
      'bad_request',
      `run: ${n} has ${found.length} instances; run one of them (${found.map((i) => i.id).join(', ')})`,
    );
  }
  return found[0]!;
}

/** The answer once the run asked for is over, read from the record. */
function outcome(i: Instance, spawnsBefore: number, also: string[], how: RunReply['how']): RunReply {
  const ran = i.spawns > spawnsBefore && i.lastRun !== null;
  const run = ran ? i.lastRun! : null;
  const ok = run ? run.result === 'completed' && i.state !== 'failed' : false;
  return {
    name: i.id,
    how,
    result: ok ? 'completed' : 'failed',
    reason: run?.reason ?? i.reason,
    exit_code: run?.exit.kind === 'exited' ? run.exit.code : null,
    start: run ? new Date(run.start).toISOString() : null,
    end: run ? new Date(run.end).toISOString() : null,
    duration_ms: run ? run.end - run.start : null,
    also,
  };
}

/** Runs a task now; see the file comment. */
async function runTask(args: RunArgs, d: CommandContext, rc: RequestContext<LogLine>): Promise<RunReply> {
  const i = theTask(d, args.name);
  const before = i.spawns;
  const off = args.follow ? d.logs.follow(i.id, (l) => rc.send(l)) : undefined;
  try {
    const r = d.tasks.run(i);
    if (r.how === 'skipped') {
      const end = i.pid !== null ? `tend stop ${i.id} ends that run` : `tend stop ${i.id} drops it`;
      throw new TendError('busy', `${i.id}: ${r.why}; ${end}`);
    }
    const how = r.how;
    const also = r.also.map((x) => x.id);
    if (args.wait === false) {
      // the planner has had its turn (it runs in a microtask): a run held in pending says by what
      await Promise.resolve();
      const now = d.sup.store.get(i.id) ?? i;
      const held = how === 'now' && now.state === 'pending' ? d.statusRow(now, d.now()).detail : '';
      return {
        name: i.id,
        how,
        result: 'started',
        // a run behind approval, a pool, max_parallel, its dependencies: asked, and waiting
        reason: gateWait(i) ?? (held.startsWith('waiting for') ? held : 'run requested'),
        exit_code: null,
        start: null,
        end: null,
        duration_ms: null,
        also,
      };
    }
    // a queued run (or one replacing the current) is the next launch after the current one's; a
    // queued run that `tend stop` drops ends the wait
    const wait = new AbortController();
    const cancel = (): void => wait.abort();
    rc.signal.addEventListener('abort', cancel);
    let dropped: string | undefined;
    void r.dropped?.then((why) => {
      dropped = why;
      wait.abort();
    });
    try {
      await d.waitRun(i, wait.signal, how === 'now' ? undefined : before + (isAlive(i.state) ? 0 : 1));
    } catch (e) {
      if (dropped === undefined) throw e;
      const reason = `the queued run was dropped (${dropped}) before it started`;
      return { ...outcome(i, Number.POSITIVE_INFINITY, also, how), result: 'failed', reason, exit_code: null };
    } finally {
      rc.signal.removeEventListener('abort', cancel);
    }
    // output written just before the exit may still be on its way through the pipe
    if (off) await new Promise((r) => setTimeout(r, OUTPUT_GRACE_MS));
    const done = outcome(d.sup.store.get(i.id) ?? i, before, also, how);
    if (done.result !== 'failed' || off || done.start === null) return done;
    // what explains the failure, as tend start and tend wait show it: this run's lines only
    await d.logs.ended(i.id, 1000);
    const since = Date.parse(done.start);
    const lines = d.logs
      .tail(i.id, LAST_LINES)
      .filter((l) => Date.parse(l.time) >= since)
      .map((l) => ({ stream: l.stream, line: l.line }));
    return lines.length ? { ...done, lines } : done;
  } finally {
    off?.();
  }
}

/** How long --follow keeps listening after the exit, for the last lines in the pipe. */
const OUTPUT_GRACE_MS = 50;

/** What the transient form says: `started web (pid 4250)`. */
function transientWords(r: RunReply): string {
  if (r.result === 'completed') return `${r.name}: completed (${r.reason})`;
  // --no-wait: it may not have a process yet
  return r.pid == null ? `added ${r.name} (${r.reason})` : `started ${r.name} (pid ${r.pid})`;
}

/** The caller's environment as plain strings (the transient form sends it). */
function callerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

/** `tend run`. */
export const taskRun: SocketCommand<'run', RunArgs, RunReply, LogLine> = {
  name: 'run',
  summary: 'run a oneshot now and wait for it; NAME -- CMD: run CMD as a service',
  args: [
    { name: 'NAME', kind: 'service' },
    { name: 'CMD', kind: 'file', optional: true, repeat: true },
  ],
  expects: 'a task name',
  flags: [FOLLOW_FLAG, { name: 'no-wait', help: 'return once the run is asked for' }, JSON_FLAG, ...FIND_DAEMON],
  examples: ['run backup --follow', 'run web -- python3 -m http.server 8000'],
  notes:
    'Runs it whether it has a schedule or not (the schedule stays), starting its dependencies first as tend start does. ' +
    "Prints the result when the run ends: exit 0 if it completed, 1 if it failed. While a run is going, the task's overlap decides: " +
    'skip (the default) refuses, queue runs it after, replace stops the running one first. ' +
    'tend run NAME -- CMD [ARGS] makes a transient service instead: CMD supervised (restart on-failure), logged, in status, ' +
    'run in this folder with this environment; it waits until it runs, as tend start. With no daemon and no config here, it starts a daemon for this folder ' +
    '(tend shutdown stops it).',
  schema: shape<RunArgs>({
    name,
    follow: optional(bool),
    wait: optional(bool),
    command: optional(words),
    cwd: optional(text),
    env: optional(stringMap),
  }),
  request(p) {
    const n = p.positionals[0]!;
    const command = p.rest;
    if (command === undefined && p.positionals.length > 1)
      throw new UsageError(`run: expected NAME, or NAME -- CMD [ARGS]; got ${p.positionals.length} words`);
    if (command !== undefined && (command.length === 0 || p.positionals.length !== command.length + 1)) {
      throw new UsageError('run: expected NAME -- CMD [ARGS]');
    }
    if (command === undefined) return { name: n, follow: p.flags.follow === true, wait: !p.flags['no-wait'] };
    if (p.flags.follow) throw new UsageError(`run: --follow is for tasks; tend logs ${n} -f follows a transient service`);
    return { name: n, wait: !p.flags['no-wait'], command, cwd: process.cwd(), env: callerEnv() };
  },
  streams: (args) => args.follow === true && args.wait !== false,
  // the daemon's wait ends with the request; the run does not (Ctrl-C, or a client that goes away)
  interrupted(args) {
    if (args.wait === false) return undefined; // it did not wait
    if (args.command) return `stopped waiting; ${args.name} goes on starting (stop ${args.name} stops it)`;
    const what = args.follow ? `stopped following ${args.name}` : `stopped waiting for ${args.name}`;
    return `${what}; the run goes on (stop ${args.name} ends it)`;
  },
  // as `tend logs NAME` prints and --json's them: stderr lines marked, {ts, instance, stream, line}
  printEvent(e, io) {
    io.out(logPrinter([e.service], { json: false, timestamps: false, color: io.color }).wire(e));
  },
  jsonEvent: (e) => ({ ts: e.time, instance: e.service, stream: e.stream, line: e.line }),
  print(r, io) {
    const took = r.duration_ms === null ? '' : ` after ${formatDuration(r.duration_ms)}`;
    const deps = r.also.length ? ` (and dependencies ${r.also.join(', ')})` : '';
    const queued =
      r.how === 'queued'
        ? ' (queued behind the run that was going)'
        : r.how === 'replaced'
          ? ' (it replaced the run that was going)'
          : '';
    if (r.transient) io.out(transientWords(r) + '\n');
    else if (r.result === 'started' && r.reason.startsWith('waiting for')) io.out(`${r.name}: run asked, ${r.reason}${deps}\n`);
    else if (r.result === 'started') io.out(`${r.name}: run ${r.how === 'now' ? 'started' : r.how}${deps}\n`);
    else if (r.result === 'completed') io.out(`${r.name}: completed${took} (${r.reason})${deps}${queued}\n`);
    else io.err(`${r.name}: failed${took}: ${r.reason}${queued}${lastLinesText(r.lines ?? [])}\n`);
  },
  exitCode: (r) => (r.result === 'failed' ? EXIT.failed : EXIT.ok),
  // --follow streams the run's log lines
  eventNoun: 'lines',
  refusedWhileShuttingDown: true,
  async handle(args, d, rc) {
    if (args.command) return runTransient(args, d, rc);
    return runTask(args, d, rc);
  },
};
