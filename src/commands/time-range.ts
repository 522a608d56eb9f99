// What `tend logs` and `tend events` share: -n, -f, --since and --until (the same words, the same
// checks), and that the client reads and prints (logs/view.ts, logs/events-view.ts).
import { parseTimeSpec, TimeSpecError } from '../logs/time-spec.js';
import type { Parsed } from './command.js';
import { countFlag, UsageError } from './parse.js';
import { bool, count, optional, text } from './schema.js';

/** A --since/--until value and its time, checked now (the client reads it again when it runs). */
function timeFlag(p: Parsed, name: 'since' | 'until', now: number): { text: string; at: number } | undefined {
  const v = p.flags[name];
  if (typeof v !== 'string') return undefined;
  try {
    return { text: v, at: parseTimeSpec(v, now) };
  } catch (err) {
    if (err instanceof TimeSpecError) throw new UsageError(`--${name}: ${err.message}`);
    throw err;
  }
}

/** The checks of -n, -f, --since and --until in their requests. */
export const RANGE_FIELDS = {
  lines: optional(count),
  follow: optional(bool),
  since: optional(text),
  until: optional(text),
};

/** The checks of --grep and -i in their requests. */
export const GREP_FIELDS = {
  grep: optional(text),
  ignore_case: optional(bool),
};

/** Their request's --grep RE and -i (which goes with it). */
export function grepRequest(p: Parsed): { grep?: string; ignore_case?: boolean } {
  const out: { grep?: string; ignore_case?: boolean } = {};
  if (typeof p.flags.grep === 'string') out.grep = p.flags.grep;
  if (p.flags['ignore-case'] === true) {
    if (out.grep === undefined) throw new UsageError('-i goes with --grep RE');
    out.ignore_case = true;
  }
  return out;
}

/** The part of their request these words make. */
interface RangeArgs {
  names: string[];
  lines?: number;
  follow?: boolean;
  since?: string;
  until?: string;
}

/** Their request's NAME..., -n (default 100; `all`, as journalctl's), -f and time range; `what` names what is read, for the errors. */
export function rangeRequest(p: Parsed, what: string): RangeArgs {
  const all = p.flags.lines === 'all';
  let lines: number | undefined;
  try {
    lines = all ? undefined : (countFlag(p, 'lines', '-n') ?? 100);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    throw new UsageError(`-n: expected a whole number or "all"; got "${String(p.flags.lines)}"`);
  }
  const args: RangeArgs = { names: p.positionals, follow: p.flags.follow === true };
  if (lines !== undefined) args.lines = lines;
  applyTimeRange(p, args, what);
  return args;
}

/** The client reads and prints (their runLocal); with -f the request streams. */
export const READ_BY_CLIENT = {
  streams: (args: { follow?: boolean }) => args.follow === true,
  print() {
    // the client prints (runLocal)
  },
};

/**
 * Why: logs and events take a time range alike: --until does not go with -f (`what` has no end
 * then), and with a range and no -n the whole range is read.
 */
function applyTimeRange(p: Parsed, args: RangeArgs, what: string): void {
  const now = Date.now();
  const since = timeFlag(p, 'since', now);
  const until = timeFlag(p, 'until', now);
  if (since !== undefined) args.since = since.text;
  if (until !== undefined) {
    if (args.follow) throw new UsageError(`--until and -f do not go together (a followed ${what} has no end)`);
    // an empty range is a mistake, not "no lines" (journalctl refuses it too)
    if (since !== undefined && since.at > until.at)
      throw new UsageError(`--since ${since.text} is after --until ${until.text}: the range is empty`);
    args.until = until.text;
  }
  if (p.flags.lines === undefined && (since !== undefined || until !== undefined)) delete args.lines;
}
