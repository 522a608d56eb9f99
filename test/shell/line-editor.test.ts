import { describe, expect, it } from 'vitest';
import type { Key, KeyName } from '../../src/shell/key-parser.js';
import { applyKey, EMPTY_LINE, lineOf, wordEndAfter, wordStartBefore, type LineState } from '../../src/shell/line-editor.js';

const key = (name: KeyName): Key => ({ kind: 'key', name });
const text = (t: string): Key => ({ kind: 'text', text: t });
/** "ab|cd" -> { text: "abcd", cursor: 2 } */
const L = (s: string): LineState => ({ text: s.replace('|', ''), cursor: s.indexOf('|') });
const show = (s: LineState) => s.text.slice(0, s.cursor) + '|' + s.text.slice(s.cursor);
const run = (start: string, ...keys: Key[]) => show(keys.reduce(applyKey, L(start)));

describe('applyKey', () => {
  it('inserts typed and pasted text at the cursor', () => {
    expect(run('|', text('a'), text('b'))).toBe('ab|');
    expect(run('st|us', text('at'))).toBe('stat|us');
    expect(run('|', text('a\tb\r\nc'))).toBe('a b c|');
  });

  it.each<[string, KeyName, string]>([
    ['ab|c', 'left', 'a|bc'],
    ['|abc', 'left', '|abc'],
    ['ab|c', 'ctrl-b', 'a|bc'],
    ['a|bc', 'right', 'ab|c'],
    ['abc|', 'right', 'abc|'],
    ['a|bc', 'ctrl-f', 'ab|c'],
    ['ab|c', 'home', '|abc'],
    ['ab|c', 'ctrl-a', '|abc'],
    ['a|bc', 'end', 'abc|'],
    ['a|bc', 'ctrl-e', 'abc|'],
    ['ab|c', 'backspace', 'a|c'],
    ['|abc', 'backspace', '|abc'],
    ['a|bc', 'delete', 'a|c'],
    ['abc|', 'delete', 'abc|'],
    ['a|bc', 'ctrl-d', 'a|c'],
    ['ab|cd', 'ctrl-k', 'ab|'],
    ['abcd|', 'ctrl-k', 'abcd|'],
    ['ab|cd', 'ctrl-u', '|cd'],
    ['|abcd', 'ctrl-u', '|abcd'],
    ['start web db|', 'ctrl-w', 'start web |'],
    ['start web  |', 'ctrl-w', 'start |'],
    ['start we|b', 'ctrl-w', 'start |b'],
    ['|start', 'ctrl-w', '|start'],
    ['start web|', 'alt-backspace', 'start |'],
    ['start web db|', 'word-left', 'start web |db'],
    ['start |web', 'word-left', '|start web'],
    ['|start web', 'word-right', 'start| web'],
    ['start| web', 'word-right', 'start web|'],
    ['start |web db', 'alt-d', 'start | db'],
    ['ab|', 'ctrl-t', 'ba|'],
    ['a|bc', 'ctrl-t', 'ba|c'],
    ['|ab', 'ctrl-t', '|ab'],
  ])('%s + %s = %s', (start, name, want) => {
    expect(run(start, key(name))).toBe(want);
  });

  it('returns the same object for keys that do not edit', () => {
    const s = L('ab|c');
    for (const n of ['enter', 'tab', 'up', 'down', 'ctrl-r', 'ctrl-c', 'escape'] as KeyName[]) {
      expect(applyKey(s, key(n))).toBe(s);
    }
    const end = L('abc|');
    expect(applyKey(end, key('right'))).toBe(end);
  });

  it('never mutates its input', () => {
    const s = L('ab|c');
    const copy = { ...s };
    applyKey(s, text('x'));
    applyKey(s, key('ctrl-k'));
    expect(s).toEqual(copy);
  });
});

describe('helpers', () => {
  it('lineOf puts the cursor at the end', () => {
    expect(lineOf('status')).toEqual({ text: 'status', cursor: 6 });
    expect(EMPTY_LINE).toEqual({ text: '', cursor: 0 });
  });
  it('finds word edges across runs of spaces', () => {
    expect(wordStartBefore('a  bc  ', 7)).toBe(3);
    expect(wordEndAfter('a  bc  ', 1)).toBe(5);
    expect(wordStartBefore('', 0)).toBe(0);
    expect(wordEndAfter('abc', 3)).toBe(3);
  });
});
