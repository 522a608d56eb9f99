// The readers of `tend logs` on a big log (issue 14), by hand: `node bench/logs-query.js [MB]`
// (default 1024) after `npm run build:ts`. Generates the log (dist/logs/generate.js), then runs
// each query in a fresh node process and prints its time and that process's peak RSS. Not part
// of `npm run bench`: it writes a 1 GB file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = (p) => fileURLToPath(new URL(`../dist/logs/${p}`, import.meta.url));
const MB = Number(process.argv[2] ?? 1024);
const dir = mkdtempSync(join(tmpdir(), 'tend-logq-'));
const file = join(dir, 'big.log');

const QUERIES = [
  ['logs -n 100', `{ n: 100 }`],
  ['logs --since 1m', `{ since: Date.now() - 60_000 }`],
  ['logs --since 10m --until 9m', `{ since: Date.now() - 600_000, until: Date.now() - 540_000 }`],
  ['logs --grep needle (literal), whole file', `{ grep: compileRegex('needle') }`],
  ['logs --grep "seq=\\\\d+0 needle", whole file', `{ grep: compileRegex('seq=\\\\d+0 needle') }`],
  ['logs --grep -i NEEDLE, whole file', `{ grep: compileRegex('NEEDLE', { ignoreCase: true }) }`],
  ['logs --grep "refused|needle" -i, whole file', `{ grep: compileRegex('refused|needle', { ignoreCase: true }) }`],
  ['logs -n 100 --grep needle', `{ n: 100, grep: compileRegex('needle') }`],
  ['logs -n 100000000 (all, streamed)', `{ n: 100_000_000 }`],
  ['logs -n all (streamed forwards)', `{}`],
];

const CHILD = (q) => `
  const { queryLogs } = await import(${JSON.stringify(dist('query.js'))});
  const { compileRegex } = await import(${JSON.stringify(dist('regex.js'))});
  const stats = { reads: 0, bytes: 0 };
  const t = performance.now();
  const r = await queryLogs([{ instance: 'big', file: ${JSON.stringify(file)} }], { ...${q}, stats });
  let lines = 0;
  for await (const b of r.lines()) lines += b.length;
  const ms = performance.now() - t;
  console.log(JSON.stringify({ ms, lines, reads: stats.reads, mb: stats.bytes / 1048576, rss: process.resourceUsage().maxRSS / 1024 }));
`;

try {
  const lines = Math.floor((MB * 1024 * 1024) / 100);
  const t = performance.now();
  // the last line one second ago, one line every 0.5 ms before it
  const gen = `const { generateLog } = await import(${JSON.stringify(dist('generate.js'))});
    generateLog({ file: ${JSON.stringify(file)}, lines: ${lines}, t0: Date.now() - 1000 - ${lines} * 0.5, msPerLine: 0.5 });`;
  execFileSync(process.execPath, ['--input-type=module', '-e', gen], { stdio: 'inherit' });
  console.log(
    `generated ${(statSync(file).size / 1048576).toFixed(0)} MB (${lines} lines) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  const base = JSON.parse(
    execFileSync(process.execPath, [
      '--input-type=module',
      '-e',
      'console.log(JSON.stringify({ rss: process.resourceUsage().maxRSS / 1024 }))',
    ]).toString(),
  );
  console.log(`(an empty node process: peak RSS ${base.rss.toFixed(0)} MB)`);
  for (const [name, q] of QUERIES) {
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', CHILD(q)]).toString());
    console.log(
      `${name.padEnd(45)} ${out.ms.toFixed(0).padStart(7)} ms  ${String(out.lines).padStart(9)} lines  ` +
        `${String(out.reads).padStart(5)} reads ${out.mb.toFixed(1).padStart(7)} MB read  peak RSS ${out.rss.toFixed(0)} MB`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
