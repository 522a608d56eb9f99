// The one-shot CLI path loads neither Ink nor React, and the daemon does not load Ink: checked by
// walking the static import graph of the built files (dynamic imports are the lazy edges).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** Every file and bare package reached from `entry` through static `import ... from` only. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const stack = [resolve(DIST, entry)];
  while (stack.length) {
    const f = stack.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) stack.push(resolve(dirname(f), spec));
      else if (!spec.startsWith('node:'))
        packages.add(spec.split('/')[0]!.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
    for (const m of src.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) {
      if (m[1]!.startsWith('.')) stack.push(resolve(dirname(f), m[1]!));
      else packages.add(m[1]!);
    }
  }
  return { files, packages };
}

describe('start-up weight', () => {
  it('the one-shot CLI path imports no package at all (no Ink, React, yaml, zod)', () => {
    const g = staticGraph('cli.js');
    expect([...g.packages]).toEqual([]);
    const rel = [...g.files].map((f) => f.slice(DIST.length));
    expect(rel.some((f) => f.startsWith('shell/') && /[A-Z]/.test(f))).toBe(false);
    expect(rel).not.toContain('daemon.js');
  });

  it('the daemon does not load Ink or React', () => {
    const g = staticGraph('daemon.js');
    expect(g.packages.has('ink')).toBe(false);
    expect(g.packages.has('react')).toBe(false);
  });

  it('the daemon keeps no yaml or zod: its parser is the bundle it loads for a parse (config/on-demand.ts)', () => {
    const g = staticGraph('daemon.js');
    expect([...g.packages]).toEqual([]);
    // nor does the bundle of it that `tend up` runs (chokidar, croner, re2js: imported when
    // needed), whose chunks hold yaml and zod for `tend check` (esbuild names each module inlined)
    const lazy = staticGraph('lazy/daemon.js');
    expect([...lazy.packages]).toEqual([]);
    for (const f of lazy.files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/node_modules\/(yaml|zod)\//);
    const check = [...staticGraph('lazy/config/index.js').files].map((f) => readFileSync(f, 'utf8')).join('');
    expect(check).toMatch(/node_modules\/yaml\//);
    const rel = [...g.files].map((f) => f.slice(DIST.length));
    expect(rel).toContain('config/on-demand.js');
    expect(rel).not.toContain('config/load.js');
    // and `tend up` reaches the daemon through the same on-demand parser
    expect(readFileSync(resolve(DIST, 'cli.js'), 'utf8')).toMatch(/loadSpecOnDemand/);
  });

  it('the daemon loads the HTTP endpoints (node:http, http/) only when settings.http is set', () => {
    const g = staticGraph('daemon.js');
    const rel = [...g.files].map((f) => f.slice(DIST.length));
    expect(rel.filter((f) => f.startsWith('http/') || f === 'daemon/http.js')).toEqual([]);
    for (const f of g.files) expect(readFileSync(f, 'utf8')).not.toMatch(/from ['"]node:http['"]/);
    for (const f of staticGraph('lazy/daemon.js').files) expect(readFileSync(f, 'utf8')).not.toMatch(/from ['"]node:http['"]/);
    expect(readFileSync(resolve(DIST, 'daemon.js'), 'utf8')).toMatch(/import\('\.\/daemon\/http\.js'\)/);
  });

  it('the tend command (dist/tend.cjs, the bundle of the one-shot path) holds no package and imports the daemon, config and shell only when needed', () => {
    const src = readFileSync(resolve(DIST, 'tend.cjs'), 'utf8');
    expect(src.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect([...src.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).filter((m) => !m!.startsWith('node:'))).toEqual([]);
    const lazy = [...src.matchAll(/import\("([^"]+)"\)/g)].map((m) => m[1]!).sort();
    expect(lazy).toEqual(expect.arrayContaining(['./lazy/config/on-demand.js', './lazy/daemon.js', './lazy/shell-entry.js']));
    // what it imports when needed is bundled in dist/lazy/ (scripts/bundle.mjs), each one there
    for (const m of lazy.filter((x) => x.startsWith('./'))) expect(existsSync(resolve(DIST, m)), m).toBe(true);
    for (const heavy of ['ink', 'react', 'zod']) expect(lazy).not.toContain(heavy);
    expect(src).not.toMatch(/\bfrom ["']ink["']|React\.createElement|\$ZodType/);
    expect(JSON.parse(readFileSync(resolve(DIST, '../package.json'), 'utf8')).bin).toEqual({ tend: 'dist/tend.cjs' });
  });

  it('the linear-time regex engine (re2js) is loaded only when a log probe or --grep needs it', () => {
    for (const entry of ['daemon.js', 'cli.js']) {
      const rel = [...staticGraph(entry).files].map((f) => f.slice(DIST.length));
      expect(rel).not.toContain('logs/regex.js');
    }
    const cli = readFileSync(resolve(DIST, 'tend.cjs'), 'utf8');
    expect(cli).not.toMatch(/RE2JS|re2js/);
    // logs and events read the files in a module of their own, imported when they run
    const lazy = [...cli.matchAll(/import\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(lazy).toEqual(expect.arrayContaining(['./lazy/logs/view.js', './lazy/logs/events-view.js']));
    for (const entry of ['lazy/daemon.js', 'lazy/logs/view.js', 'lazy/logs/events-view.js']) {
      expect([...staticGraph(entry).packages], entry).not.toContain('re2js');
    }
    expect(readFileSync(resolve(DIST, 'probes/host.js'), 'utf8')).toMatch(/import\('\.\.\/logs\/regex\.js'\)/);
    // --grep of logs and events: compiled by one module, which imports the engine when given one
    expect(readFileSync(resolve(DIST, 'logs/grep-arg.js'), 'utf8')).toMatch(/import\('\.\/regex\.js'\)/);
    for (const reader of ['logs/view.js', 'logs/events-view.js']) {
      const rel = [...staticGraph(reader).files].map((f) => f.slice(DIST.length));
      expect(rel, reader).toContain('logs/grep-arg.js');
      expect(rel, reader).not.toContain('logs/regex.js');
    }
  });

  it('the socket client loads nothing but node:net and small tend files', () => {
    const g = staticGraph('control/client.js');
    expect([...g.packages]).toEqual([]);
    expect(g.files.size).toBeLessThanOrEqual(5);
  });
});
