// Status rows (`tend status`; the row's type is the wire's) and the one-paragraph `why` of an instance.
import type { StatusRow } from '../control/wire.js';
import { describeExit, formatDuration, formatLimit, stateWords } from '../core/describe.js';
import { capabilitiesLacking, capabilitiesWarning } from '../config/host-fences.js';
import { describeFences, type Fences, fencesJson } from '../core/fences.js';
import type { Instance } from '../core/instance.js';
import { hasSchedule, isAlive } from '../core/instance.js';
import { depStatus, removalWait, type Store } from '../reconcile/deps.js';
import { readyBy } from '../reconcile/plan.js';
import { countSlots, gateWait, type Limits, slotWait } from '../reconcile/slots.js';
import { commandWords } from './transient.js';

export type { StatusRow };

/**
 * A time for people: `14:05:00` within 12 hours, else `2025-03-01 14:05`; local time, or in
 * `timeZone` (a task's own `timezone`) followed by its name, so that `09:00 America/New_York`
 * is not read as tend's 09:00.
 */
export function clockTime(t: number, now: number, timeZone?: string): string {
  const near = Math.abs(t - now) < 12 * 3_600_000;
  if (timeZone !== undefined) {
    const f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
      ...(near ? { second: '2-digit' } : { year: 'numeric', month: '2-digit', day: '2-digit' }),
    });
    const part = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
    const time = near
      ? `${part.hour}:${part.minute}:${part.second}`
      : `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
    return `${time} ${timeZone}`;
  }
  const d = new Date(t);
  const p = (n: number): string => String(n).padStart(2, '0');
  const hms = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  if (near) return hms;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** "last run completed 2m ago (exited with code 0)", or '' before the first. */
function lastRunWords(i: Instance, now: number): string {
  const r = i.lastRun;
  return r ? `last run ${r.result} ${formatDuration(Math.max(0, now - r.end))} ago (${r.reason})` : '';
}

/** The time zone of a task's cron schedule, when it has one of its own. */
function taskZone(i: Instance): string | undefined {
  const s = i.inst.spec.schedule;
  return s?.kind === 'cron' ? s.timezone : undefined;
}

/** A task resting between runs: when it runs next (or that it is paused), and how the last run went. */
function scheduledDetail(i: Instance, now: number): string {
  const when = i.paused
    ? `paused (tend enable ${i.id})`
    : i.nextRunAt !== null
      ? `next run ${clockTime(i.nextRunAt, now, taskZone(i))} (in ${formatDuration(Math.max(0, i.nextRunAt - now))})`
      : '';
  const last = lastRunWords(i, now) || (i.reason !== 'waiting for its first run' ? i.reason : '');
  return [when, last].filter(Boolean).join('; ');
}

/** What the state waits for or why it is so, in a few words. */
export function detailOf(store: Store, i: Instance, now: number, limits: Limits = {}): string {
  switch (i.state) {
    case 'pending': {
      if (i.want === 'down') return '';
      const d = depStatus(store, i);
      if (d.kind !== 'met') return d.kind === 'waiting' ? `waiting for ${d.on}` : `dependency ${d.on} failed`;
      if (i.lingering) return LINGERING;
      return removalWait(store, i) ?? gateWait(i) ?? slotWait(i, countSlots(store), limits) ?? '';
    }
    case 'scheduled':
      return scheduledDetail(i, now);
    case 'stopped':
      return i.paused && !hasSchedule(i.inst) ? `disabled (tend enable ${i.id}); ${i.reason}` : i.reason;
    case 'backoff':
      if (i.lingering && (i.deadline === null || i.deadline <= now)) return `${i.reason}; ${LINGERING}`;
      return i.deadline !== null ? `${i.reason}; next start in ${formatDuration(Math.max(0, i.deadline - now))}` : i.reason;
    case 'starting':
      return i.lastProbeFailure ? `not ready: ${i.lastProbeFailure}` : (i.statusText ?? '');
    case 'running':
      if (i.want === 'restart') return 'restart pending';
      return livenessFailing(i) ?? i.statusText ?? (i.outputLost ? OUTPUT_LOST : '');
    case 'stopping':
      return i.reason;
    default:
      return i.reason;
  }
}

/** Said of a next run held back by what the last one left behind (see InstanceRecord.lingering). */
export const LINGERING = 'waiting for what its last run left behind to end (SIGKILL at stop_timeout)';

/** Said of an adopted process (status detail, why, the journal): its pipes went with the old tend. */
export const OUTPUT_LOST = 'adopted from an earlier tend: its output is lost until it restarts';

/** "liveness failing 2/3: connect ECONNREFUSED" while a running instance's liveness probe fails. */
function livenessFailing(i: Instance): string | undefined {
  const threshold = i.inst.spec.liveness?.failureThreshold;
  if (threshold === undefined || i.livenessFailures === 0 || i.state !== 'running') return undefined;
  return `liveness failing ${i.livenessFailures}/${threshold}: ${i.lastProbeFailure ?? ''}`;
}

/**
 * The fences a service runs with: its capabilities without those tend lacks (the service cannot
 * have them: capabilitiesWarning, which `why` and the journal give). With `user_namespace` the
 * service holds every capability of its namespace, so none is left out.
 */
function inForce(f: Fences | undefined): Fences | undefined {
  if (f?.capabilities === undefined || f.userNamespace) return f;
  const lacking = capabilitiesLacking(f.capabilities);
  return lacking.length === 0 ? f : { ...f, capabilities: f.capabilities.filter((c) => !lacking.includes(c)) };
}

/** One row of `tend status`. cpu and memory are filled in by the caller. */
export function statusRow(store: Store, i: Instance, now: number, limits: Limits = {}): StatusRow {
  const last = i.exits[i.exits.length - 1]?.exit;
  const fences = fencesJson(inForce(i.inst.spec.fences));
  const run = i.lastRun;
  const row: StatusRow = {
    name: i.id,
    service: i.inst.service,
    replica: i.inst.replica ?? null,
    state: i.state,
    pid: i.pid,
    restarts: i.restarts,
    exit_code: last?.kind === 'exited' ? last.code : null,
    exit: last ? describeExit(last) : null,
    since: new Date(i.since).toISOString(),
    uptime_ms: isAlive(i.state) && i.startedAt !== null ? now - i.startedAt : null,
    cpu: null,
    cpu_seconds: null,
    memory: null,
    detail: detailOf(store, i, now, limits) || transientDetail(i),
    want: i.want === 'down' ? 'down' : 'up',
    log_error: null,
    next_run: i.nextRunAt === null ? null : new Date(i.nextRunAt).toISOString(),
    last_run: run
      ? {
          start: new Date(run.start).toISOString(),
          end: new Date(run.end).toISOString(),
          result: run.result,
          reason: run.reason,
          trigger: run.trigger,
        }
      : null,
    paused: i.paused,
    status_text: isAlive(i.state) ? i.statusText : null,
  };
  if (fences) row.fences = fences;
  if (i.inst.spec.transient) row.transient = true;
  return row;
}

/** A transient service (`tend run NAME -- CMD`) with nothing else to say: what it runs. */
function transientDetail(i: Instance): string {
  return i.inst.spec.transient ? `transient: ${commandWords(i.inst.spec.command as string[])}` : '';
}

function ago(now: number, t: number): string {
  return `${formatDuration(now - t)} ago`;
}

/** `tend why NAME`: the state, what it waits for down the chain, probes, exits, backoff. */
export function explain(store: Store, i: Instance, now: number, limits: Limits = {}): string {
  const parts: string[] = [];
  parts.push(`${i.id} is ${stateWords(i.state)} since ${ago(now, i.since)} (${i.reason}).`);
  if (i.state === 'scheduled') parts.push(`${scheduledDetail(i, now)}.`);
  else if (i.paused) parts.push(`It is disabled until tend enable ${i.id}.`);
  if (i.state === 'pending' && i.want === 'up' && depStatus(store, i).kind === 'met') {
    // a removal, approval, then a free slot of its pool or of max_parallel (as status says it)
    const wait = removalWait(store, i) ?? gateWait(i) ?? slotWait(i, countSlots(store), limits);
    if (wait) parts.push(`It is ${wait}.`);
  }
  if (i.want === 'down' && i.state !== 'stopped') parts.push('It is wanted stopped.');
  // as status says it (its next run is held back, or a stop waits for them)
  if (i.lingering) parts.push(`It is ${LINGERING}.`);
  if (i.state === 'pending' && i.want === 'up') {
    const chain: string[] = [];
    let cur: Instance | undefined = i;
    const seen = new Set<string>();
    while (cur && !seen.has(cur.id)) {
      seen.add(cur.id);
      const d = depStatus(store, cur);
      if (d.kind === 'met') break;
      if (d.kind === 'failed') {
        chain.push(`${d.on} failed (${d.reason})`);
        break;
      }
      chain.push(`${cur.id} waits for ${d.on}`);
      const next = d.on.split(':')[0]!;
      cur = [...store.values()].find((x) => x.inst.service === next && x.state !== 'running' && x.state !== 'completed');
      if (cur) {
        // a dependency held at a gate says so (waiting for approval), as its status row does
        const held = cur.state === 'pending' ? (gateWait(cur) ?? slotWait(cur, countSlots(store), limits)) : undefined;
        const said = held ?? cur.reason;
        chain.push(`${cur.id} is ${stateWords(cur.state)}${said ? ` (${said})` : ''}`);
      }
    }
    if (chain.length) parts.push(chain.join('; ') + '.');
  }
  if (i.statusText !== null && isAlive(i.state)) parts.push(`It says: ${JSON.stringify(i.statusText)} (STATUS=).`);
  if (i.mainPid !== null && isAlive(i.state)) {
    // a private_pids service names a pid of its own namespace
    const where = i.inst.spec.fences?.privatePids ? ', a pid of its own pid namespace' : '';
    parts.push(`Its main pid is ${i.mainPid} (MAINPID=${where}).`);
  }
  if (i.outputLost && isAlive(i.state)) parts.push(`${OUTPUT_LOST[0]!.toUpperCase()}${OUTPUT_LOST.slice(1)}.`);
  const bound = i.inst.spec.startTimeout;
  if (i.state === 'starting' && bound !== undefined && i.startedAt !== null) {
    const left = formatDuration(Math.max(0, readyBy(i, bound, i.startedAt) - now));
    parts.push(
      `Not ready within ${formatLimit(bound)} of its spawn (start_timeout), it is stopped as a failed start: in ${left}.`,
    );
  }
  const failing = livenessFailing(i);
  if (failing) parts.push(`${failing[0]!.toUpperCase()}${failing.slice(1)}.`);
  else if (i.lastProbeFailure) parts.push(`Last probe failure: ${i.lastProbeFailure}.`);
  if (i.exits.length) {
    const ex = i.exits.slice(-3).map((e) => `${describeExit(e.exit)} ${ago(now, e.time)}`);
    parts.push(`Last exits: ${ex.join(', ')}.`);
  }
  if (i.state === 'backoff' && i.deadline !== null) {
    parts.push(
      `Next start in ${formatDuration(Math.max(0, i.deadline - now))} (backoff after ${i.failuresInRow} failure${i.failuresInRow === 1 ? '' : 's'} in a row).`,
    );
  }
  if (i.restarts > 0) parts.push(`Restarted ${i.restarts} time${i.restarts === 1 ? '' : 's'}.`);
  // why the last restart after a failure came (a liveness probe's words are not in the exit)
  if (i.lastFailure && i.state !== 'backoff')
    parts.push(`Last restarted ${ago(now, i.lastFailure.at)} after: ${i.lastFailure.why}.`);
  const fences = describeFences(i.inst.spec.fences);
  if (fences) parts.push(`Fences: ${fences}.`);
  const lacking = capabilitiesWarning(i.inst.spec.fences); // the config's, which the service may not have
  if (lacking) parts.push(`${lacking[0]!.toUpperCase()}${lacking.slice(1)}.`);
  if (i.inst.spec.transient) {
    parts.push(
      `It is a transient service (tend run ${i.id} -- ...): ${commandWords(i.inst.spec.command as string[])} in ${i.inst.spec.cwd}; it goes when tend shuts down.`,
    );
  }
  return parts.join(' ');
}
