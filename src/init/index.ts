// `tend init`'s work, loaded only by it (it brings yaml along): the text of the new config, from
// the starter or from a Procfile or compose file, and what to report about the conversion.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';
import { fromCompose } from './compose.js';
import type { Draft } from './draft.js';
import { emitDraft } from './emit.js';
import { fromProcfile } from './procfile.js';
import { STARTER } from './template.js';

export { STARTER } from './template.js';

/** What init writes and says. */
export interface InitText {
  text: string;
  /** the services it holds, in order */
  services: string[];
  /** the conversion's report (stderr): what was left out and other notes; none for the starter */
  report: string[];
}

/**
 * Which converter reads `file`: a Procfile by its name, a compose file by its extension, else by
 * its content: YAML with `services:`, or `name: command` lines (a space after the colon, as
 * Procfiles are written; /etc/passwd was taken for one, 26 services); undefined: neither.
 */
export function kindOf(file: string, text: string): 'procfile' | 'compose' | undefined {
  const name = basename(file).toLowerCase();
  if (name.startsWith('procfile')) return 'procfile';
  if (/\.ya?ml$/.test(name)) return 'compose';
  try {
    const doc = parse(text) as unknown;
    if (typeof doc === 'object' && doc !== null && 'services' in doc) return 'compose';
  } catch {
    // not YAML: a Procfile, if its lines are
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  return lines.length > 0 && lines.every((l) => /^\s*[A-Za-z0-9_.-]+:\s+\S/.test(l)) ? 'procfile' : undefined;
}

/** The starter config. */
export function starter(): InitText {
  return { text: STARTER, services: ['hello'], report: [] };
}

/** The config converted from `from` (as the user named it; `path` resolved), for a config in `outDir`. */
export function converted(from: string, path: string, outDir: string): InitText {
  const text = readFileSync(path, 'utf8');
  const kind = kindOf(path, text);
  if (kind === undefined) {
    throw new Error(
      `${from}: neither a Procfile (named Procfile, Procfile.dev..., or "name: command" lines) nor a compose file (*.yml, *.yaml, or YAML with services:)`,
    );
  }
  const draft: Draft = kind === 'procfile' ? fromProcfile(text, from) : fromCompose(text, from, path, outDir);
  if (draft.services.length === 0)
    throw new Error(`${from}: no service to carry over${draft.notes.length ? ` (${draft.notes.join('; ')})` : ''}`);
  const report = [...draft.dropped.map((d) => `not carried over: ${d}`), ...draft.notes];
  return { text: emitDraft(draft), services: draft.services.map((s) => s.name), report };
}
