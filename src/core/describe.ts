// Words for values users read: exits, durations, sizes, paths. One place writes them (execa's lesson).
import { relative } from 'node:path';
import type { Exit, State } from './types.js';

/**
 * A state as it reads after "is" or "still": `in backoff`; the others are adjectives and read
 * as they are (`is running`, `still pending`).
 */
export function stateWords(s: State): string {
  return s === 'backoff' ? 'in backoff' : s;
}

/** "exited with code 3", "killed by SIGKILL", "could not start: spawn nope ENOENT". */
export function describeExit(exit: Exit): string {
  switch (exit.kind) {
    case 'exited':
      return `exited with code ${exit.code}`;
    case 'signaled':
      return `killed by ${exit.signal}`;
    case 'spawn-error':
      return `could not start: ${exit.message}`;
    case 'lost':
      return 'ended (status unknown: adopted from an earlier tend)';
  }
}

/** The exit code a shell would report: code, 128+signal number, or 127 for a spawn error. */
export function exitCodeOf(exit: Exit, signalNumber: (name: string) => number | undefined): number {
  if (exit.kind === 'exited') return exit.code;
  if (exit.kind === 'signaled') return 128 + (signalNumber(exit.signal) ?? 0);
  return 127;
}

/** Compact human duration: 850ms, 12s, 3m04s, 2h05m, 3d04h. */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.max(1, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/**
 * A limit as it was given (a timeout, an interval, a bound), for "timed out after ...", "within
 * ...": exact, never rounded (3300ms is 3.3s, 1m30.5s stays so; formatDuration rounds an elapsed
 * time down), in the units a duration is written in (durationMs reads it back to the same ms):
 * 250ms, 12s, 1m, 10m, 1m30s, 1h30m, 2d.
 */
export function formatLimit(ms: number): string {
  let left = Math.max(0, Math.round(ms));
  if (left < 1000) return `${left}ms`;
  let out = '';
  for (const [unit, size] of LIMIT_UNITS) {
    if (left < size) continue;
    out += `${Math.floor(left / size)}${unit}`;
    left %= size;
  }
  return left > 0 ? `${out}${left / 1000}s` : out;
}
const LIMIT_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
];

/** 1.5K, 20M, 1.1G (binary units). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['K', 'M', 'G', 'T'];
  let v = n / 1024;
  let i = 0;
  // pick the unit after rounding: 1048575 bytes is 1.0M, not 1024K
  while ((v < 10 ? Math.round(v * 10) / 10 : Math.round(v)) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[i]}`;
}

/** A path for people: relative to the working folder when inside it, else as it is. */
export function shownPath(path: string, cwd: string = process.cwd()): string {
  const r = relative(cwd, path);
  return r && !r.startsWith('..') ? r : path;
}

/**
 * Why: a rejected reload's problems (a config's errors, one a line) as one line, for its journal
 * entry: `tend events` prints one line an entry, and so do the shell's notice and `tend up`. The
 * first problem and how many more: `tend.yaml:3:5: bad (and 2 more problems; tend check lists
 * them)`. `tend reload` and `tend status` print them all.
 */
export function problemsInOneLine(text: string): string {
  const [first = '', ...more] = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (more.length === 0) return first;
  const one = more.length === 1;
  return `${first} (and ${more.length} more problem${one ? '' : 's'}; tend check lists ${one ? 'it' : 'them'})`;
}
