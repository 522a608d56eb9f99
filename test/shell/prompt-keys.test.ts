import { describe, expect, it } from 'vitest';
import type { CompletionContext } from '../../src/commands/completion.js';
import { SHELL_COMMANDS as COMMANDS } from '../../src/commands/index.js';
import { parseKeys } from '../../src/shell/key-parser.js';
import { INITIAL_PROMPT, promptKey, shownLine, type PromptEffect, type PromptState } from '../../src/shell/prompt-keys.js';

const ctx: CompletionContext = { commands: COMMANDS, services: ['db', 'web'], signals: ['SIGTERM'] };
const history = ['status', 'start web', 'logs db -f'];

/** Types raw terminal input; returns the final state and every effect in order. */
function type(input: string, from: PromptState = INITIAL_PROMPT, entries = history) {
  let state = from;
  const effects: PromptEffect[] = [];
  for (const key of parseKeys(input)) {
    const r = promptKey(state, key, entries, ctx);
    state = r.state;
    if (r.effect) effects.push(r.effect);
  }
  return { state, effects, shown: shownLine(state, entries) };
}

describe('promptKey', () => {
  it('Enter submits the line and resets the prompt', () => {
    const r = type('status web\r');
    expect(r.effects).toEqual([{ kind: 'submit', line: 'status web' }]);
    expect(r.state).toEqual(INITIAL_PROMPT);
  });
  it('edits through the line editor', () => {
    expect(type('stopp\x7f\x1b[D\x1b[D\x01x\x05!').shown).toEqual({ text: 'xstop!', cursor: 6 });
  });
  it('Tab completes; a second Tab lists; any other key resets the double-Tab', () => {
    expect(type('stat\t').shown.text).toBe('status ');
    expect(type('st\t').effects).toEqual([]);
    expect(type('st\t\t').effects).toEqual([{ kind: 'list', words: ['start', 'status', 'stop'] }]);
    expect(type('st\tx\x7f\t').effects).toEqual([]);
  });
  it('Up and Down walk history and give back the typed line', () => {
    expect(type('sta\x1b[A').shown.text).toBe('logs db -f');
    expect(type('sta\x1b[A\x1b[A').shown.text).toBe('start web');
    expect(type('sta\x1b[A\x1b[A\x1b[A\x1b[A').shown.text).toBe('status');
    expect(type('sta\x1b[A\x1b[A\x1b[B\x1b[B').shown).toEqual({ text: 'sta', cursor: 3 });
    expect(type('\x10\x0e\x10').shown.text).toBe('logs db -f'); // Ctrl-P, Ctrl-N
    expect(type('\x1b[A\r').effects).toEqual([{ kind: 'submit', line: 'logs db -f' }]);
  });
  it('Ctrl-C cancels the line, reporting what was typed', () => {
    const r = type('stop web\x03');
    expect(r.effects).toEqual([{ kind: 'cancel', text: 'stop web' }]);
    expect(r.state).toEqual(INITIAL_PROMPT);
  });
  it('Ctrl-D quits on an empty line and deletes otherwise', () => {
    expect(type('\x04').effects).toEqual([{ kind: 'eof' }]);
    const r = type('ab\x01\x04');
    expect(r.effects).toEqual([]);
    expect(r.shown.text).toBe('b');
  });
  it('Ctrl-L asks for a clear screen and keeps the line', () => {
    const r = type('sta\x0c');
    expect(r.effects).toEqual([{ kind: 'clear-screen' }]);
    expect(r.shown.text).toBe('sta');
  });
});

describe('promptKey: Ctrl-R', () => {
  it('shows the newest match while typing, Enter runs it', () => {
    const r = type('\x12web');
    expect(r.state.search).toMatchObject({ query: 'web', failed: false });
    expect(r.shown.text).toBe('start web');
    expect(type('\x12db\r').effects).toEqual([{ kind: 'submit', line: 'logs db -f' }]);
  });
  it('Ctrl-R again finds older matches', () => {
    expect(type('\x12st').shown.text).toBe('start web');
    expect(type('\x12st\x12').shown.text).toBe('status');
    expect(type('\x12st\x12\x12').state.search?.failed).toBe(true);
  });
  it('Escape ends the search keeping the match on the prompt to edit, as readline does', () => {
    const r = type('xy\x12web\x1b');
    expect(r.state.search).toBeNull();
    expect(r.effects).toEqual([]);
    expect(r.shown).toEqual({ text: 'start web', cursor: 9 });
    // then it is an ordinary line: typed to, and run by Enter as edited
    const edited = type(' db\r', r.state);
    expect(edited.effects).toEqual([{ kind: 'submit', line: 'start web db' }]);
  });
  it('Escape with nothing found keeps the line typed before the search', () => {
    expect(type('xy\x12zzz\x1b').shown).toEqual({ text: 'xy', cursor: 2 });
    expect(type('xy\x12\x1b').shown).toEqual({ text: 'xy', cursor: 2 });
  });
  it('Ctrl-G ends the search putting back the line as it was before it, cursor and all', () => {
    const before = type('stop xy\x1b[D\x1b[D');
    expect(before.shown).toEqual({ text: 'stop xy', cursor: 5 });
    const r = type('\x12web\x07', before.state);
    expect(r.state.search).toBeNull();
    expect(r.effects).toEqual([]);
    expect(r.shown).toEqual({ text: 'stop xy', cursor: 5 });
  });
  it('Left/Right and Home/End end the search on the match and move in it', () => {
    expect(type('\x12web\x1b[C').shown).toEqual({ text: 'start web', cursor: 9 });
    expect(type('\x12web\x1b[H').shown).toEqual({ text: 'start web', cursor: 0 });
    expect(type('\x12web\x1b[H\x1b[F').shown).toEqual({ text: 'start web', cursor: 9 });
    expect(type('\x12web\x1b[H').state.search).toBeNull();
  });
  it('an editing key accepts the match and then acts on it', () => {
    const r = type('\x12web\x1b[D');
    expect(r.state.search).toBeNull();
    expect(r.shown).toEqual({ text: 'start web', cursor: 8 });
    expect(type('\x12web\x05 db').shown.text).toBe('start web db');
  });
  it('Backspace edits the query; Ctrl-C abandons the search', () => {
    expect(type('\x12webx\x7f').state.search).toMatchObject({ query: 'web', failed: false });
    const r = type('\x12web\x03');
    expect(r.effects).toEqual([{ kind: 'cancel', text: 'start web' }]);
    expect(r.state).toEqual(INITIAL_PROMPT);
  });
  it('with no match Enter runs the line typed before', () => {
    expect(type('abc\x12zzz\r').effects).toEqual([{ kind: 'submit', line: 'abc' }]);
  });
});
