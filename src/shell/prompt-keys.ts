// The prompt as a reducer: (state, key) -> state + at most one effect for the component to carry
// out (run a line, list completions, quit). Editing, history, Ctrl-R and Tab meet here, purely.
import { pressTab, type ShellCompletion } from './tab.js';
import {
  historyDown,
  historyUp,
  searchBackspace,
  searchOlder,
  searchResult,
  searchType,
  startSearch,
  START_NAV,
  type HistoryNav,
  type SearchState,
} from './history.js';
import type { Key } from './key-parser.js';
import { applyKey, EMPTY_LINE, lineOf, type LineState } from './line-editor.js';

/** Everything the prompt remembers between keys. */
export interface PromptState {
  readonly line: LineState;
  readonly nav: HistoryNav;
  /** non-null while Ctrl-R search is on; `saved` is the line Ctrl-G puts back */
  readonly search: (SearchState & { saved: LineState }) | null;
  /** the previous key was Tab (a second Tab lists the candidates) */
  readonly lastWasTab: boolean;
}

/** What the component must do after a key. */
export type PromptEffect =
  | { kind: 'submit'; line: string }
  | { kind: 'list'; words: string[] }
  | { kind: 'cancel'; text: string }
  | { kind: 'eof' }
  | { kind: 'clear-screen' };

/** A fresh prompt. */
export const INITIAL_PROMPT: PromptState = { line: EMPTY_LINE, nav: START_NAV, search: null, lastWasTab: false };

type Result = { state: PromptState; effect?: PromptEffect };

/** The line the prompt shows: during a search, the matching entry. */
export function shownLine(s: PromptState, entries: readonly string[]): LineState {
  return s.search ? lineOf(searchResult(entries, s.search, s.search.saved.text)) : s.line;
}

/** Applies one key; `entries` is the history, oldest first. */
export function promptKey(s: PromptState, key: Key, entries: readonly string[], ctx: ShellCompletion): Result {
  if (s.search) return searchKey(s, s.search, key, entries, ctx);
  const plain = { ...s, lastWasTab: false };
  if (key.kind === 'text') return { state: { ...plain, line: applyKey(s.line, key) } };
  switch (key.name) {
    case 'enter':
      return { state: INITIAL_PROMPT, effect: { kind: 'submit', line: s.line.text } };
    case 'tab': {
      const r = pressTab(s.line, ctx, s.lastWasTab);
      const state = { ...s, line: r.line, lastWasTab: true };
      return r.list ? { state, effect: { kind: 'list', words: r.list } } : { state };
    }
    case 'up':
    case 'ctrl-p': {
      const r = historyUp(entries, s.nav, s.line.text);
      return { state: r ? { ...plain, nav: r.nav, line: lineOf(r.text) } : plain };
    }
    case 'down':
    case 'ctrl-n': {
      const r = historyDown(entries, s.nav);
      return { state: r ? { ...plain, nav: r.nav, line: lineOf(r.text) } : plain };
    }
    case 'ctrl-r':
      return { state: { ...plain, search: { ...startSearch(), saved: s.line } } };
    case 'ctrl-c':
      return { state: INITIAL_PROMPT, effect: { kind: 'cancel', text: s.line.text } };
    case 'ctrl-d':
      if (s.line.text === '') return { state: plain, effect: { kind: 'eof' } };
      return { state: { ...plain, line: applyKey(s.line, key) } };
    case 'ctrl-l':
      return { state: plain, effect: { kind: 'clear-screen' } };
    default:
      return { state: { ...plain, line: applyKey(s.line, key) } };
  }
}

function searchKey(
  s: PromptState,
  search: SearchState & { saved: LineState },
  key: Key,
  entries: readonly string[],
  ctx: ShellCompletion,
): Result {
  const keep = (next: SearchState): Result => ({ state: { ...s, search: { ...next, saved: search.saved } } });
  if (key.kind === 'text') return keep(searchType(entries, search, key.text));
  switch (key.name) {
    case 'ctrl-r':
      return keep(searchOlder(entries, search));
    case 'backspace':
      return keep(searchBackspace(entries, search));
    // as readline: Esc ends the search keeping the match on the prompt to edit (it threw the match
    // away, so a found line could not be changed before running it); Ctrl-G gives up the search,
    // putting back the line as it was before it
    case 'escape':
      return { state: { ...s, search: null, line: lineOf(searchResult(entries, search, search.saved.text)) } };
    case 'ctrl-g':
      return { state: { ...s, search: null, line: search.saved } };
    case 'ctrl-c':
      return { state: INITIAL_PROMPT, effect: { kind: 'cancel', text: searchResult(entries, search, search.saved.text) } };
    case 'enter':
      return { state: INITIAL_PROMPT, effect: { kind: 'submit', line: searchResult(entries, search, search.saved.text) } };
    default: {
      // any other key (Left/Right, Home/End, Ctrl-A/E...) accepts the match, then acts on it as readline does
      const accepted: PromptState = { ...s, search: null, line: lineOf(searchResult(entries, search, search.saved.text)) };
      return promptKey(accepted, key, entries, ctx);
    }
  }
}
