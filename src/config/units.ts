// Durations, sizes, signals and umasks as written in tend.yaml, turned into numbers and names.
import { ValueError, expected } from './describe.js';
import { didYouMean } from '../core/did-you-mean.js';
import { SIGNAL_NAMES, signalName, signalNumber } from '../core/signals.js';

/**
 * The units of a duration, in ms: one table for the config, `--timeout` and `--since`/`--until`,
 * so a duration that works in one place works in the others (docs/config.md, "Value forms").
 */
export const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION_WORDS = 'a duration like 250ms, 10s, 5m, 1h, 1h30m, 2d or a number of seconds';

/**
 * Milliseconds of `250ms`, `1.5s`, `.5s`, `1m30s`, `1h 30m`, `2D` (each part a number and a unit of
 * DURATION_UNITS, any case, spaces around the parts allowed) or, unless `bareSeconds` is false, a
 * plain number of seconds (`90`, `.5`); undefined if not one. The one parser of a duration: the
 * config, `@every`, `--timeout` and `--since`/`--until` all read through it.
 */
export function durationMs(s: string, bareSeconds = true): number | undefined {
  const t = s.trim().toLowerCase();
  if (/^(\d+(\.\d+)?|\.\d+)$/.test(t)) return bareSeconds ? Math.round(Number(t) * 1000) : undefined;
  const part = /\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)/y;
  let total = 0;
  let at = 0;
  let m: RegExpExecArray | null;
  while ((m = part.exec(t)) !== null && Object.hasOwn(DURATION_UNITS, m[2]!)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    at = part.lastIndex;
  }
  return t !== '' && at === t.length ? Math.round(total) : undefined;
}

/** Milliseconds from `250ms`, `1.5s`, `5m`, `1h`, `1m30s`, `2d`, or a plain number of seconds. */
export function parseDuration(v: unknown): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new ValueError(expected(DURATION_WORDS, v));
    return Math.round(v * 1000);
  }
  const ms = typeof v === 'string' ? durationMs(v.trim()) : undefined;
  if (ms === undefined) throw new ValueError(expected(DURATION_WORDS, v));
  return ms;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const SIZE_WORDS = 'a size like 512K, 10M, 1G or a number of bytes';

/** Bytes from `512K`, `10M`, `1G` (also `KB`, `MiB`...; all binary, as systemd and docker read them). */
export function parseSize(v: unknown): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new ValueError(expected(SIZE_WORDS, v));
    return Math.round(v);
  }
  if (typeof v !== 'string') throw new ValueError(expected(SIZE_WORDS, v));
  const m = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|(b)?)$/i.exec(v.trim());
  if (!m) throw new ValueError(expected(SIZE_WORDS, v));
  const unit = (m[2] ?? m[3] ?? '').toLowerCase();
  return Math.round(Number(m[1]) * SIZE_UNITS[unit]!);
}

/** Canonical signal name ("SIGTERM") from `TERM`, `SIGTERM`, `sigterm` or a number like 15. */
export function parseSignal(v: unknown): string {
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v.trim()))) {
    const name = signalName(Number(v));
    if (name === undefined) throw new ValueError(expected('a signal name like SIGTERM or its number', v));
    return name;
  }
  if (typeof v !== 'string') throw new ValueError(expected('a signal name like SIGTERM', v));
  const up = v.trim().toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  if (signalNumber(name) === undefined) {
    // compare without the SIG prefix every name shares, so "NOPE" is not "close" to SIGFPE
    const bare = SIGNAL_NAMES.map((k) => k.slice(3));
    const m = didYouMean(name.slice(3), bare);
    throw new ValueError(expected('a signal name like SIGTERM', v) + (m ? ` (did you mean "SIG${m}"?)` : ''));
  }
  return name;
}

/** A umask: a string of octal digits ("022", "0022", "0o22") or a number taken as is; 0..0o777. */
export function parseUmask(v: unknown): number {
  return parseOctal(v, 'an octal umask like "022"');
}

/** Why: umask and file modes: octal digits as a string, or a number taken as is; 0..0o777 (`words` says which). */
export function parseOctal(v: unknown, words: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^(0o)?[0-7]{1,4}$/i.test(v.trim())) n = parseInt(v.trim().replace(/^0o/i, ''), 8);
  else throw new ValueError(expected(words, v));
  if (!Number.isInteger(n) || n < 0 || n > 0o777) throw new ValueError(expected(words, v));
  return n;
}

/** A user or group: a name, or a uid/gid (a number or a numeric string, made a number). */
export function parseId(v: unknown): string | number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^\d+$/.test(s)) return Number(s);
    if (/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(s)) return s;
  }
  throw new ValueError(expected('a name or a numeric id', v));
}
