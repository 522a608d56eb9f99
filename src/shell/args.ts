// Command-line words -> positionals and flags. Small and strict: an unknown flag is a usage error.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Flags that take a value, with their long names. */
const VALUE_FLAGS: Record<string, string> = {
  '-n': 'lines',
  '--lines': 'lines',
  '-c': 'config',
  '--config': 'config',
  '--socket': 'socket',
  '--timeout': 'timeout',
};

const BOOL_FLAGS: Record<string, string> = {
  '--json': 'json',
  '-f': 'follow',
  '--follow': 'follow',
  '--dry-run': 'dry-run',
  '--no-wait': 'no-wait',
  '-h': 'help',
  '--help': 'help',
};

export interface Parsed {
  positionals: string[];
  flags: Record<string, string | true>;
}

/** Parses argv; `allowed` lists the long names a command accepts (plus the global ones). */
export function parseArgs(argv: string[], allowed: readonly string[]): Parsed {
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  const ok = new Set([...allowed, 'config', 'socket', 'help']);
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '--') {
      positionals.push(...argv.slice(k + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    const vname = VALUE_FLAGS[key];
    const bname = BOOL_FLAGS[key];
    if (vname && ok.has(vname)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++k];
      if (v === undefined) throw new UsageError(`${key} needs a value`);
      flags[vname] = v;
    } else if (bname && ok.has(bname) && eq < 0) {
      flags[bname] = true;
    } else {
      throw new UsageError(`unknown option ${a}`);
    }
  }
  return { positionals, flags };
}

/** Parses `250ms`, `10s`, `5m`, `1h` or a number of seconds, for --timeout. */
export function parseTimeout(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--timeout: expected a duration like 30s or 2m; got "${v}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}
