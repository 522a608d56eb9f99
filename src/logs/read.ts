// Reading the last lines of a log file from its end, for `tend logs` when the in-memory tail is
// empty (after a daemon restart). Reads backwards in blocks; continues into NAME.log.1, .2 ...
// when the live file holds fewer lines than asked (just rotated).
import { open } from 'node:fs/promises';
import { rotatedName } from './rotate.js';

const BLOCK = 64 * 1024;

/** The last n lines of one file (without newlines), oldest first; undefined when it does not exist. */
async function lastLinesOf(file: string, n: number): Promise<Buffer[] | undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    let pos = (await fh.stat()).size;
    const blocks: Buffer[] = [];
    let newlines = 0;
    // n whole lines need n+1 newlines (the one ending the file does not count)
    while (pos > 0 && newlines <= n + 1) {
      const len = Math.min(BLOCK, pos);
      pos -= len;
      const block = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(block, 0, len, pos);
      const got = block.subarray(0, bytesRead);
      for (let i = got.indexOf(10); i !== -1; i = got.indexOf(10, i + 1)) newlines++;
      blocks.unshift(got);
    }
    const all = Buffer.concat(blocks);
    const end = all.length > 0 && all[all.length - 1] === 10 ? all.length - 1 : all.length;
    if (end === 0 && pos === 0) return all.length > 0 ? [all.subarray(0, 0)] : [];
    const lines: Buffer[] = [];
    let s = 0;
    for (let i = all.indexOf(10); i !== -1 && i < end; i = all.indexOf(10, i + 1)) {
      lines.push(all.subarray(s, i));
      s = i + 1;
    }
    lines.push(all.subarray(s, end));
    // the first piece is a whole line only when reading reached the file's start
    if (pos > 0) lines.shift();
    return lines.slice(Math.max(0, lines.length - n));
  } finally {
    await fh.close();
  }
}

/** Why: `tend logs NAME -n N` after a daemon restart. The last n lines, as written, oldest first. */
export async function readLogLines(file: string, n: number): Promise<string[]> {
  const out: Buffer[][] = [];
  let have = 0;
  for (let i = 0; have < n; i++) {
    const lines = await lastLinesOf(rotatedName(file, i), n - have);
    if (lines === undefined) break;
    out.push(lines);
    have += lines.length;
  }
  return out
    .reverse()
    .flat()
    .map((b) => b.toString('utf8'));
}
