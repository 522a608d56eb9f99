// Reads env files: KEY=VALUE lines, `#` comments, `export ` prefixes, quotes (docker/dotenv style).

/** One bad line of an env file (line is 1-based). */
export interface EnvFileProblem {
  line: number;
  col: number;
  message: string;
}

/** Why a value with a NUL character is refused (here, in config values and in env files alike). */
export const NUL_MESSAGE = 'a NUL character ("\\0") cannot be passed to a process (the value would end at it)';

/** obj[key] = value as an own property, even for a key like "__proto__". */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$' };

/** Parses env file text; bad lines are reported, the good ones kept. Later lines win. */
export function parseEnvFile(text: string): { vars: Record<string, string>; problems: EnvFileProblem[] } {
  const vars: Record<string, string> = Object.create(null); // `__proto__` is a variable name too
  const problems: EnvFileProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const body = trimmed.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    if (eq < 0) {
      problems.push({ line, col: 1, message: `expected KEY=VALUE; got ${JSON.stringify(trimmed)}` });
      return;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY.test(key)) {
      problems.push({ line, col: raw.indexOf(key) + 1 || 1, message: `expected a variable name; got ${JSON.stringify(key)}` });
      return;
    }
    const value = parseValue(body.slice(eq + 1).trim());
    if (typeof value !== 'string') {
      problems.push({ line, col: raw.indexOf('=') + 2, message: value.error });
      return;
    }
    if (value.includes('\0')) {
      problems.push({ line, col: raw.indexOf('=') + 2, message: NUL_MESSAGE });
      return;
    }
    setOwn(vars, key, value);
  });
  return { vars, problems };
}

/** The value part: quotes stripped, escapes of double quotes applied, ` #comment` cut from bare values. */
function parseValue(v: string): string | { error: string } {
  const q = v[0];
  if (q === "'" || q === '"') {
    let out = '';
    for (let i = 1; i < v.length; i++) {
      const c = v[i]!;
      if (c === q) {
        const rest = v.slice(i + 1).trim();
        if (rest === '' || rest.startsWith('#')) return out;
        return { error: `unexpected text after the closing quote: ${JSON.stringify(rest)}` };
      }
      if (q === '"' && c === '\\' && i + 1 < v.length) {
        const next = v[++i]!;
        out += ESCAPES[next] ?? `\\${next}`;
      } else out += c;
    }
    return { error: `unterminated ${q === '"' ? 'double' : 'single'}-quoted value` };
  }
  const hash = v.search(/\s#/);
  return (hash >= 0 ? v.slice(0, hash) : v).trim();
}
