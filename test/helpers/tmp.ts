// Temp folders for a test: each made fresh, removed once the test that made it has finished.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * A fresh folder under the system temp folder, named PREFIX + random; removed after the test.
 * Why onTestFinished, not a module-level afterEach: the pure test files share their worker
 * processes (vitest.config.ts), where this module is loaded once, and a hook it registered at
 * load would run for the first file only (the others left hundreds of folders in /tmp).
 */
export function tmpDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
