// A tiny validator for request arguments, checked at the daemon's edge (the connection) before a
// command's handler runs: the daemon keeps no schema library (README "Speed and memory").
import { MAX_TIMER_MS } from '../config/limits.js';
import type { ArgsSchema, Issue } from '../control/protocol.js';

/** Checks one field: undefined when fine, else what was expected. */
export type FieldCheck = (v: unknown) => string | undefined;

const got = (v: unknown): string => (v === undefined ? 'nothing' : (JSON.stringify(v) ?? typeof v));

/** A list of service names. */
export const names: FieldCheck = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : 'expected a list of service names';

/** One service name. */
export const name: FieldCheck = (v) => (typeof v === 'string' && v !== '' ? undefined : `expected a service name; got ${got(v)}`);

/** A list of strings (a command line). */
export const words: FieldCheck = (v) =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')
    ? undefined
    : `expected a list of words; got ${got(v)}`;

/** A non-empty string (a path). */
export const text: FieldCheck = (v) => (typeof v === 'string' && v !== '' ? undefined : `expected a string; got ${got(v)}`);

/** An object of strings (an environment). */
export const stringMap: FieldCheck = (v) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
    ? undefined
    : 'expected an object of strings';

/** A number >= 0 (lines, milliseconds). */
export const count: FieldCheck = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : `expected a non-negative number; got ${got(v)}`;

/** Milliseconds a timer waits: 0 to 24 days (node's timers fire at once past 2^31 ms). */
export const timerMs: FieldCheck = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_TIMER_MS
    ? undefined
    : `expected milliseconds from 0 to ${MAX_TIMER_MS} (24 days); got ${got(v)}`;

/** true or false. */
export const bool: FieldCheck = (v) => (typeof v === 'boolean' ? undefined : `expected true or false; got ${got(v)}`);

/** A signal name or number (the handler says which names exist). */
export const signal: FieldCheck = (v) =>
  typeof v === 'string' || typeof v === 'number' ? undefined : `expected a signal name or number; got ${got(v)}`;

/** The field may be left out (or null). */
export function optional(check: FieldCheck): FieldCheck {
  return (v) => (v === undefined || v === null ? undefined : check(v));
}

/** An args object whose listed fields pass their checks (others are ignored), typed as `T`. */
export function shape<T>(fields: { [K in keyof T]-?: FieldCheck }): ArgsSchema<T> {
  const entries = Object.entries(fields) as Array<[string, FieldCheck]>;
  return {
    safeParse(value) {
      const args = (value ?? {}) as Record<string, unknown>;
      const issues: Issue[] = [];
      for (const [key, check] of entries) {
        const problem = check(args[key]);
        if (problem !== undefined) issues.push({ path: [key], message: problem });
      }
      return issues.length ? { success: false, error: { issues } } : { success: true, data: args as T };
    },
  };
}
