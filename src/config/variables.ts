// Variables in config values, as docker compose reads them: ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message}, ${VAR?message}, ${VAR:+other}, ${VAR+other}, and $$ for a literal $. They come
// from tend's environment, then from the .env file beside the config (the environment wins).
// Unlike compose, a bare $VAR stays as written (shell commands keep their $1, $HOME, $!), and a
// ${VAR} that is not set is an error rather than an empty string.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseEnvFile, type EnvFileProblem } from './env-file.js';
import { reason } from './files.js';

/** The value of a variable, undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

/** A bad reference: `text` is the reference as written (to find it in the source), `at` its index. */
export interface SubstitutionError {
  at: number;
  text: string;
  message: string;
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

class Bad extends Error {
  constructor(
    readonly at: number,
    readonly end: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `s` with its variables replaced. `used` hears every variable looked up, with what it gave (so a
 * cache can tell that a value would now read differently). Only a `$$` or a `${` is special.
 */
export function substitute(
  s: string,
  lookup: Lookup,
  used?: (name: string, value: string | undefined) => void,
): { value: string } | { error: SubstitutionError } {
  if (!s.includes('$')) return { value: s };
  const get = (name: string): string | undefined => {
    const v = lookup(name);
    used?.(name, v);
    return v;
  };
  try {
    return { value: expand(s, 0, false, true, get).out };
  } catch (e) {
    if (!(e instanceof Bad)) throw e;
    return { error: { at: e.at, text: s.slice(e.at, e.end), message: e.message } };
  }
}

/**
 * Reads from `i` to the end of `s` (or to the `}` that closes a default when `nested`); `live`
 * false only finds the end (a default that is not used is not looked into, as in a shell).
 */
function expand(s: string, i: number, nested: boolean, live: boolean, get: Lookup): { out: string; end: number } {
  let out = '';
  while (i < s.length) {
    const c = s[i]!;
    if (nested && c === '}') return { out, end: i };
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const r = reference(s, i, live, get);
      out += r.out;
      i = r.end;
    } else {
      out += '$';
      i++;
    }
  }
  if (nested) throw new Bad(i, s.length, 'no closing "}"');
  return { out, end: i };
}

/** One `${...}` starting at `start` (the `$`); `end` is just past its `}`. */
function reference(s: string, start: number, live: boolean, get: Lookup): { out: string; end: number } {
  NAME.lastIndex = start + 2;
  const m = NAME.exec(s);
  const closing = s.indexOf('}', start);
  const shown = (end: number) => s.slice(start, end);
  if (!m) {
    const end = closing < 0 ? s.length : closing + 1;
    throw new Bad(
      start,
      end,
      `invalid variable reference ${JSON.stringify(shown(end))}: expected a name like FOO_1 after "\${" (write $$ for a literal $)`,
    );
  }
  const name = m[0];
  let k = NAME.lastIndex;
  if (s[k] === '}') {
    if (!live) return { out: '', end: k + 1 };
    const v = get(name);
    if (v === undefined) {
      throw new Bad(
        start,
        k + 1,
        `variable ${name} is not set: set it in tend's environment or in .env beside the config, give a default (\${${name}:-value}), or write $\${${name}} to leave it to the service's shell`,
      );
    }
    return { out: v, end: k + 1 };
  }
  const colon = s[k] === ':';
  if (colon) k++;
  const op = s[k];
  if (op !== '-' && op !== '?' && op !== '+') {
    const end = closing < 0 ? s.length : closing + 1;
    throw new Bad(
      start,
      end,
      `invalid variable reference ${JSON.stringify(shown(end))}: expected }, :-, -, :?, ?, :+ or + after the name`,
    );
  }
  let body: { out: string; end: number };
  try {
    // the word after the operator may hold references of its own; it is read only when used
    const v = live ? get(name) : undefined;
    const unset = v === undefined || (colon && v === '');
    const wanted = live && ((op === '-' && unset) || (op === '+' && !unset));
    body = expand(s, k + 1, true, wanted, get);
    if (!live) return { out: '', end: body.end + 1 };
    const end = body.end + 1;
    if (op === '?') {
      if (!unset) return { out: v!, end };
      const why = v === undefined ? 'is not set' : 'is empty';
      const msg = s.slice(k + 1, body.end);
      throw new Bad(start, end, `required variable ${name} ${why}${msg ? `: ${msg}` : ''}`);
    }
    if (op === '-') return { out: unset ? body.out : v!, end };
    return { out: unset ? '' : body.out, end };
  } catch (e) {
    if (e instanceof Bad && e.at >= s.length) {
      throw new Bad(start, s.length, `unterminated variable reference ${JSON.stringify(shown(s.length))}: no closing "}"`);
    }
    throw e;
  }
}

/** The .env file of a config: beside it. The daemon watches it as it watches env_files. */
export function dotEnvPath(configFile: string): string {
  return join(dirname(resolve(configFile)), '.env');
}

/** The variables of the `.env` file in `dir` (none when it does not exist), and its bad lines. */
export function readDotEnv(dir: string): { file: string; vars: Record<string, string>; problems: EnvFileProblem[] } {
  const file = join(dir, '.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { file, vars: {}, problems: [] };
    return {
      file,
      vars: {},
      problems: [{ line: 0, col: 0, message: `cannot read .env (the variables of the config): ${reason(e)}` }],
    };
  }
  return { file, ...parseEnvFile(text) };
}

/** tend's environment first, then `dotenv`; own keys only (a variable named "constructor" is a name). */
export function lookupIn(env: NodeJS.ProcessEnv, dotenv: Record<string, string>): Lookup {
  return (name) => (Object.hasOwn(env, name) ? env[name] : Object.hasOwn(dotenv, name) ? dotenv[name] : undefined);
}

/** The variables of a config `file`: `env`, then the .env beside it, read at the first lookup. */
export interface Variables {
  lookup: Lookup;
  /** the .env file and its problems, once it was read */
  dotenv(): ReturnType<typeof readDotEnv> | undefined;
}

/** The Variables of one parse: .env is read only if a value has a ${...} (it may be an app's own file). */
export function variablesFor(file: string, env: NodeJS.ProcessEnv): Variables {
  let dotenv: ReturnType<typeof readDotEnv> | undefined;
  let lookup: Lookup | undefined;
  return {
    lookup: (name) => {
      if (!lookup) {
        dotenv = readDotEnv(dirname(resolve(file)));
        lookup = lookupIn(env, dotenv.vars);
      }
      return lookup(name);
    },
    dotenv: () => dotenv,
  };
}
