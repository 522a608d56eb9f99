import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addEntry,
  defaultHistoryFile,
  findBackward,
  historyDown,
  historyUp,
  HISTORY_LIMIT,
  loadHistory,
  saveHistory,
  searchBackspace,
  searchOlder,
  searchResult,
  searchType,
  startSearch,
  START_NAV,
  type HistoryNav,
} from '../../src/shell/history.js';

describe('addEntry', () => {
  it('appends trimmed lines and skips blank ones', () => {
    expect(addEntry(['a'], '  status  ')).toEqual(['a', 'status']);
    expect(addEntry(['a'], '   ')).toEqual(['a']);
  });
  it('collapses a consecutive duplicate', () => {
    expect(addEntry(['a', 'b'], 'b')).toEqual(['a', 'b']);
  });
  it('moves a repeated command to the end', () => {
    expect(addEntry(['a', 'b', 'c'], 'a')).toEqual(['b', 'c', 'a']);
  });
  it('keeps only the newest `limit` lines', () => {
    expect(addEntry(['1', '2', '3'], '4', 3)).toEqual(['2', '3', '4']);
    const many = Array.from({ length: HISTORY_LIMIT }, (_, i) => `cmd ${i}`);
    const next = addEntry(many, 'new');
    expect(next).toHaveLength(HISTORY_LIMIT);
    expect(next[0]).toBe('cmd 1');
    expect(next.at(-1)).toBe('new');
  });
  it('does not mutate its input', () => {
    const list = ['a'];
    addEntry(list, 'b');
    expect(list).toEqual(['a']);
  });
});

describe('load and save', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tend-history-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing file is an empty history', () => {
    expect(loadHistory(join(dir, 'nope'))).toEqual([]);
  });
  it('round-trips, creating folders, mode 0600', () => {
    const file = join(dir, 'sub', '.tend_history');
    saveHistory(file, ['status', 'start web']);
    expect(readFileSync(file, 'utf8')).toBe('status\nstart web\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadHistory(file)).toEqual(['status', 'start web']);
  });
  it('saves only the last 1,000 lines', () => {
    const file = join(dir, 'h');
    saveHistory(
      file,
      Array.from({ length: 1500 }, (_, i) => `c${i}`),
    );
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1000);
    expect(lines[0]).toBe('c500');
  });
  it('loading collapses duplicates and blank lines and keeps the limit', () => {
    const file = join(dir, 'h');
    writeFileSync(file, 'a\nb\n\nb\na\nc\n');
    expect(loadHistory(file)).toEqual(['b', 'a', 'c']);
    expect(loadHistory(file, 2)).toEqual(['a', 'c']);
  });
  it('saving an empty history writes an empty file', () => {
    const file = join(dir, 'h');
    saveHistory(file, []);
    expect(readFileSync(file, 'utf8')).toBe('');
  });
  it('defaults to ~/.tend_history', () => {
    expect(defaultHistoryFile()).toMatch(/\/\.tend_history$/);
  });
});

describe('Up/Down', () => {
  const entries = ['status', 'start web', 'logs web'];
  it('walks back to the oldest and stops there', () => {
    let nav: HistoryNav = START_NAV;
    const seen: string[] = [];
    for (;;) {
      const r = historyUp(entries, nav, 'typed');
      if (!r) break;
      nav = r.nav;
      seen.push(r.text);
    }
    expect(seen).toEqual(['logs web', 'start web', 'status']);
    expect(nav.back).toBe(3);
  });
  it('keeps the line being typed and gives it back after the newest', () => {
    const up1 = historyUp(entries, START_NAV, 'sta')!;
    const up2 = historyUp(entries, up1.nav, up1.text)!;
    expect(up2.nav.draft).toBe('sta');
    const down1 = historyDown(entries, up2.nav)!;
    expect(down1.text).toBe('logs web');
    const down2 = historyDown(entries, down1.nav)!;
    expect(down2).toEqual({ nav: { back: 0, draft: 'sta' }, text: 'sta' });
    expect(historyDown(entries, down2.nav)).toBeNull();
  });
  it('does nothing on an empty history', () => {
    expect(historyUp([], START_NAV, 'x')).toBeNull();
    expect(historyDown([], START_NAV)).toBeNull();
  });
  it('copes with the history growing while navigated', () => {
    const r = historyUp(['a'], START_NAV, '')!;
    expect(historyUp(['a', 'b'], r.nav, r.text)?.text).toBe('a');
  });
});

describe('Ctrl-R search', () => {
  const entries = ['start web', 'status', 'stop web', 'logs db'];
  it('finds the newest entry containing the query as it is typed', () => {
    let s = startSearch();
    s = searchType(entries, s, 'w');
    expect(s).toEqual({ query: 'w', match: 2, failed: false });
    s = searchType(entries, s, 'eb');
    expect(searchResult(entries, s, '')).toBe('stop web');
  });
  it('Ctrl-R again goes to older matches, failing (and staying) past the oldest', () => {
    let s = searchType(entries, startSearch(), 'web');
    s = searchOlder(entries, s);
    expect(searchResult(entries, s, '')).toBe('start web');
    s = searchOlder(entries, s);
    expect(s.failed).toBe(true);
    expect(searchResult(entries, s, '')).toBe('start web');
  });
  it('a query with no match fails and keeps the previous match', () => {
    let s = searchType(entries, startSearch(), 'st');
    expect(s.match).toBe(2);
    s = searchType(entries, s, 'x');
    expect(s).toEqual({ query: 'stx', match: 2, failed: true });
  });
  it('Backspace shortens the query and searches again from the newest', () => {
    let s = searchType(entries, startSearch(), 'stx');
    s = searchBackspace(entries, s);
    expect(s).toEqual({ query: 'st', match: 2, failed: false });
    s = searchBackspace(entries, searchBackspace(entries, s));
    expect(s).toEqual({ query: '', match: -1, failed: false });
  });
  it('an empty query matches nothing; the fallback stands', () => {
    expect(searchOlder(entries, startSearch())).toEqual(startSearch());
    expect(searchResult(entries, startSearch(), 'typed')).toBe('typed');
    expect(findBackward(entries, 'zzz', 3)).toBe(-1);
    expect(findBackward([], 'a', 5)).toBe(-1);
  });
});
