// The config loader: YAML text -> a validated Spec, or a ConfigError naming every problem at once.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../core/errors.js';
import type { ServiceSpec, Spec } from '../core/types.js';
import { buildService, buildSettings } from './build.js';
import { checkDeps, readDeps, type DepEntry } from './deps.js';
import { expected } from './describe.js';
import { hint } from '../core/did-you-mean.js';
import { parseEnvFile } from './env-file.js';
import { Locator } from './locate.js';
import { splitConfig } from './blocks.js';
import { Problems } from './problems.js';
import { PROBE_FORMS, TOP_KEYS, getSchemas, type RawService, type RawSettings } from './schema.js';
import { MAX_SOCKET_PATH_BYTES as MAX_SOCKET_PATH } from '../core/limits.js';

/** Unix socket paths are limited to sizeof(sun_path) - 1 bytes on Linux. */
export { MAX_SOCKET_PATH };
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Reads and validates a config file; throws ConfigError with every problem found. */
export function loadSpec(file: string): Spec {
  return parseSpec(readConfig(file), file);
}

function readConfig(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message: `cannot read config: ${reason(e)}` }]);
  }
}

/**
 * Validates config text as if read from `file` (env files are still read, relative to its folder).
 * A reload of a file whose layout is plain re-parses only the services whose lines changed (see
 * parseIncremental); anything unusual, and every file with a problem, takes the full parse, which
 * is the one that locates problems.
 */
export function parseSpec(text: string, file: string, opts: { incremental?: boolean; memory?: ParseMemory } = {}): Spec {
  const memory = opts.memory ?? ownMemory;
  const fast = opts.incremental === false ? undefined : parseIncremental(text, file, memory);
  lastParse.how = fast ? 'incremental' : 'full';
  return fast ?? parseFull(text, file, memory);
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
function parseFull(text: string, file: string, memory: ParseMemory): Spec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: true, merge: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0].line ?? 0,
        col: e.linePos?.[0].col ?? 0,
        path: '',
        message: e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim(),
      })),
    );
  }
  if (doc.contents === null) throw new ConfigError([{ file, line: 0, col: 0, path: '', message: 'empty config' }]);

  const problems = new Problems(file, new Locator(doc, lines));
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
  rememberBlocks(memory, text, isPlainObject(rawServices) ? rawServices : {}, (name, value) =>
    umaskSource(doc.getIn(['services', name, 'umask'], true), value),
  );
  return spec;
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
        services.push(buildService(name, svc, dir, env.vars, env.files));
      }
    }
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
}

/** After a good full parse: remember each service block, so that a reload can skip it. */
function rememberBlocks(memory: ParseMemory, text: string, services: Record<string, unknown>, umask: SourceFacts['umask']): void {
  const split = splitConfig(text);
  const next = new Map<string, BlockFacts>();
  if (split) {
    for (const b of split.blocks) {
      const value = services[b.name];
      next.set(b.text, { value, umask: umask(b.name, isPlainObject(value) ? value.umask : undefined) });
    }
  }
  memory.blocks = next;
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
function parseIncremental(text: string, file: string, memory: ParseMemory): Spec | undefined {
  if (memory.blocks.size === 0) return undefined;
  const split = splitConfig(text);
  if (!split) return undefined;
  const next = new Map<string, BlockFacts>();
  const services: Record<string, unknown> = {};
  const order: string[] = [];
  const umasks = new Map<string, unknown>();
  for (const b of split.blocks) {
    let facts = memory.blocks.get(b.text);
    if (!facts) {
      const doc = parseDocument(b.text, { merge: true });
      if (doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
      const js: unknown = doc.toJS({ maxAliasCount: 1000 });
      if (!isPlainObject(js) || Object.keys(js).length !== 1 || !Object.hasOwn(js, b.name)) return undefined;
      const value = js[b.name];
      facts = { value, umask: umaskSource(doc.getIn([b.name, 'umask'], true), isPlainObject(value) ? value.umask : undefined) };
    }
    next.set(b.text, facts);
    services[b.name] = facts.value;
    umasks.set(b.name, facts.umask);
    order.push(b.name);
  }
  const outside = parseDocument(split.outside, { merge: true });
  if (outside.errors.length > 0 || outside.warnings.length > 0) return undefined;
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

/**
 * Reads env files in order (later ones win), reporting unreadable files and bad lines. Reads the raw
 * env_file value leniently, so a file is checked even when another key of the service is bad.
 */
function readEnvFiles(
  value: unknown,
  file: string,
  dir: string,
  at: string[],
  problems: Problems,
): { vars: Record<string, string>; files: string[] } {
  const entries: { p: string; where: (string | number)[] }[] = [];
  if (typeof value === 'string' && value !== '') entries.push({ p: value, where: [...at, 'env_file'] });
  else if (Array.isArray(value)) {
    value.forEach((p, i) => {
      if (typeof p === 'string' && p !== '') entries.push({ p, where: [...at, 'env_file', i] });
    });
  }
  const vars: Record<string, string> = Object.create(null); // `__proto__` is a variable name too
  const files: string[] = [];
  for (const { p, where } of entries) {
    const abs = resolve(dir, p);
    files.push(abs);
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (e) {
      problems.add(where, `cannot read env file ${JSON.stringify(p)}: ${reason(e)}`);
      continue;
    }
    const parsed = parseEnvFile(text);
    const shown = isAbsolute(p) ? p : join(dirname(file), p);
    for (const bad of parsed.problems) problems.addIn(shown, bad.line, bad.col, where, bad.message);
    Object.assign(vars, parsed.vars);
  }
  return { vars, files };
}

/** A short reason from an fs error: "no such file or directory". */
function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const byCode: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'a part of the path is not a directory',
  };
  return (err.code && byCode[err.code]) ?? err.message ?? String(e);
}
