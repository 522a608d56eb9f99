// A Procfile (`name: command` a line, as foreman and heroku read it) -> a draft: each line a
// service run by /bin/sh -c, restarted on failure (tend's default).
import type { Draft, DraftService } from './draft.js';
import { nameAll } from './draft.js';

/** Converts Procfile text; `source` names the file in messages. */
export function fromProcfile(text: string, source: string): Draft {
  const notes: string[] = [];
  const dropped: string[] = [];
  const entries: Array<{ raw: string; command: string }> = [];
  text.split(/\r?\n/).forEach((line, k) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const m = /^([^:\s][^:]*?)\s*:\s*(.*)$/.exec(t);
    if (!m?.[2]) {
      dropped.push(`line ${k + 1}: not "name: command": ${JSON.stringify(t)}`);
      return;
    }
    entries.push({ raw: m[1]!, command: m[2] });
  });
  const names = nameAll(
    entries.map((e) => e.raw),
    notes,
  );
  const services: DraftService[] = entries.map((e, k) => ({
    name: names[k]!,
    ...(names[k] !== e.raw ? { was: e.raw } : {}),
    command: e.command,
  }));
  return { source, services, dropped, notes };
}
