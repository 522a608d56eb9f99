// The limits of limits.ts that a built service can pass: its variables and the size of each
// argument and variable a process receives (the kernel refuses a longer one at exec).
import type { ServiceSpec } from '../core/types.js';
import { MAX_ARG_BYTES, MAX_ENV_ENTRIES } from './limits.js';
import type { PathSeg } from './locate.js';
import type { Problems } from './problems.js';

/** Reports what of `svc` (found at `at`; `envKeys` are the names its own `env:` sets) is past a limit. */
export function checkBounds(svc: ServiceSpec, envKeys: ReadonlySet<string>, at: PathSeg[], problems: Problems): void {
  const names = Object.keys(svc.env);
  // a variable is located where it was set: its key under env, else the env_file key
  const envAt = (name?: string): PathSeg[] => {
    if (name === undefined) return envKeys.size > 0 ? [...at, 'env'] : [...at, 'env_file'];
    return envKeys.has(name) ? [...at, 'env', name] : [...at, 'env_file'];
  };
  if (names.length > MAX_ENV_ENTRIES) {
    problems.add(envAt(), `${names.length} variables (env and env_file together), over the limit of ${MAX_ENV_ENTRIES}`);
  }
  for (const name of names) {
    const bytes = size(name, svc.env[name]!);
    if (bytes > MAX_ARG_BYTES) problems.add(envAt(name), `${name}=... is ${n(bytes)} bytes, ${OVER}`);
  }
  checkCommand(svc.command, [...at, 'command'], problems);
  for (const which of ['readiness', 'liveness'] as const) {
    const check = svc[which]?.check;
    if (check?.kind === 'exec') checkCommand(check.command, [...at, which, 'exec'], problems);
  }
}

/**
 * 131072 as 131,072. Why not toLocaleString('en-US'): its first call loads ICU's number
 * formatting, ~7 MB of resident memory in every process that loads the config parser (the daemon
 * among them: its idle PSS was 44.7 MB with it, beside supervisord's 30.8).
 */
const n = (x: number): string => String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const OVER = `over the ${n(MAX_ARG_BYTES)} the kernel takes for one argument or variable (MAX_ARG_STRLEN)`;

function checkCommand(command: string | string[], at: PathSeg[], problems: Problems): void {
  if (typeof command === 'string') {
    const bytes = size(command);
    if (bytes > MAX_ARG_BYTES) problems.add(at, `the command is ${n(bytes)} bytes, ${OVER}`);
    return;
  }
  command.forEach((arg, i) => {
    const bytes = size(arg);
    if (bytes > MAX_ARG_BYTES) problems.add([...at, i], `argument ${i} is ${n(bytes)} bytes, ${OVER}`);
  });
}

/** Bytes of `a` (and `=b`) in UTF-8, counted only when they could be over the limit. */
function size(a: string, b?: string): number {
  const units = a.length + (b === undefined ? 0 : b.length + 1);
  if (units * 3 <= MAX_ARG_BYTES) return units;
  return Buffer.byteLength(a) + (b === undefined ? 0 : Buffer.byteLength(b) + 1);
}
