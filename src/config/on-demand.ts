// The config parser as the daemon holds it: loaded for a parse, let go right after. yaml and zod
// (and the compiled code of the parser) were ~8 MB of an idle daemon's 63 (100 services), yet
// they are needed only at start-up and at a reload. So the daemon does not import them: it runs
// dist/config-parser.cjs (config/load.ts with yaml and zod, bundled by scripts/bundle.mjs) in a
// function scope of its own, keeps only what the parse returned and the plain-data caches that
// make the next reload incremental (ParseMemory), and lets V8 collect the rest. Loading the
// bundle costs ~15-25 ms, which a reload pays again; `tend check` and tests import load.ts as usual.
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import * as errors from '../core/errors.js';
import type { Spec } from '../core/types.js';
import type * as Load from './load.js';

/** The bundle beside dist/config/ (absent when running from src/, as vitest does). */
export const BUNDLE = fileURLToPath(new URL('../config-parser.cjs', import.meta.url));

/** The one module the bundle takes from the daemon instead of carrying its own copy. */
const SHARED: Record<string, unknown> = { 'tend:errors': errors };

/** Globals zod puts on globalThis; removed with the bundle when they were not there before. */
export const ZOD_GLOBALS = ['__zod_globalConfig', '__zod_globalRegistry'] as const;

type Parser = Pick<typeof Load, 'loadSpecWith' | 'createParseMemory'>;

/** The caches that outlive each load of the parser (plain data: holds no code of the bundle). */
let memory: Load.ParseMemory | undefined;

/** Runs a CommonJS bundle in a fresh module scope; nothing keeps it but the returned exports. */
export function runBundle(path: string): unknown {
  const wrapper = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(path, 'utf8')}\n})`, {
    filename: path,
  }).runInThisContext() as (e: unknown, r: (id: string) => unknown, m: { exports: unknown }, f: string, d: string) => void;
  const module = { exports: {} as unknown };
  const require = (id: string): unknown => {
    if (Object.hasOwn(SHARED, id)) return SHARED[id];
    const builtin = process.getBuiltinModule(id);
    if (builtin === undefined) throw new Error(`${path}: cannot require "${id}" (the bundle may take node built-ins only)`);
    return builtin;
  };
  wrapper(module.exports, require, module, path, dirname(path));
  return module.exports;
}

/** Loads the parser (the bundle when built, else load.ts itself), runs `use`, and lets the parser go. */
export async function withParser<T>(use: (p: Parser) => T, bundle = BUNDLE): Promise<T> {
  if (!existsSync(bundle)) return use(await import('./load.js'));
  const before = ZOD_GLOBALS.filter((g) => g in globalThis);
  try {
    return use(runBundle(bundle) as Parser);
  } finally {
    for (const g of ZOD_GLOBALS) if (!before.includes(g)) delete (globalThis as Record<string, unknown>)[g];
  }
}

/** loadSpec of load.ts, without keeping yaml and zod loaded afterwards (throws the same ConfigError). */
export function loadSpecOnDemand(file: string, bundle = BUNDLE): Promise<Spec> {
  return withParser((p) => {
    memory ??= p.createParseMemory();
    return p.loadSpecWith(file, memory);
  }, bundle);
}
