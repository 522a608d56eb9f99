// The addon is required: `tend up` without it says why and exits 2 (a copy of dist/ beside no
// native/build).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../..');
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('without the addon', () => {
  it('tend up says which file is missing and how to build it, and exits 2 before starting anything', () => {
    dir = mkdtempSync(join(tmpdir(), 'tend-noaddon-'));
    cpSync(join(REPO, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(REPO, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(
      join(dir, 'tend.yaml'),
      `settings: { socket: ${join(dir, 's.sock')} }\nservices:\n  a:\n    command: sleep 1000\n`,
    );
    const r = spawnSync(process.execPath, [join(dir, 'dist/tend.cjs'), 'up', '-c', join(dir, 'tend.yaml')], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stderr).toMatch(
      /^tend: cannot run the supervisor: the native addon is not loaded from \S+\/native\/build\/Release\/tend_native\.node \(.*\); run npm run build:native\n$/,
    );
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });
});
