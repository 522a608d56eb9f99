// Small shared pieces of the benchmarks: paths, statistics, waits with deadlines, temp folders.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI every benchmark drives (build with `npm run build:ts` first). */
export const CLI = fileURLToPath(new URL('../../dist/tend.cjs', import.meta.url));

/** Why: every run in its own folder, removed afterwards. */
export function tempDir(tag) {
  return mkdtempSync(join(tmpdir(), `tend-bench-${tag}-`));
}

/** Removes a temp folder, ignoring a missing one. */
export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** Why: the benchmarks' configs are N sleep services (seconds: a string, or i -> string) plus extras. */
export function sleepConfig(n, { extra = '', settings = '', seconds = '1000', name = serviceName } = {}) {
  const lines = ['settings:', '  watch: false', '  echo: false', '  shutdown_timeout: 20s'];
  if (settings) lines.push(settings);
  lines.push('services:');
  for (let i = 0; i < n; i++) {
    const secs = typeof seconds === 'function' ? seconds(i) : seconds;
    lines.push(`  ${name(i)}:`, `    command: [sleep, "${secs}"]`);
  }
  if (extra) lines.push(extra);
  return `${lines.join('\n')}\n`;
}

/** s000, s001, ...: names that sort as they are numbered. */
export function serviceName(i) {
  return `s${String(i).padStart(3, '0')}`;
}

/** Writes the config file of a project folder; returns its path. */
export function writeConfig(dir, text) {
  const file = join(dir, 'tend.yaml');
  writeFileSync(file, text);
  return file;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every `every` ms until it returns a truthy value; throws naming `what` at the deadline. */
export async function waitFor(fn, what, timeoutMs = 10_000, every = 10) {
  const end = performance.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (performance.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message ?? last}` : ''}`);
    await sleep(every);
  }
}

/** The q-quantile (0..1) of numbers, nearest-rank; undefined for none. */
export function quantile(values, q) {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const k = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[k];
}

/** The median (the mean of the two middle values for an even count). */
export function median(values) {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Rounds for display and JSON. */
export function round(v, digits = 1) {
  if (v === undefined || v === null || Number.isNaN(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
