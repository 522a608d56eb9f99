// A docker compose file -> a draft: what a process on this machine can keep of each service
// (command and entrypoint, environment, env_file, depends_on, restart, healthcheck, working_dir,
// user, replicas); the rest (image, ports, volumes, networks, build...) is listed as dropped.
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { splitWords } from '../commands/words.js';
import type { Condition, Draft, DraftProbe, DraftService } from './draft.js';
import { nameAll } from './draft.js';

/** The service keys this converter reads; every other key is reported as dropped. */
const READ = new Set([
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'depends_on',
  'restart',
  'healthcheck',
  'working_dir',
  'user',
  'scale',
  'deploy',
]);
/** Top-level keys that need no word: the file's own bookkeeping (x-* extensions are anchors' homes). */
const QUIET_TOP = new Set(['version', 'name', 'services']);

const CONDITIONS: Record<string, Condition> = {
  service_started: 'started',
  service_healthy: 'healthy',
  service_completed_successfully: 'completed',
};

const RESTARTS: Record<string, DraftService['restart']> = {
  no: 'never',
  always: 'always',
  'on-failure': 'on-failure',
  'unless-stopped': 'always',
};

/** A compose file's services; `file` is its path (env_file paths are relative to its folder), `outDir` the new config's folder. */
export function fromCompose(text: string, source: string, file: string, outDir: string): Draft {
  const doc = parse(text, { merge: true, maxAliasCount: 1000 }) as unknown;
  if (!isMap(doc) || !isMap(doc.services) || Object.keys(doc.services).length === 0) {
    throw new Error(`${source}: no services found (expected a compose file with a services: mapping)`);
  }
  const notes: string[] = [];
  const dropped: string[] = [];
  const top = Object.keys(doc).filter((k) => !QUIET_TOP.has(k) && !k.startsWith('x-'));
  if (top.length) dropped.push(`top level: ${top.join(', ')}`);

  const raws = Object.keys(doc.services);
  const named = nameAll(raws, notes);
  const nameOf = new Map(raws.map((r, k) => [r, named[k]!]));
  const srcDir = dirname(resolve(file));
  const services: DraftService[] = [];
  const skipped = new Set<string>();
  raws.forEach((raw, k) => {
    const name = named[k]!;
    const svc = isMap(doc.services[raw]) ? doc.services[raw] : {};
    const left = Object.keys(svc).filter((key) => !READ.has(key));
    const command = commandOf(svc.entrypoint, svc.command);
    if (!command) {
      skipped.add(raw);
      const image = typeof svc.image === 'string' ? ` (image ${svc.image} runs its own)` : '';
      notes.push(`${name}: left out: no command or entrypoint${image}; add it by hand with the command that runs it here`);
      return;
    }
    const s: DraftService = { name, ...(name !== raw ? { was: raw } : {}), command };
    if (typeof svc.working_dir === 'string') {
      s.cwd = svc.working_dir;
      notes.push(`${name}: cwd ${svc.working_dir} was the folder inside the container; check it exists here`);
    }
    userOf(svc.user, s);
    const env = envOf(svc.environment, name, notes);
    if (env) s.env = env;
    const files = envFiles(svc.env_file, srcDir, outDir, name, notes);
    if (files.length) s.env_file = files;
    restartOf(svc, s, name, notes);
    const probe = probeOf(svc.healthcheck, name, notes);
    if (probe) s.readiness = probe;
    const replicas = replicasOf(svc);
    if (replicas !== undefined) s.replicas = replicas;
    if (isMap(svc.deploy)) {
      const rest = Object.keys(svc.deploy).filter((key) => key !== 'replicas' && key !== 'restart_policy');
      if (rest.length) left.push(...rest.map((key) => `deploy.${key}`));
    }
    if (JSON.stringify(command).includes('$'))
      notes.push(`${name}: the command holds $: compose replaced \${VAR} and $$ before running it`);
    if (left.length) dropped.push(`${name}: ${left.join(', ')}`);
    services.push(s);
  });

  // dependencies, once every name is known; a service others wait for to complete is a oneshot
  raws.forEach((raw) => {
    const svc = doc.services[raw];
    if (skipped.has(raw) || !isMap(svc)) return;
    const s = services.find((x) => x.name === nameOf.get(raw))!;
    const deps: Record<string, Condition> = {};
    for (const [target, cond] of depsOf(svc.depends_on)) {
      if (!nameOf.has(target) || skipped.has(target)) {
        notes.push(`${s.name}: depends_on ${target} left out (${nameOf.has(target) ? 'it is left out too' : 'no such service'})`);
        continue;
      }
      const t = nameOf.get(target)!;
      deps[t] = cond;
      if (cond === 'completed') {
        const ts = services.find((x) => x.name === t)!;
        if (!ts.type) notes.push(`${t}: type oneshot (${s.name} waits for it to complete)`);
        ts.type = 'oneshot';
      }
    }
    if (Object.keys(deps).length) s.depends_on = deps;
  });
  // a oneshot that compose would not restart: tend's oneshot default (never) says the same
  for (const s of services) if (s.type === 'oneshot' && s.restart === 'never' && s.restartNote === DEFAULT_NOTE) delete s.restart;
  return { source, services, dropped, notes };
}

