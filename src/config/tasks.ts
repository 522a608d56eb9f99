// The task keys of a service (schedule, every, timezone, overlap, timeout, catch_up, approval,
// pool) checked together: which need a oneshot (and start_timeout, which a oneshot may not
// have), which need a schedule, and the schedule itself
// (src/tasks/schedule.ts: croner, bundled with the config parser, never loaded by the daemon).
import { hint } from '../core/did-you-mean.js';
import type { ScheduleSpec, Settings } from '../core/types.js';
import { everySchedule, parseSchedule } from '../tasks/schedule.js';
import type { Problems } from './problems.js';
import type { RawService } from './schema.js';

/** Keys only a oneshot may have. */
const ONESHOT_KEYS = ['schedule', 'every', 'timezone', 'overlap', 'timeout', 'catch_up', 'approval'] as const;
/** Keys that say how a schedule runs: meaningless without one. */
const SCHEDULE_KEYS = ['overlap', 'catch_up'] as const;

/**
 * Why: one service's task keys, after zod passed (`svc`); `value` is the raw mapping (the
 * timezone as written). Returns the schedule when there is a valid one; problems go to `problems`.
 */
export function checkTask(
  value: Record<string, unknown>,
  svc: RawService,
  at: readonly string[],
  settings: Pick<Settings, 'pools'>,
  problems: Problems,
): ScheduleSpec | undefined {
  const type = svc.type ?? 'simple';
  if (svc.pool !== undefined) {
    const pools = Object.keys(settings.pools ?? {});
    if (!pools.includes(svc.pool)) {
      const known = pools.length ? ` (settings.pools has ${pools.join(', ')})` : ' (settings.pools declares none)';
      problems.add([...at, 'pool'], `unknown pool ${JSON.stringify(svc.pool)}${known}${hint(svc.pool, pools)}`);
    }
  }
  let bad = false;
  if (type !== 'oneshot') {
    for (const key of ONESHOT_KEYS) {
      if (svc[key] === undefined) continue;
      problems.add([...at, key], `${key} is for a oneshot (a task); this service is type ${type} (set type: oneshot)`, {
        key: true,
      });
      bad = true;
    }
  }
  if (type === 'oneshot' && svc.start_timeout !== undefined) {
    // a oneshot's whole run has its own bound; with two, which one fails it would be a puzzle
    problems.add(
      [...at, 'start_timeout'],
      'start_timeout is for a long-running service (type simple); a oneshot bounds its whole run with timeout',
      { key: true },
    );
  }
  if (svc.schedule !== undefined && svc.every !== undefined) {
    problems.add([...at, 'every'], 'give schedule or every, not both', { key: true });
    bad = true;
  }
  if (svc.timezone !== undefined && svc.schedule === undefined) {
    problems.add([...at, 'timezone'], 'timezone applies to a cron schedule: add schedule', { key: true });
    bad = true;
  }
  if (svc.schedule === undefined && svc.every === undefined) {
    for (const key of SCHEDULE_KEYS) {
      if (svc[key] === undefined) continue;
      problems.add([...at, key], `${key} applies to a task with schedule or every`, { key: true });
      bad = true;
    }
  }
  if (bad) return undefined;
  if (svc.schedule !== undefined) {
    const r = parseSchedule(svc.schedule, value.timezone);
    if (!r.ok) problems.add([...at, r.key], r.message);
    return r.ok ? r.spec : undefined;
  }
  if (svc.every !== undefined) {
    const r = everySchedule(svc.every);
    if (!r.ok) problems.add([...at, 'every'], r.message);
    return r.ok ? r.spec : undefined;
  }
  return undefined;
}
