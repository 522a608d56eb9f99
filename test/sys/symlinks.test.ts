// The links a path goes through (sys/symlinks.ts), on real files in a temp folder.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linksOf } from '../../src/sys/symlinks.js';

const dir = mkdtempSync(join(tmpdir(), 'tend-links-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plain = (m: Map<string, Set<string>>) => Object.fromEntries([...m].map(([d, n]) => [d, [...n].sort()]));

describe('linksOf', () => {
  it('a plain file goes through no link', () => {
    writeFileSync(join(dir, 'plain.yaml'), '');
    expect(plain(linksOf(join(dir, 'plain.yaml')))).toEqual({});
  });

  it('a ConfigMap volume: the file link, then the ..data link, both in the volume folder', () => {
    const vol = join(dir, 'vol');
    mkdirSync(join(vol, '..2026_12_07'), { recursive: true });
    writeFileSync(join(vol, '..2026_12_07', 'tend.yaml'), '');
    symlinkSync('..2026_12_07', join(vol, '..data'));
    symlinkSync('..data/tend.yaml', join(vol, 'tend.yaml'));
    expect(plain(linksOf(join(vol, 'tend.yaml')))).toEqual({ [vol]: ['..data', 'tend.yaml'] });
  });

  it('an absolute target, a linked folder on the way, and a missing end', () => {
    const real = join(dir, 'real');
    mkdirSync(join(real, 'conf'), { recursive: true });
    symlinkSync(real, join(dir, 'app'));
    symlinkSync(join(dir, 'app', 'conf'), join(dir, 'conf'));
    expect(plain(linksOf(join(dir, 'conf', 'tend.yaml')))).toEqual({ [dir]: ['app', 'conf'] });
  });

  it('a loop of links ends', () => {
    symlinkSync('loop-b', join(dir, 'loop-a'));
    symlinkSync('loop-a', join(dir, 'loop-b'));
    expect(plain(linksOf(join(dir, 'loop-a')))).toEqual({ [dir]: ['loop-a', 'loop-b'] });
  });
});
