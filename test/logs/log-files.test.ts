// LogFiles.open against a rotation going on in another process: the set it opens is one moment's.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogFiles } from '../../src/logs/log-files.js';
import { tmp } from './helpers.js';

let dir: string;
let done: () => Promise<void>;
beforeEach(async () => ({ dir, done } = await tmp()));
afterEach(() => done());

/**
 * A rotator as LogFile rotates (ID.log.K-1 -> ID.log.K ... ID.log -> ID.log.1, then a new
 * ID.log), every `everyMs`, each new live file a block of the next `per` numbers, one a line.
 * It writes `ready` once the first set is in place.
 */
const ROTATOR = `
const fs = require('node:fs');
const [file, keep, per, everyMs, ready] = process.argv.slice(1);
let next = 0;
const block = () => { let s = ''; for (let i = 0; i < +per; i++) s += (next++) + '\\n'; return s; };
const live = () => { fs.writeFileSync(file + '.tmp', block()); fs.renameSync(file + '.tmp', file); };
function rotate() {
  fs.rmSync(file + '.' + keep, { force: true });
  for (let k = +keep - 1; k >= 1; k--) try { fs.renameSync(file + '.' + k, file + '.' + (k + 1)); } catch {}
  try { fs.renameSync(file, file + '.1'); } catch {}
  live();
}
live();
for (let k = 0; k < +keep; k++) rotate();
fs.writeFileSync(ready, '');
setInterval(rotate, +everyMs);
`;

async function readAll(f: LogFiles): Promise<string> {
  const parts: Buffer[] = [];
  for (let pos = 0; pos < f.end; ) {
    const b = await f.read(pos, f.end - pos);
    if (b.length === 0) break;
    parts.push(b);
    pos += b.length;
  }
  return Buffer.concat(parts).toString();
}

describe('LogFiles.open', () => {
  it('while files rotate: every read is one run of numbers, none skipped or twice (a file was)', async () => {
    const file = join(dir, 'web.log');
    const ready = join(dir, 'ready');
    const child = spawn(process.execPath, ['-e', ROTATOR, file, '8', '50', '100', ready], { stdio: 'ignore' });
    try {
      for (let k = 0; k < 500 && !existsSync(ready); k++) await new Promise((r) => setTimeout(r, 10));
      expect(existsSync(ready)).toBe(true);
      const bad: string[] = [];
      for (let round = 0; round < 250; round++) {
        const f = await LogFiles.open(file);
        const nums = (await readAll(f)).split('\n').filter(Boolean).map(Number);
        await f.close();
        const at = nums.findIndex((n, i) => i > 0 && n !== nums[i - 1]! + 1);
        if (at !== -1)
          bad.push(`round ${round}: ${nums[at - 1]} -> ${nums[at]} (files ${f.parts.map((p) => p.index).join(',')})`);
      }
      expect(bad).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
