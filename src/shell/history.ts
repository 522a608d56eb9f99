// Command history: kept across sessions in ~/.tend_history, navigated with Up/Down (the line
// being typed is kept as a draft) and searched with Ctrl-R; all pure except load/save.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** How many lines the history file keeps. */
export const HISTORY_LIMIT = 1000;

/** Where history lives unless a path is given. */
export function defaultHistoryFile(): string {
  return join(homedir(), '.tend_history');
}

/** Adds a run command: blank lines are skipped, an earlier copy moves to the end, the oldest fall off. */
export function addEntry(entries: readonly string[], line: string, limit = HISTORY_LIMIT): string[] {
  const entry = line.trim();
  if (!entry) return [...entries];
  const next = entries.filter((e) => e !== entry);
  next.push(entry);
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/** Reads the history file (missing or unreadable: empty), applying the same rules as addEntry. */
export function loadHistory(file: string, limit = HISTORY_LIMIT): string[] {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  let entries: string[] = [];
  for (const line of raw.split('\n')) entries = addEntry(entries, line, Number.MAX_SAFE_INTEGER);
  return entries.length > limit ? entries.slice(entries.length - limit) : entries;
}

/** Writes the last `limit` entries atomically (temp file + rename), mode 0600: history can hold secrets. */
export function saveHistory(file: string, entries: readonly string[], limit = HISTORY_LIMIT): void {
  const kept = entries.slice(Math.max(0, entries.length - limit));
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, kept.length ? kept.join('\n') + '\n' : '', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Where Up/Down stand: `back` entries back from the newest (0 = the line being typed, kept in `draft`). */
export interface HistoryNav {
  readonly back: number;
  readonly draft: string;
}

/** A navigation positioned on the line being typed. */
export const START_NAV: HistoryNav = { back: 0, draft: '' };

/** Up: the previous entry (the typed line is saved as the draft when leaving it); null at the oldest. */
export function historyUp(
  entries: readonly string[],
  nav: HistoryNav,
  current: string,
): { nav: HistoryNav; text: string } | null {
  if (nav.back >= entries.length) return null;
  const back = nav.back + 1;
  const draft = nav.back === 0 ? current : nav.draft;
  return { nav: { back, draft }, text: entries[entries.length - back]! };
}

/** Down: the next entry, or back to the draft after the newest; null when already on the draft. */
export function historyDown(entries: readonly string[], nav: HistoryNav): { nav: HistoryNav; text: string } | null {
  if (nav.back <= 0) return null;
  const back = Math.min(nav.back, entries.length) - 1;
  return { nav: { back, draft: nav.draft }, text: back === 0 ? nav.draft : entries[entries.length - back]! };
}

/** Ctrl-R state: what is typed and which entry matches (-1: none yet or none found). */
export interface SearchState {
  readonly query: string;
  readonly match: number;
  readonly failed: boolean;
}

/** Finds the newest entry at or before `from` containing `query`; -1 when none. */
export function findBackward(entries: readonly string[], query: string, from: number): number {
  for (let i = Math.min(from, entries.length - 1); i >= 0; i--) {
    if (entries[i]!.includes(query)) return i;
  }
  return -1;
}

/** Ctrl-R pressed at the prompt: an empty search. */
export function startSearch(): SearchState {
  return { query: '', match: -1, failed: false };
}

/** A character typed in search: re-search from the current match (or the newest entry). */
export function searchType(entries: readonly string[], s: SearchState, text: string): SearchState {
  const query = s.query + text;
  const from = s.match >= 0 ? s.match : entries.length - 1;
  const match = findBackward(entries, query, from);
  return match >= 0 ? { query, match, failed: false } : { query, match: s.match, failed: true };
}

/** Backspace in search: shorter query, searched again from the newest entry. */
export function searchBackspace(entries: readonly string[], s: SearchState): SearchState {
  const query = s.query.slice(0, -1);
  if (!query) return { query, match: -1, failed: false };
  const match = findBackward(entries, query, entries.length - 1);
  return { query, match, failed: match < 0 };
}

/** Ctrl-R again: the next older match of the same query (stays put and fails when there is none). */
export function searchOlder(entries: readonly string[], s: SearchState): SearchState {
  if (!s.query) return s;
  const from = s.match >= 0 ? s.match - 1 : entries.length - 1;
  const match = findBackward(entries, s.query, from);
  return match >= 0 ? { ...s, match, failed: false } : { ...s, failed: true };
}

/** The line a search puts on the prompt when accepted; `fallback` when nothing matched. */
export function searchResult(entries: readonly string[], s: SearchState, fallback: string): string {
  return s.match >= 0 ? entries[s.match]! : fallback;
}
