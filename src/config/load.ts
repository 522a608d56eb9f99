// The config loader: YAML text -> a validated Spec, or a ConfigError naming every problem at once.
import { dirname, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../core/errors.js';
import type { Spec } from '../core/types.js';
import { checkConfigSize, readConfig } from './files.js';
import { Locator, type PathSeg } from './locate.js';
import { splitConfig } from './blocks.js';
import { Problems } from './problems.js';
import type { RawService } from './schema.js';
import { prepareSource } from './source.js';
import { substitute, variablesFor, type Lookup, type Variables } from './variables.js';
import { DEFAULTS } from './build.js';
import { isPlainObject, validate, type SourceFacts } from './validate.js';
import { syntaxProblems } from './yaml-errors.js';

/** Unix socket paths are limited to sizeof(sun_path) - 1 bytes on Linux. */
export { MAX_SOCKET_PATH } from './validate.js';

/** Reads and validates a config file; throws ConfigError with every problem found. */
export function loadSpec(file: string): Spec {
  return parseSpec(readConfig(file), file);
}

/**
 * Where `file` puts its logs, read leniently (the YAML alone, no validation): for `tend logs` and
 * `tend events` with no daemon when the config has errors, whose logs are what may explain them.
 * settings.log_dir when the file gives it as a string (its variables substituted), else the
 * default; made absolute against the config's folder, as buildSettings does.
 */
export function logDirOf(file: string, env: NodeJS.ProcessEnv = process.env): string {
  let dir: string = DEFAULTS.logDir;
  try {
    const node = parseDocument(readConfig(file)).getIn(['settings', 'log_dir'], true);
    if (isScalar(node) && typeof node.value === 'string') {
      const got = substitute(node.value, variablesFor(file, env).lookup);
      if ('value' in got && got.value !== '') dir = got.value;
    }
  } catch {
    // unreadable or beyond what yaml can make out: the default
  }
  return resolve(dirname(resolve(file)), dir);
}

/** How a parse may be asked for: no cache (`incremental: false`), another cache, another environment. */
export interface ParseOptions {
  incremental?: boolean;
  memory?: ParseMemory;
  /** where ${VAR} looks first (then the .env beside the config); tend's own environment by default */
  env?: NodeJS.ProcessEnv;
}

/**
 * Validates config text as if read from `file` (env files are still read, relative to its folder).
 * A reload of a file whose layout is plain re-parses only the services whose lines changed (see
 * parseIncremental); anything unusual, and every file with a problem, takes the full parse, which
 * is the one that locates problems.
 */
export function parseSpec(text: string, file: string, opts: ParseOptions = {}): Spec {
  checkConfigSize(text, file);
  const memory = opts.memory ?? ownMemory;
  const vars = variablesFor(file, opts.env ?? process.env);
  const fast = opts.incremental === false ? undefined : parseIncremental(text, file, memory, vars);
  lastParse.how = fast ? 'incremental' : 'full';
  return fast ?? parseFull(text, file, memory, vars).spec;
}

/**
 * The full parse, with where each key path sits in the file: for `tend check`, which locates what
 * it finds in the spec (a program not on PATH...). Takes no cache, and leaves none.
 */
export function parseLocated(
  text: string,
  file: string,
  opts: { env?: NodeJS.ProcessEnv } = {},
): { spec: Spec; at: Locator['at'] } {
  checkConfigSize(text, file);
  const { spec, locator } = parseFull(text, file, createParseMemory(), variablesFor(file, opts.env ?? process.env));
  return { spec, at: (path, o) => locator.at(path, o) };
}

/** loadSpec with the caches in `memory` (the daemon's, which outlives this module: see on-demand.ts). */
export function loadSpecWith(file: string, memory: ParseMemory): Spec {
  return parseSpec(readConfig(file), file, { memory });
}

/**
 * What a parse leaves for the next one: plain data only (strings, objects, arrays, RegExps), so
 * it may be kept by a caller after this module and yaml/zod are let go.
 */
export interface ParseMemory {
  /** the last good parse's service blocks, by their exact text */
  blocks: Map<string, BlockFacts>;
  /** zod results of services that passed, by their input as JSON */
  services: Map<string, RawService>;
}

export function createParseMemory(): ParseMemory {
  return { blocks: new Map(), services: new Map() };
}

/** The memory of callers that bring none (tend check, tests). */
const ownMemory = createParseMemory();

/** Which path the last parseSpec took (for tests and the curious). */
export const lastParse: { how: 'incremental' | 'full' | undefined } = { how: undefined };

/** The whole file through yaml's Document (positions kept for error messages). */
function parseFull(text: string, file: string, memory: ParseMemory, vars: Variables): { spec: Spec; locator: Locator } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: true, merge: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(syntaxProblems(doc.errors, text, file, doc.contents, lines));
  if (doc.contents === null) throw new ConfigError([{ file, line: 0, col: 0, path: '', message: 'empty config' }]);

  const locator = new Locator(doc, lines);
  const problems = new Problems(file, locator);
  // variables, NULs and alias cycles: what toJS would lose, cut, or loop on
  const used = new Map<string, [string, string | undefined][]>();
  const onUse = (path: readonly PathSeg[], name: string, value: string | undefined): void => {
    if (path[0] !== 'services' || typeof path[1] !== 'string') return;
    const list = used.get(path[1]) ?? [];
    list.push([name, value]);
    used.set(path[1], list);
  };
  const early = prepareSource(doc, text, vars.lookup, onUse);
  for (const p of early) {
    const { line, col } = lines.linePos(p.offset);
    problems.addIn(file, line, col, p.path, p.message);
  }
  const dotenv = vars.dotenv();
  for (const p of dotenv?.problems ?? []) problems.addIn(dotenv!.file, p.line, p.col, [], p.message);
  // a value left as written (a variable not set, a NUL) is checked no further, but the rest of
  // the file is: one unset ${VAR} hid every other problem. A cycle stops here: toJS would loop.
  if (early.some((p) => p.cycle)) problems.throwIfAny();
  for (const p of early) problems.mute(p.path);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    // e.g. a merge key (<<) whose source is not a mapping, or an alias bomb
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message: (e as Error).message }]);
  }
  const rawServices = isPlainObject(raw) ? raw.services : undefined;
  const umask = (name: string, value: unknown): unknown => umaskSource(() => doc.getIn(['services', name, 'umask'], true), value);
  const spec = validate(raw, file, problems, memory.services, { order: (services) => fileOrder(doc, services), umask });
  rememberBlocks(memory, text, isPlainObject(rawServices) ? rawServices : {}, umask, used);
  return { spec, locator };
}

