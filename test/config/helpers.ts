// Shared helpers of the config tests: temp folders and the error lines of a bad config.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { parseSpec } from '../../src/config/index.js';
import { tmpDir as freshDir } from '../helpers/tmp.js';

/** A fresh temp folder, removed after the test; `files` are written into it. */
export function tmpDir(files: Record<string, string> = {}): string {
  const d = freshDir('tend-config-');
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
