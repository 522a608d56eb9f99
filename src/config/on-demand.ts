// The config parser as the daemon holds it: loaded for a parse, let go right after. yaml and zod
// (and the compiled code of the parser) were ~8 MB of an idle daemon's 63 (100 services), yet
// they are needed only at start-up and at a reload. So the daemon does not import them: it runs
// dist/config-parser.cjs (config/load.ts with yaml and zod, bundled by scripts/bundle.mjs) in a
// function scope of its own, keeps only what the parse returned and the plain-data caches that
// make the next reload incremental (ParseMemory), and lets V8 collect the rest. Loading the
// bundle costs ~15-25 ms, which a reload pays again; `tend check` and tests import load.ts as usual.
// A file over WORKER_BYTES is parsed in a worker thread (config/parse-worker.ts) instead: a full
// parse of 1 MiB takes ~1-3 s and ~200 MB, which in the daemon's thread would stop every reply.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { Script } from 'node:vm';
import { Worker } from 'node:worker_threads';
import * as errors from '../core/errors.js';
import type { Spec } from '../core/types.js';
import type * as Load from './load.js';

/** The bundle beside dist/config/ (absent when running from src/, as vitest does). */
export const BUNDLE = fileURLToPath(new URL('../config-parser.cjs', import.meta.url));

/** The one module the bundle takes from the daemon instead of carrying its own copy. */
const SHARED: Record<string, unknown> = { 'tend:errors': errors };

/** Globals zod puts on globalThis; removed with the bundle when they were not there before. */
export const ZOD_GLOBALS = ['__zod_globalConfig', '__zod_globalRegistry'] as const;

type Parser = Pick<typeof Load, 'loadSpecWith' | 'createParseMemory' | 'lastParse' | 'logDirOf'>;

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

/** The worker's script beside this file (absent when running from src/: the parse then stays in this thread). */
export const WORKER = fileURLToPath(new URL('./parse-worker.js', import.meta.url));

/**
 * Config files larger than this are parsed in a worker thread. Measured (2 loaded cores): in this
 * thread a reload's incremental parse of a 64 KiB file takes 25-50 ms and a full parse (the first,
 * or an unusual layout) 150-320 ms, all of it a stop of the loop; at 128 KiB the full one takes up
 * to 730 ms, at 1 MiB 1.2 s. A worker costs 150-450 ms more before the reply (its start and the
 * bundle compiled anew), but stops the loop only to hand over and take back the caches and the
 * Spec: 5-40 ms up to 256 KiB, 35-115 ms at 1 MiB. (Measured in a plain node; the daemon runs V8
 * without its optimizing compiler, daemon/memory.ts, and there a parse takes 2-3x as long, in
 * either thread: 6-8 s for the full parse of 1 MiB on a loaded machine.)
 */
export const WORKER_BYTES = 64 * 1024;

/** At start-up (`tend up`) nothing waits on the loop: the worker only for a file this large (its heap bound). */
export const START_WORKER_BYTES = 256 * 1024;

/** The heap a parse worker may take (yaml needs ~200 MB for a 1 MiB file); past it the worker alone ends. */
const WORKER_HEAP_MB = 1024;

/** What the parse worker is handed (structured clone). */
export interface WorkerRequest {
  file: string;
  bundle: string;
  memory: Load.ParseMemory | undefined;
}

/** What it posts back: plain data only. */
export type WorkerReply =
  | { spec: Spec; memory: Load.ParseMemory; how: Parse['how'] }
  | { problems: errors.ConfigProblem[] }
  | { error: string };

/** Where and when a parse runs: for tests (the defaults are the built files and WORKER_BYTES). */
export interface OnDemandOptions {
  bundle?: string;
  worker?: string;
  workerBytes?: number;
}

/** How a parse went: in which thread (or handed over by `tend up -d`), and whether load.ts took its incremental path. */
type Parse = { in: 'thread' | 'worker' | 'handed' | undefined; how: (typeof Load.lastParse)['how'] };

/** How the last parse went (for tests and the curious). */
export const lastLoad: Parse = { in: undefined, how: undefined };

/**
 * loadSpec of load.ts, without keeping yaml and zod loaded afterwards (throws the same ConfigError).
 * A large file is parsed in a worker thread, so that the loop goes on answering meanwhile.
 */
