// Printing the figures as a table and storing them as JSON under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const fmt = (f) => (f.value === null || f.value === undefined ? '—' : `${f.value}${f.unit ? ` ${f.unit}` : ''}`);
const verdict = (f) => (f.pass === null ? '' : f.pass ? 'pass' : 'FAIL');

/** Why: a table a person reads at a glance: figure, value, target, pass/fail, peers. */
export function table(figures) {
  const rows = figures.map((f) => [f.name, fmt(f), f.target || '', verdict(f), f.peers || '']);
  const head = ['figure', 'value', 'target', 'result', 'peers (issues)'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((c, i) => (i === 1 ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/** The notes under the table: every missed target, then the figures' own remarks. */
export function notes(figures) {
  const out = [];
  for (const f of figures) {
    if (f.pass === false)
      out.push(`MISSED: ${f.name}: ${fmt(f)}, target ${f.target || '(measured)'}${f.note ? ` (${f.note})` : ''}`);
  }
  for (const f of figures) if (f.pass !== false && f.note) out.push(`note: ${f.name}: ${f.note}`);
  return out.join('\n');
}

/** Writes results/<ISO time>.json, and results/latest.json for a full run; returns the paths. */
export function save(dir, doc, full) {
  mkdirSync(dir, { recursive: true });
  const name = `${doc.started.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}${full ? '' : '-partial'}.json`;
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  const paths = [join(dir, name)];
  writeFileSync(paths[0], text);
  if (full) {
    writeFileSync(join(dir, 'latest.json'), text);
    paths.push(join(dir, 'latest.json'));
  }
  return paths;
}