function isMap(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** entrypoint + command: a lone string stays a string (run by /bin/sh -c); anything else an argv. */
function commandOf(entrypoint: unknown, command: unknown): string | string[] | undefined {
  const ep = entrypoint ?? undefined;
  const cmd = command ?? undefined;
  if (ep === undefined && typeof cmd === 'string') return cmd.trim() ? cmd : undefined;
  if (cmd === undefined && typeof ep === 'string') return ep.trim() ? ep : undefined;
  // compose splits a string command as a shell line: quotes group, \ escapes
  const words = (v: unknown): string[] => (typeof v === 'string' ? splitWords(v) : Array.isArray(v) ? v.map(String) : []);
  const argv = [...words(ep), ...words(cmd)];
  return argv.length && argv[0] ? argv : undefined;
}

/** `user: "1000:1000"` -> user and group; a name stays a name. */
function userOf(v: unknown, s: DraftService): void {
  if (typeof v !== 'string' && typeof v !== 'number') return;
  const [user, group] = String(v).split(':');
  if (user) s.user = user;
  if (group) s.group = group;
}

/** environment as a list (`K=V`) or a mapping; a name without a value comes from the shell in compose. */
function envOf(v: unknown, name: string, notes: string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const bare: string[] = [];
  const put = (k: string, val: unknown): void => {
    if (val === null || val === undefined) bare.push(k);
    else out[k] = typeof val === 'object' ? JSON.stringify(val) : String(val);
  };
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const eq = s.indexOf('=');
      if (eq < 0) put(s, undefined);
      else put(s.slice(0, eq), s.slice(eq + 1));
    }
  } else if (isMap(v)) {
    for (const [k, val] of Object.entries(v)) put(k, val);
  }
  if (bare.length)
    notes.push(
      `${name}: env ${bare.join(', ')} had no value (compose takes it from the shell): tend's services inherit tend's environment`,
    );
  return Object.keys(out).length ? out : undefined;
}

/** env_file (a path, a list of paths or of {path, required}), relative to the new config's folder; missing ones are left out. */
function envFiles(v: unknown, srcDir: string, outDir: string, name: string, notes: string[]): string[] {
  const items = v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const item of items) {
    const path = typeof item === 'string' ? item : isMap(item) && typeof item.path === 'string' ? item.path : undefined;
    if (!path) continue;
    const abs = resolve(srcDir, path);
    if (!existsSync(abs)) {
      notes.push(`${name}: env_file ${path} left out (no such file)`);
      continue;
    }
    out.push(relative(outDir, abs) || abs);
  }
  return out;
}

const DEFAULT_NOTE = 'compose restarts nothing unless told';

