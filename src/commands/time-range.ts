// --since and --until of `tend logs` and `tend events`: the same words, the same checks.
import { parseTimeSpec, TimeSpecError } from '../logs/time-spec.js';
import type { Parsed } from './command.js';
import { UsageError } from './parse.js';

/** A --since/--until value, checked now (the client reads it again when it runs). */
function timeFlag(p: Parsed, name: 'since' | 'until'): string | undefined {
  const v = p.flags[name];
  if (typeof v !== 'string') return undefined;
  try {
    parseTimeSpec(v);
  } catch (err) {
    if (err instanceof TimeSpecError) throw new UsageError(`--${name}: ${err.message}`);
    throw err;
  }
  return v;
}

/**
 * Why: logs and events take a time range alike: --until does not go with -f (`what` has no end
 * then), and with a range and no -n the whole range is read.
 */
export function applyTimeRange(
  p: Parsed,
  args: { lines?: number; follow?: boolean; since?: string; until?: string },
  what: string,
): void {
  const since = timeFlag(p, 'since');
  const until = timeFlag(p, 'until');
  if (since !== undefined) args.since = since;
  if (until !== undefined) {
    if (args.follow) throw new UsageError(`--until and -f do not go together (a followed ${what} has no end)`);
    args.until = until;
  }
  if (p.flags.lines === undefined && (since !== undefined || until !== undefined)) delete args.lines;
}
