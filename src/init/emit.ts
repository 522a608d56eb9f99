// A draft written out as tend.yaml: block style, one comment the first time a key appears (what
// it means), and a header saying where it came from and what was left behind.
import type { Draft, DraftProbe, DraftService } from './draft.js';

/** What each key means, said once, at its first use. */
const EXPLAIN: Record<string, string> = {
  'command:string': 'a string runs under /bin/sh -c',
  'command:list': "a list is exec'd directly, no shell",
  type: 'oneshot: expected to exit; 0 means completed',
  cwd: "the folder it runs in (relative to this file's folder)",
  user: 'run as this user (tend must run as root)',
  group: 'and this group',
  env: 'variables added to its environment',
  env_file: 'KEY=VALUE lines; env wins over them',
  restart: 'always | on-failure | never',
  readiness: 'it counts as ready (running) once this passes',
  depends_on: 'started | healthy (readiness passed) | completed (a oneshot that exited 0)',
  replicas: 'instances NAME.1 ... NAME.N',
};

/** A YAML scalar: plain when it reads back as the same string, else double-quoted (JSON is valid YAML). */
export function scalar(v: string, inFlow = false): string {
  const plain = inFlow ? /^[A-Za-z0-9_./+=^-][A-Za-z0-9_./@%+=~^:-]*$/ : /^[A-Za-z0-9_./+=^(-][^#\n]*$/;
  const risky =
    /^(true|false|yes|no|on|off|null|y|n|~)$/i.test(v) ||
    /^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$/.test(v) ||
    /^0[xo]/i.test(v) ||
    /: |:$|\s$|^- |^-$| #/.test(v) ||
    (v.startsWith('-') && inFlow);
  return plain.test(v) && !risky ? v : JSON.stringify(v);
}

/** `[a, b, "c d"]` */
function flowList(items: readonly string[]): string {
  return `[${items.map((i) => scalar(i, true)).join(', ')}]`;
}

/** Writes lines with comments aligned after the values, each key explained once. */
class Writer {
  readonly lines: string[] = [];
  private readonly said = new Set<string>();

  /** a `key: value` line at `indent`, with the explanation of `explain` the first time */
  put(indent: number, key: string, value: string, explain?: string, note?: string): void {
    let comment = note ?? '';
    if (explain && !this.said.has(explain) && EXPLAIN[explain]) {
      this.said.add(explain);
      comment = comment ? `${EXPLAIN[explain]}; ${comment}` : EXPLAIN[explain]!;
    }
    const text = `${' '.repeat(indent)}${key}:${value ? ` ${value}` : ''}`;
    this.lines.push(comment ? `${text.padEnd(Math.max(text.length + 1, 36))}# ${comment}` : text);
  }

  raw(line: string): void {
    this.lines.push(line);
  }
}

function command(c: string | string[]): { value: string; explain: string } {
  return typeof c === 'string'
    ? { value: scalar(c), explain: 'command:string' }
    : { value: flowList(c), explain: 'command:list' };
}

function probe(w: Writer, p: DraftProbe): void {
  w.put(4, 'readiness', '', 'readiness', 'from the healthcheck');
  const c = command(p.exec);
  w.put(6, 'exec', c.value);
  if (p.interval) w.put(6, 'interval', p.interval);
  if (p.timeout) w.put(6, 'timeout', p.timeout);
  if (p.initial_delay) w.put(6, 'initial_delay', p.initial_delay);
}

function service(w: Writer, s: DraftService): void {
  w.put(2, s.name, '', undefined, s.was ? `was ${JSON.stringify(s.was)}` : undefined);
  const c = command(s.command);
  w.put(4, 'command', c.value, c.explain);
  if (s.type) w.put(4, 'type', s.type, 'type');
  if (s.cwd) w.put(4, 'cwd', scalar(s.cwd), 'cwd');
  if (s.user) w.put(4, 'user', scalar(s.user), 'user');
  if (s.group) w.put(4, 'group', scalar(s.group), 'group');
  if (s.env) {
    w.put(4, 'env', '', 'env');
    for (const [k, v] of Object.entries(s.env)) w.put(6, scalar(k), JSON.stringify(v));
  }
  if (s.env_file) w.put(4, 'env_file', flowList(s.env_file), 'env_file');
  if (s.restart) w.put(4, 'restart', s.restart, 'restart', s.restartNote);
  if (s.readiness) probe(w, s.readiness);
  if (s.depends_on) {
    w.put(4, 'depends_on', '', 'depends_on');
    for (const [k, v] of Object.entries(s.depends_on)) w.put(6, k, v);
  }
  if (s.replicas) w.put(4, 'replicas', String(s.replicas), 'replicas');
}

/** The config text of a converted file. */
export function emitDraft(d: Draft): string {
  const w = new Writer();
  w.raw(`# tend.yaml, converted from ${d.source} by \`tend init --from ${d.source}\`.`);
  w.raw('# tend runs these commands as processes on this machine: check each one runs here.');
  if (d.dropped.length) {
    w.raw(`# Not carried over from ${d.source}:`);
    for (const line of d.dropped) w.raw(`#   ${line}`);
  }
  for (const note of d.notes) w.raw(`# Note: ${note}`);
  w.raw("# `tend check` validates this file, `tend up` runs it; every key is in tend's docs/config.md.");
  w.raw('');
  w.raw('settings:');
  w.raw('  # socket: .tend/tend.sock        # where `tend status` and the others find tend');
  w.raw('  # shutdown_timeout: 30s          # how long stopping everything may take');
  w.raw('');
  w.raw('services:');
  d.services.forEach((s, k) => {
    if (k > 0) w.raw('');
    service(w, s);
  });
  return w.lines.join('\n') + '\n';
}