/** restart (or deploy.restart_policy.condition) in tend's words. */
function restartOf(svc: Record<string, any>, s: DraftService, name: string, notes: string[]): void {
  const raw = typeof svc.restart === 'string' ? svc.restart : undefined;
  if (raw !== undefined) {
    const key = raw.startsWith('on-failure') ? 'on-failure' : raw;
    const policy = RESTARTS[key];
    if (!policy) {
      notes.push(`${name}: restart ${JSON.stringify(raw)} is not one compose knows; left out`);
      return;
    }
    s.restart = policy;
    if (raw !== key) s.restartNote = `compose: ${raw} (tend's start_limit bounds the retries)`;
    else if (key === 'unless-stopped') s.restartNote = 'compose: unless-stopped (a stopped service stays stopped in tend too)';
    return;
  }
  const cond = isMap(svc.deploy) && isMap(svc.deploy.restart_policy) ? svc.deploy.restart_policy.condition : undefined;
  if (cond === 'any') s.restart = 'always';
  else if (cond === 'on-failure') s.restart = 'on-failure';
  else if (cond === 'none') s.restart = 'never';
  else {
    s.restart = 'never';
    s.restartNote = DEFAULT_NOTE;
  }
}

/** A compose duration (`1m30s`, `500ms`, `10s`) as tend writes one; undefined when unreadable. */
export function duration(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  if (typeof v === 'number') return `${v}s`;
  const unit: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  let at = 0;
  const part = /(\d+(?:\.\d+)?)(us|ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  while ((m = part.exec(v)) !== null) {
    ms += Number(m[1]) * unit[m[2]!]!;
    at = part.lastIndex;
  }
  if (!v || at !== v.length) return undefined;
  ms = Math.round(ms);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** A healthcheck as a readiness exec probe: `[CMD, ...]` an argv, `CMD-SHELL` or a string a shell line. */
function probeOf(v: unknown, name: string, notes: string[]): DraftProbe | undefined {
  if (!isMap(v) || v.disable === true) return undefined;
  const test = v.test;
  let exec: string | string[] | undefined;
  if (typeof test === 'string') exec = test;
  else if (Array.isArray(test) && test[0] === 'CMD' && test.length > 1) exec = test.slice(1).map(String);
  else if (Array.isArray(test) && test[0] === 'CMD-SHELL' && typeof test[1] === 'string') exec = test[1];
  if (!exec) {
    if (!(Array.isArray(test) && test[0] === 'NONE'))
      notes.push(`${name}: healthcheck test ${JSON.stringify(test)} left out (not CMD, CMD-SHELL or a string)`);
    return undefined;
  }
  const p: DraftProbe = { exec };
  const interval = duration(v.interval);
  const timeout = duration(v.timeout);
  const start = duration(v.start_period);
  if (interval && interval !== '0s') p.interval = interval;
  if (timeout && timeout !== '0s') p.timeout = timeout;
  if (start && start !== '0s') p.initial_delay = start;
  const extra = ['retries', 'start_interval'].filter((k) => v[k] !== undefined);
  if (extra.length) notes.push(`${name}: healthcheck ${extra.join(', ')} left out (readiness: ready at the first pass)`);
  return p;
}

/** depends_on as (name, condition) pairs: a list means started. */
function depsOf(v: unknown): Array<[string, Condition]> {
  if (Array.isArray(v)) return v.map((n) => [String(n), 'started']);
  if (!isMap(v)) return [];
  return Object.entries(v).map(([n, d]) => [n, (isMap(d) && CONDITIONS[String(d.condition)]) || 'started']);
}

/** deploy.replicas, else scale. */
function replicasOf(svc: Record<string, any>): number | undefined {
  const n = isMap(svc.deploy) && svc.deploy.replicas !== undefined ? svc.deploy.replicas : svc.scale;
  return Number.isInteger(n) && n >= 1 && n !== 1 ? n : undefined;
}
