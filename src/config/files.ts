// The files a config reads: the config itself (bounded in size, refused before it is parsed) and
// the env files its services name.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { parseEnvFile, setOwn } from './env-file.js';
import { MAX_CONFIG_BYTES, formatBytes } from './limits.js';
import type { PathSeg } from './locate.js';
import type { Problems } from './problems.js';

/** The text of the config file; a ConfigError when it cannot be read or is over MAX_CONFIG_BYTES. */
export function readConfig(file: string): string {
  const fail = (message: string): never => {
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message }]);
  };
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    return fail(`cannot read config: ${reason(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return fail('cannot read config: is a directory');
    if (st.size > MAX_CONFIG_BYTES) return fail(tooBig(st.size));
    // read at most one byte past the limit: a pipe or a device says size 0 and may never end
    const buf = Buffer.allocUnsafe(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > MAX_CONFIG_BYTES) return fail(tooBig(n, true));
    }
    return buf.toString('utf8', 0, n);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    return fail(`cannot read config: ${reason(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** The problem of a config text over the limit (checked again for text handed to parseSpec). */
export function checkConfigSize(text: string, file: string): void {
  if (text.length * 3 <= MAX_CONFIG_BYTES) return; // UTF-8 takes at most 3 bytes per UTF-16 unit
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) throw new ConfigError([{ file, line: 0, col: 0, path: '', message: tooBig(bytes) }]);
}

function tooBig(bytes: number, atLeast = false): string {
  const what = atLeast ? 'config is' : `config is ${formatBytes(bytes)},`;
  return `${what} over the limit of ${formatBytes(MAX_CONFIG_BYTES)}; split it or trim it`;
}

/**
 * Reads env files in order (later ones win), reporting unreadable files and bad lines. Reads the raw
 * env_file value leniently, so a file is checked even when another key of the service is bad.
 */
export function readEnvFiles(
  value: unknown,
  file: string,
  dir: string,
  at: PathSeg[],
  problems: Problems,
): { vars: Record<string, string>; files: string[] } {
  const entries: { p: string; where: PathSeg[] }[] = [];
  if (typeof value === 'string' && value !== '') entries.push({ p: value, where: [...at, 'env_file'] });
  else if (Array.isArray(value)) {
    value.forEach((p, i) => {
      if (typeof p === 'string' && p !== '') entries.push({ p, where: [...at, 'env_file', i] });
    });
  }
  const vars: Record<string, string> = {};
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
    for (const [k, v] of Object.entries(parsed.vars)) setOwn(vars, k, v);
  }
  return { vars, files };
}

/** A short reason from an fs error: "no such file or directory". */
export function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const byCode: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'a part of the path is not a directory',
  };
  return (err.code && Object.hasOwn(byCode, err.code) ? byCode[err.code] : undefined) ?? err.message ?? String(e);
}