export async function loadSpecOnDemand(file: string, opts: OnDemandOptions = {}): Promise<Spec> {
  const bundle = opts.bundle ?? BUNDLE;
  const worker = opts.worker ?? WORKER;
  if (sizeOf(file) > (opts.workerBytes ?? WORKER_BYTES) && existsSync(bundle) && existsSync(worker)) {
    const got = await parseInWorker(worker, { file, bundle, memory });
    memory = got.memory;
    Object.assign(lastLoad, { in: 'worker', how: got.how });
    return got.spec;
  }
  return withParser((p) => {
    memory ??= p.createParseMemory();
    const spec = p.loadSpecWith(file, memory);
    Object.assign(lastLoad, { in: 'thread', how: p.lastParse.how });
    return spec;
  }, bundle);
}

/**
 * Why: `tend up -d` parses the file before it starts the daemon (a broken file is told at once,
 * and nothing starts), and the daemon parsed it again: ~0.2-0.4 s of a 100-service `up -d` on a
 * loaded 2-core machine, twice. The client's parse (the last loadSpecOnDemand of `file`, which
 * gave `spec`) as bytes for the daemon: the Spec and the caches of the parse, plain data, as the
 * parse worker posts them (commands/detach.ts hands them over on a pipe).
 */
export function parseHandoff(file: string, spec: Spec): Uint8Array {
  return serialize({ file, spec, memory, since: performance.timeOrigin } satisfies Handoff);
}

/** What parseHandoff carries. */
interface Handoff {
  file: string;
  spec: Spec;
  memory: Load.ParseMemory | undefined;
  /** when the client began (ms since the epoch): the file was read after it */
  since: number;
}

/**
 * The daemon's side of parseHandoff: the Spec of `file` its `tend up -d` parsed, with the caches
 * that keep its reloads incremental; undefined when `bytes` are not such a parse (cut short: the
 * caller then parses the file itself).
 */
export function takeHandoff(bytes: Uint8Array, file: string): Spec | undefined {
  let got: Partial<Handoff>;
  try {
    got = deserialize(bytes) as Partial<Handoff>;
  } catch {
    return undefined;
  }
  if (got?.file !== file || typeof got.spec !== 'object' || got.spec === null || !Array.isArray(got.spec.services)) {
    return undefined;
  }
  // an edit made after the client read the file: the daemon's watch, armed later, sees only edits
  // after this process began (daemon/reload.ts), so the file is read again here (an edit 0.2 s
  // after `tend up -d` was lost for good)
  if (typeof got.since !== 'number' || modifiedSince(file, got.since, true)) return undefined;
  memory = got.memory;
  Object.assign(lastLoad, { in: 'handed', how: undefined });
  return got.spec;
}

/** logDirOf of load.ts (the log folder of a config that has errors), through the bundle as above. */
export function logDirOnDemand(file: string, bundle = BUNDLE): Promise<string> {
  return withParser((p) => p.logDirOf(file), bundle);
}

/** The file's size, or 0 when it cannot be told (the parse then says why it cannot read it). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Runs one parse in a worker thread, which ends after it: its heap is gone with it. */
function parseInWorker(script: string, req: WorkerRequest): Promise<Extract<WorkerReply, { spec: Spec }>> {
  return new Promise((resolve, reject) => {
    const w = new Worker(script, { workerData: req, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    let reply: WorkerReply | undefined;
    w.once('message', (m: WorkerReply) => (reply = m));
    w.once('error', (e) => {
      reply ??= { error: e.message };
    });
    w.once('exit', (code) => {
      // a worker that failed (out of its heap, a bug) is this file's problem: the running config stays
      const fail = (why: string): void =>
        reject(
          new errors.ConfigError([{ file: req.file, line: 0, col: 0, path: '', message: `cannot parse the config: ${why}` }]),
        );
      if (reply === undefined) fail(`the parser ended (exit code ${code}) without an answer`);
      else if ('spec' in reply) resolve(reply);
      else if ('problems' in reply) reject(new errors.ConfigError(reply.problems));
      else fail(reply.error);
    });
  });
}

/**
 * Whether `file` was modified at or after `time` (ms since the epoch): an edit made after a parse
 * began, which a watch armed later does not see (here, and daemon/reload.ts); `unreadable` when
 * it cannot be stat'ed.
 */
export function modifiedSince(file: string, time: number, unreadable: boolean): boolean {
  try {
    return statSync(file).mtimeMs >= time;
  } catch {
    return unreadable;
  }
}
