// What start, stop and restart share: the request (names, --timeout, --no-wait), its check, and
// the words of their answers.
import { TendError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import { bool, count, names, optional, shape } from './schema.js';
import type { Parsed } from './command.js';
import { parseTimeout } from './parse.js';

/** The request of start, stop and restart. */
export interface ChangeArgs {
  names: string[];
  /** milliseconds to wait at most (default 60 s; stop 120 s) */
  timeout?: number;
  /** false: answer at once, without waiting */
  wait?: boolean;
}

/** Their request, checked at the daemon's edge. */
export const CHANGE_SCHEMA = shape<ChangeArgs>({ names, timeout: optional(count), wait: optional(bool) });

/** Builds their request from the words. */
export function changeArgs(p: Parsed): ChangeArgs {
  const t = p.flags.timeout;
  return { names: p.positionals, timeout: typeof t === 'string' ? parseTimeout(t) : undefined, wait: !p.flags['no-wait'] };
}

/** What wrong argument counts say for them. */
export const AT_LEAST_ONE = 'at least one service name (or "all")';

/** The instance names, as replies list them. */
export function ids(list: readonly Instance[]): string[] {
  return list.map((i) => i.id);
}

/** A list for people: `a, b`. */
export function list(names: readonly string[]): string {
  return names.join(', ');
}

/** The error of a start that failed: one line an instance, with why. */
export function startFailed(failed: readonly Instance[]): TendError {
  return new TendError('start_failed', failed.map((f) => `${f.id}: ${f.reason}`).join('\n'));
}