// ---- incremental reload ---------------------------------------------------------------------

/** What a service block of the last good parse gave: its value and its umask as written. */
interface BlockFacts {
  value: unknown;
  umask: unknown;
  /** the variables its values looked up, with what they gave: a change of one makes it stale */
  vars?: [name: string, value: string | undefined][];
}

/** After a good full parse: remember each service block, so that a reload can skip it. */
function rememberBlocks(
  memory: ParseMemory,
  text: string,
  services: Record<string, unknown>,
  umask: SourceFacts['umask'],
  used: ReadonlyMap<string, BlockFacts['vars']>,
): void {
  const split = splitConfig(text);
  const next = new Map<string, BlockFacts>();
  if (split) {
    for (const b of split.blocks) {
      const value = Object.hasOwn(services, b.name) ? services[b.name] : undefined;
      const facts: BlockFacts = { value, umask: umask(b.name, isPlainObject(value) ? value.umask : undefined) };
      const vars = used.get(b.name);
      if (vars) facts.vars = vars;
      next.set(b.text, facts);
    }
  }
  memory.blocks = next;
}

/** True when every variable a block looked up still gives what it gave then. */
function fresh(facts: BlockFacts, lookup: Lookup): boolean {
  return !facts.vars || facts.vars.every(([name, value]) => lookup(name) === value);
}

