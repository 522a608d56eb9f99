// The config loader: YAML text -> a validated Spec, or a ConfigError naming every problem at once.
import { dirname, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../core/errors.js';
import type { ServiceSpec, Spec } from '../core/types.js';
import { buildService, buildSettings } from './build.js';
import { checkBounds } from './bounds.js';
import { checkDeps, readDeps, type DepEntry } from './deps.js';
import { expected } from './describe.js';
import { hint } from '../core/did-you-mean.js';
import { checkConfigSize, readConfig, readEnvFiles } from './files.js';
import { MAX_INSTANCES, MAX_SERVICES } from './limits.js';
import { Locator, type PathSeg } from './locate.js';
import { splitConfig } from './blocks.js';
import { Problems } from './problems.js';
import { PROBE_FORMS, TOP_KEYS, getSchemas, type RawService, type RawSettings } from './schema.js';
import { prepareSource } from './source.js';
import { lookupIn, readDotEnv, type Lookup } from './variables.js';
import { syntaxProblems } from './yaml-errors.js';
import { MAX_SOCKET_PATH_BYTES as MAX_SOCKET_PATH } from '../core/limits.js';

/** Unix socket paths are limited to sizeof(sun_path) - 1 bytes on Linux. */
export { MAX_SOCKET_PATH };
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Reads and validates a config file; throws ConfigError with every problem found. */
export function loadSpec(file: string): Spec {
  return parseSpec(readConfig(file), file);
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
  const vars = variables(file, opts.env ?? process.env);
  const fast = opts.incremental === false ? undefined : parseIncremental(text, file, memory, vars);
  lastParse.how = fast ? 'incremental' : 'full';
  return fast ?? parseFull(text, file, memory, vars).spec;
}

/**
 * The full parse, with where each key path sits in the file: for `tend check`, which locates what
 * it finds in the spec (a program not on PATH...). Takes no cache, and leaves none.
 */
export function parseLocated(text: string, file: string, opts: { env?: NodeJS.ProcessEnv } = {}): { spec: Spec; at: Locator['at'] } {
  checkConfigSize(text, file);
  const { spec, locator } = parseFull(text, file, createParseMemory(), variables(file, opts.env ?? process.env));
  return { spec, at: (path, o) => locator.at(path, o) };
}

/** The variables of ${VAR}: `env`, then the .env beside the config, read at the first lookup. */
interface Variables {
  lookup: Lookup;
  /** the .env file and its problems, once it was read */
  dotenv(): ReturnType<typeof readDotEnv> | undefined;
}

function variables(file: string, env: NodeJS.ProcessEnv): Variables {
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
  if (doc.errors.length > 0) throw new ConfigError(syntaxProblems(doc.errors, text, file));
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
  for (const p of prepareSource(doc, text, vars.lookup, onUse)) {
    const { line, col } = lines.linePos(p.offset);
    problems.addIn(file, line, col, p.path, p.message);
  }
  const dotenv = vars.dotenv();
  for (const p of dotenv?.problems ?? []) problems.addIn(dotenv!.file, p.line, p.col, [], p.message);
  problems.throwIfAny();

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    // e.g. a merge key (<<) whose source is not a mapping, or an alias bomb
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message: (e as Error).message }]);
  }
  const rawServices = isPlainObject(raw) ? raw.services : undefined;
  const spec = validate(raw, file, problems, memory, {
    order: (services) => fileOrder(doc, services),
    umask: (name, value) => umaskSource(doc.getIn(['services', name, 'umask'], true), value),
  });
  rememberBlocks(
    memory,
    text,
    isPlainObject(rawServices) ? rawServices : {},
    (name, value) => umaskSource(doc.getIn(['services', name, 'umask'], true), value),
    used,
  );
  return { spec, locator };
}

/** How validate learns what only the YAML source knows. */
interface SourceFacts {
  /** service names in file order */
  order(services: Record<string, unknown>): string[];
  /** the umask as written (octal digits), see umaskSource */
  umask(name: string, value: unknown): unknown;
}

