// Shared helpers of the config tests: temp folders and the error lines of a bad config.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { parseSpec } from '../../src/config/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp folder, removed after the test; `files` are written into it. */
export function tmpDir(files: Record<string, string> = {}): string {
  const d = mkdtempSync(join(tmpdir(), 'tend-config-'));
  dirs.push(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

/** The `file:line:col: path: message` lines of the ConfigError that `text` raises. */
export function errorsOf(text: string, file = 'tend.yaml'): string[] {
  try {
    parseSpec(text, file);
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split('\n');
    throw e;
  }
  throw new Error('expected a ConfigError, got a valid spec');
}

/** Lines joined, so a YAML text in a test reads top-down. */
export const yaml = (...lines: string[]): string => lines.join('\n') + '\n';