/** Any problem ends the incremental path: the full parse then finds and locates them all. */
class Bail extends Error {}
const BAIL = new Bail('incremental parse gave up');
const BAILING = {
  at: (): never => {
    throw BAIL;
  },
} as unknown as Locator;

/**
 * A reload of a plainly laid out file: the blocks known from the last good parse are taken as
 * they were, only new or edited ones go through yaml, and the zod results of unchanged services
 * are reused. Undefined whenever the full parse must decide (first parse, odd layout, any problem).
 */
function parseIncremental(text: string, file: string, memory: ParseMemory, vars: Variables): Spec | undefined {
  if (memory.blocks.size === 0) return undefined;
  const split = splitConfig(text);
  if (!split) return undefined;
  const next = new Map<string, BlockFacts>();
  const services: Record<string, unknown> = {};
  const order: string[] = [];
  const umasks = new Map<string, unknown>();
  for (const b of split.blocks) {
    let facts = memory.blocks.get(b.text);
    if (facts && !fresh(facts, vars.lookup)) facts = undefined;
    if (!facts) {
      const doc = parseDocument(b.text, { merge: true });
      if (doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
      const used: NonNullable<BlockFacts['vars']> = [];
      if (prepareSource(doc, b.text, vars.lookup, (_p, name, v) => used.push([name, v]), ['services']).length > 0)
        return undefined;
      const js: unknown = doc.toJS({ maxAliasCount: 1000 });
      if (!isPlainObject(js) || Object.keys(js).length !== 1 || !Object.hasOwn(js, b.name)) return undefined;
      const value = js[b.name];
      facts = {
        value,
        umask: umaskSource(() => doc.getIn([b.name, 'umask'], true), isPlainObject(value) ? value.umask : undefined),
      };
      if (used.length > 0) facts.vars = used;
    }
    next.set(b.text, facts);
    services[b.name] = facts.value;
    umasks.set(b.name, facts.umask);
    order.push(b.name);
  }
  const outside = parseDocument(split.outside, { merge: true });
  if (outside.errors.length > 0 || outside.warnings.length > 0) return undefined;
  if (prepareSource(outside, split.outside, vars.lookup).length > 0) return undefined;
  if ((vars.dotenv()?.problems.length ?? 0) > 0) return undefined;
  const top: unknown = outside.toJS({ maxAliasCount: 1000 }) ?? {};
  if (!isPlainObject(top) || Object.hasOwn(top, 'services')) return undefined;
  top.services = services;
  const problems = new Problems(file, BAILING);
  let spec: Spec;
  try {
    spec = validate(top, file, problems, memory.services, {
      order: () => order,
      umask: (name) => umasks.get(name),
    });
  } catch (e) {
    if (e === BAIL || e instanceof ConfigError) return undefined;
    throw e;
  }
  memory.blocks = next;
  return spec;
}

/** Service names in the order of the file (a JS object puts integer-like keys such as "1" first). */
function fileOrder(doc: Document, services: Record<string, unknown>): string[] {
  const node = doc.get('services', true);
  const names = isMap(node) ? node.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key)) : [];
  const inFile = names.filter((n) => Object.hasOwn(services, n));
  return [...new Set([...inFile, ...Object.keys(services)])];
}

/** YAML 1.2 reads `umask: 022` as the number 22; a umask is octal, so use the digits as written. */
function umaskSource(nodeOf: () => unknown, value: unknown): unknown {
  if (typeof value !== 'number') return value;
  // looked up only for a umask written as a number: a lookup walks the services in order, and
  // doing it for each of 500 services cost start-up ~40 ms
  const node = nodeOf();
  return isScalar(node) && typeof node.source === 'string' && node.source !== '' ? node.source : value;
}
