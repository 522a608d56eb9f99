// Command-line words -> positionals and flags, from the command's own flag list. Small and strict:
// an unknown flag or a wrong number of arguments is a usage error naming what was expected.
import type { CommandSpec, FlagSpec, Parsed } from './command.js';
import { MAX_TIMER_MS } from '../config/limits.js';
import { durationMs } from '../config/units.js';
import { HELP_FLAG } from './flags.js';
import { didYouMean } from '../core/did-you-mean.js';

/** A mistake in the command line: exit code 2, with the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function flagOf(flags: readonly FlagSpec[], word: string): FlagSpec | undefined {
  if (word.startsWith('--')) return flags.find((f) => f.name === word.slice(2));
  return word.length === 2 ? flags.find((f) => f.short === word[1]) : undefined;
}

/**
 * Splits `argv` by the command's flags (and -h/--help, which every command takes). `--` ends the
 * flags; `-5` and `-` are positionals. Does not check the number of positionals: see checkArgs,
 * so that `tend logs --help` shows help instead of "expected a service name".
 */
export function parseWords(cmd: CommandSpec, argv: readonly string[]): Parsed {
  const positionals: string[] = [];
  const flags: Parsed['flags'] = {};
  let rest: string[] | undefined;
  const known = [...cmd.flags, HELP_FLAG];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '--') {
      positionals.push(...argv.slice(k + 1));
      rest = argv.slice(k + 1);
      break;
    }
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) {
      positionals.push(a);
      continue;
    }
    if (!a.startsWith('--') && a.length > 2 && a[2] !== '=') {
      k = cluster(known, a, argv, k, flags);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    const flag = flagOf(known, key);
    if (flag?.value) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++k];
      if (v === undefined) throw new UsageError(`${key} needs a value`);
      // an empty path would resolve to the current folder (`--socket ""`)
      if (v === '' && (flag.value.kind === 'file' || flag.value.kind === 'path'))
        throw new UsageError(`${key}: the path is empty`);
      flags[flag.name] = v;
    } else if (flag && eq < 0) {
      flags[flag.name] = true;
    } else {
      // `--jsn`: the flag it likely is, among this command's
      const near = key.startsWith('--')
        ? didYouMean(
            key.slice(2),
            known.map((f) => f.name),
          )
        : undefined;
      throw new UsageError(`unknown option ${a}${near === undefined ? '' : ` (did you mean --${near}?)`}`);
    }
  }
  return rest === undefined ? { positionals, flags } : { positionals, flags, rest };
}

/**
 * Short flags written together, as getopt takes them: `-ft` is `-f -t`, `-n20` is `-n 20`, and
 * `-fn 20` or `-fn20` is `-f -n 20` (a flag that takes a value takes the rest of the word, or the
 * next word). Returns the index of the last word it used.
 */
function cluster(known: readonly FlagSpec[], word: string, argv: readonly string[], k: number, flags: Parsed['flags']): number {
  for (let i = 1; i < word.length; i++) {
    const flag = known.find((f) => f.short === word[i]);
    if (!flag) {
      // `-json` for `--json`: said so
      const long = known.some((f) => f.name === word.slice(1)) ? ` (did you mean -${word}?)` : '';
      throw new UsageError(i === 1 ? `unknown option ${word}${long}` : `unknown option -${word[i]} in ${word}${long}`);
    }
    if (!flag.value) {
      flags[flag.name] = true;
      continue;
    }
    // the rest of the word (`-n20`, `-fn=20`), else the next word
    const v = i + 1 < word.length ? word.slice(word[i + 1] === '=' ? i + 2 : i + 1) : argv[++k];
    if (v === undefined) throw new UsageError(`-${word[i]} needs a value`);
    flags[flag.name] = v;
    return k;
  }
  return k;
}

/** The fewest and most positionals a command takes. */
export function argCount(cmd: CommandSpec): { min: number; max: number } {
  const last = cmd.args[cmd.args.length - 1];
  return { min: cmd.args.filter((a) => !a.optional).length, max: last?.repeat ? Infinity : cmd.args.length };
}

/** Throws a UsageError when the number of positionals does not fit the command. */
export function checkArgs(cmd: CommandSpec, p: Parsed): void {
  const { min, max } = argCount(cmd);
  const n = p.positionals.length;
  if (n >= min && n <= max) return;
  const expected = cmd.expects ?? (max === 0 ? 'no arguments' : cmd.args.map((a) => a.name).join(' '));
  // too many: say which words are one too many (`tend completion bash extra`)
  const over = p.positionals.slice(max).map((w) => JSON.stringify(w));
  const extra =
    n <= max
      ? ''
      : over.length === 1
        ? `; ${over[0]} is one word too many`
        : `; ${over.join(' ')} are ${over.length} words too many`;
  throw new UsageError(`${cmd.name}: expected ${expected}${extra}`);
}

/** The usage line: `logs NAME... [-n N] [-f] [--json]`; `cliOnly` flags only when `cli`. */
export function usageOf(cmd: CommandSpec, cli = true): string {
  const words = [cmd.name];
  for (const a of cmd.args) {
    const w = a.repeat ? `${a.name}...` : a.name;
    words.push(a.optional ? `[${w}]` : w);
  }
  for (const f of cmd.flags) {
    if (f.cliOnly && (!cli || cmd.where !== 'cli')) continue; // -c/--socket of a socket command: in its help, not its usage
    const name = f.short ? `-${f.short}` : `--${f.name}`;
    words.push(`[${name}${f.value ? ` ${f.value.label}` : ''}]`);
  }
  return words.join(' ');
}

/** A whole number of a flag (-n), or undefined when not given. */
export function countFlag(p: Parsed, name: string, shown: string): number | undefined {
  const v = p.flags[name];
  if (v === undefined) return undefined;
  // digits only: Number() also takes "0x10", "1e3", "+5", " 5" and "" (0)
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${shown}: expected a whole number; got "${String(v)}"`);
  return n;
}

/**
 * Parses `250ms`, `10s`, `5m`, `1h`, `1h30m`, `2d` or a number of seconds, for --timeout; milliseconds.
 * At most 24 days, the longest a timer waits (a longer one would fire at once: node's timers stop at
 * 2^31 ms).
 */
export function parseTimeout(v: string): number {
  // the config's durations (`1m30s`, `2d` too), so that a value that works there, or in --since, works here
  const ms = durationMs(v.trim());
  if (ms === undefined) throw new UsageError(`--timeout: expected a duration like 30s, 2m, 1m30s or 2d; got "${v}"`);
  if (ms > MAX_TIMER_MS) throw new UsageError(`--timeout: at most 24 days (576h); got "${v}"`);
  // a wait of nothing fails at once ("timed out after 0ms"): not waiting is --no-wait
  if (ms === 0) throw new UsageError(`--timeout: expected more than 0 (--no-wait does not wait); got "${v}"`);
  return ms;
}
