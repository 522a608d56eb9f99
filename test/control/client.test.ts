import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/control/client.js';
import { rejection } from './fixture.js';
import { leaveStaleSocket, tmpDir } from './helpers.js';

const SRC = path.resolve(__dirname, '../../src');
const CLIENT = path.join(SRC, 'control/client.ts');

let dir: string;
beforeEach(() => {
  dir = tmpDir();
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('connect', () => {
  it('rejects with no_daemon naming the path when the socket is missing', async () => {
    const p = path.join(dir, 'nope', 'tend.sock');
    const e = await rejection(connect(p));
    expect([e.code, e.message]).toEqual(['no_daemon', `no tend daemon answers on ${p}`]);
  });

  it('rejects with no_daemon when the socket file is stale (ECONNREFUSED)', async () => {
    const p = path.join(dir, 'stale.sock');
    await leaveStaleSocket(p);
    const e = await rejection(connect(p));
    expect([e.code, e.message]).toEqual(['no_daemon', `no tend daemon answers on ${p}`]);
  });

  it('rejects a path over the unix limit with a clear error', async () => {
    const p = path.join(dir, 'y'.repeat(110), 'tend.sock');
    const e = await rejection(connect(p));
    expect(e.code).toBe('bad_socket_path');
    expect(e.message).toContain('over the 107-byte limit of unix sockets');
  });
});

/** The runtime imports of a TS file (type-only imports excluded), as written. */
function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    if (m[2]) continue;
    out.push(m[3] ?? m[4]!);
  }
  return out;
}

/** Every file reached from `entry` by runtime imports, and every non-relative module named. */
function importGraph(entry: string): { files: string[]; modules: string[] } {
  const files = new Set<string>();
  const modules = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else modules.add(spec);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => path.relative(SRC, f)).sort(), modules: [...modules].sort() };
}

describe('the client stays light', () => {
  it('loads only node:net and four tiny tend files (no zod, no yaml)', () => {
    expect(importGraph(CLIENT)).toEqual({
      files: ['control/client.ts', 'control/limits.ts', 'control/lines.ts', 'core/errors.ts', 'core/limits.ts'],
      modules: ['node:net'],
    });
    // the checker itself notices a heavy import
    expect(importGraph(path.join(SRC, 'config/load.ts')).modules).toEqual(expect.arrayContaining(['yaml', 'zod']));
  });

  it('the server needs no package either (requests are checked by hand, not by zod)', () => {
    expect(importGraph(path.join(SRC, 'control/server.ts')).modules.filter((m) => !m.startsWith('node:'))).toEqual([]);
  });

  it('measures the import time of the compiled client (printed, not asserted)', () => {
    // transpile the client's files to plain ESM in a temp folder
    const out = path.join(dir, 'js');
    for (const rel of importGraph(CLIENT).files) {
      const js = ts.transpileModule(fs.readFileSync(path.join(SRC, rel), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      const dest = path.join(out, rel.replace(/\.ts$/, '.js'));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, js);
    }
    fs.writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
    const entry = path.join(out, 'control/client.js');

    // interleaved runs, so a busy moment of the machine hits every variant alike
    const variants = {
      bare: ['-e', '0'],
      esm: ['--input-type=module', '-e', '0'],
      client: ['--input-type=module', '-e', `await import(${JSON.stringify(entry)})`],
    };
    const runs: Record<keyof typeof variants, number[]> = { bare: [], esm: [], client: [] };
    for (let i = 0; i < 3; i++) {
      for (const [name, args] of Object.entries(variants) as Array<[keyof typeof variants, string[]]>) {
        const t0 = process.hrtime.bigint();
        const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        runs[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
        expect(r.status, r.stderr?.toString()).toBe(0);
      }
    }
    const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    const [bare, esm, client] = [median(runs.bare), median(runs.esm), median(runs.client)];
    console.log(
      `control client import time (median of 11): node -e 0 ${bare.toFixed(1)} ms; ` +
        `ESM -e 0 ${esm.toFixed(1)} ms; import client.js ${client.toFixed(1)} ms ` +
        `(+${(client - bare).toFixed(1)} ms over bare node)`,
    );
  });
});