/** Everything after YAML: the schema, cross-service checks, building the Spec. */
function validate(raw: unknown, file: string, problems: Problems, memory: ParseMemory, facts: SourceFacts): Spec {
  const absFile = resolve(file);
  const dir = dirname(absFile);
  if (!isPlainObject(raw)) {
    problems.add([], expected('a mapping with settings and services', raw));
    problems.throwIfAny();
  }
  const top = raw as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!(TOP_KEYS as readonly string[]).includes(key)) problems.unknownKey([], key, TOP_KEYS);

  const { settings: settingsSchema } = getSchemas();
  const settingsResult = settingsSchema.safeParse(top.settings, { reportInput: true });
  if (!settingsResult.success) problems.addIssues(['settings'], settingsResult.error.issues);
  const settings = buildSettings(settingsResult.data as RawSettings | undefined, dir);

  const rawServices = top.services;
  const services: ServiceSpec[] = [];
  const graph = new Map<string, { deps: DepEntry[]; type: unknown }>();
  if (!isPlainObject(rawServices) || Object.keys(rawServices).length === 0) {
    problems.add(['services'], expected('a mapping of service names to services, at least one', rawServices));
  } else {
    const count = Object.keys(rawServices).length;
    if (count > MAX_SERVICES) {
      problems.add(['services'], `${count} services, over the limit of ${MAX_SERVICES}`, { key: true });
    }
    for (const name of facts.order(rawServices)) {
      const value = rawServices[name];
      const at = ['services', name];
      if (!NAME.test(name)) {
        problems.add(at, expected('a service name matching [a-z0-9][a-z0-9_-]{0,62}', name), { key: true });
      }
      if (!isPlainObject(value)) {
        problems.add(at, expected('a mapping with at least a command', value));
        graph.set(name, { deps: [], type: undefined });
        continue;
      }
      graph.set(name, { deps: readDeps(value.depends_on), type: value.type });
      const input = { ...value, umask: facts.umask(name, value.umask) };
      if (input.umask === undefined) delete input.umask;
      checkProbeForms(value, at, problems);
      const env = readEnvFiles(value.env_file, file, dir, at, problems);
      const result = parseService(memory.services, input);
      if (!result.success) problems.addIssues(at, result.error.issues);
      else {
        const svc = result.data;
        const b = svc.backoff;
        if (b?.initial !== undefined && b.max !== undefined && b.max < b.initial) {
          problems.add([...at, 'backoff', 'max'], expected(`at least backoff.initial (${b.initial}ms)`, (value.backoff as Record<string, unknown>).max));
        }
        const built = buildService(name, svc, dir, env.vars, env.files);
        checkBounds(built, new Set(Object.keys(svc.env ?? {})), at, problems);
        services.push(built);
      }
    }
  }
  const instances = services.reduce((n, s) => n + s.replicas, 0);
  if (instances > MAX_INSTANCES) {
    problems.add(['services'], `${instances} instances in all (replicas summed over the services), over the limit of ${MAX_INSTANCES}`, { key: true });
  }
  checkDeps(graph, problems);

  const exitWith = isPlainObject(top.settings) ? top.settings.exit_with : undefined;
  if (typeof exitWith === 'string' && exitWith !== '' && isPlainObject(rawServices) && !Object.hasOwn(rawServices, exitWith)) {
    const names = Object.keys(rawServices);
    problems.add(['settings', 'exit_with'], `unknown service ${JSON.stringify(exitWith)}${hint(exitWith, names)}`);
  }
  const socketBytes = Buffer.byteLength(settings.socket);
  if (settingsResult.success && socketBytes > MAX_SOCKET_PATH) {
    problems.add(
      ['settings', 'socket'],
      `socket path ${settings.socket} is ${socketBytes} bytes, over the ${MAX_SOCKET_PATH}-byte limit of Unix sockets; set a shorter settings.socket`,
    );
  }
  problems.throwIfAny();
  return { file: absFile, dir, settings, services };
}

// ---- the schema of one service, cached by input ----------------------------------------------

/** The input as a cache key: JSON, with the numbers JSON cannot say (.inf, .nan) spelled out. */
function inputKey(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? `\u0000${x}` : x));
}

/** A service through zod, or its result from `cache` (a reload revalidates none of the unchanged). */
function parseService(cache: ParseMemory['services'], input: Record<string, unknown>): { success: true; data: RawService } | { success: false; error: { issues: Parameters<Problems['addIssues']>[1] } } {
  const key = inputKey(input);
  const hit = cache.get(key);
  if (hit) return { success: true, data: hit };
  const result = getSchemas().service.safeParse(input, { reportInput: true });
  if (!result.success) return { success: false, error: { issues: result.error.issues } };
  if (cache.size > 20_000) cache.clear();
  cache.set(key, result.data as RawService);
  return { success: true, data: result.data as RawService };
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
const BAILING = { at: (): never => { throw BAIL; } } as unknown as Locator;

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
      if (prepareSource(doc, b.text, vars.lookup, (_p, name, v) => used.push([name, v]), ['services']).length > 0) return undefined;
      const js: unknown = doc.toJS({ maxAliasCount: 1000 });
      if (!isPlainObject(js) || Object.keys(js).length !== 1 || !Object.hasOwn(js, b.name)) return undefined;
      const value = js[b.name];
      facts = { value, umask: umaskSource(doc.getIn([b.name, 'umask'], true), isPlainObject(value) ? value.umask : undefined) };
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
    spec = validate(top, file, problems, memory, {
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

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** YAML 1.2 reads `umask: 022` as the number 22; a umask is octal, so use the digits as written. */
function umaskSource(node: unknown, value: unknown): unknown {
  if (typeof value !== 'number') return value;
  return isScalar(node) && typeof node.source === 'string' && node.source !== '' ? node.source : value;
}

/** A probe needs exactly one of exec | tcp | http | log | fd. */
function checkProbeForms(value: Record<string, unknown>, at: string[], problems: Problems): void {
  for (const which of ['readiness', 'liveness']) {
    const probe = value[which];
    if (!isPlainObject(probe)) continue;
    const forms = PROBE_FORMS.filter((f) => probe[f] !== undefined);
    if (forms.length === 1 && which === 'liveness' && forms[0] === 'fd') {
      // the notification fd says "ready" once; it cannot tell that a process went bad later
      problems.add([...at, which, 'fd'], 'fd is a readiness form only; for liveness use exec, tcp, http or log');
      continue;
    }
    if (forms.length === 1) continue;
    const got = forms.length === 0 ? 'none' : forms.join(' and ');
    const what = forms.length === 0 ? 'one of' : 'exactly one of';
    problems.add([...at, which], `expected ${what} ${PROBE_FORMS.join(', ')}; got ${got}`);
  }
}
