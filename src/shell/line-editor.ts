// The prompt's editable line as an immutable value and one pure function applying a key to it,
// so every editing behaviour is tested without a terminal.
import type { Key } from './key-parser.js';

/** The line being typed and the cursor's index in it (0..text.length). */
export interface LineState {
  readonly text: string;
  readonly cursor: number;
}

/** An empty line. */
export const EMPTY_LINE: LineState = { text: '', cursor: 0 };

/** A line holding `text` with the cursor at its end (history recall, completion). */
export function lineOf(text: string): LineState {
  return { text, cursor: text.length };
}

const isWordChar = (c: string | undefined) => c !== undefined && !/\s/.test(c);

/** Index of the start of the word before `cursor` (readline's backward-word). */
export function wordStartBefore(text: string, cursor: number): number {
  let i = cursor;
  while (i > 0 && !isWordChar(text[i - 1])) i--;
  while (i > 0 && isWordChar(text[i - 1])) i--;
  return i;
}

/** Index just after the end of the word at or after `cursor` (readline's forward-word). */
export function wordEndAfter(text: string, cursor: number): number {
  let i = cursor;
  while (i < text.length && !isWordChar(text[i])) i++;
  while (i < text.length && isWordChar(text[i])) i++;
  return i;
}

const at = (text: string, cursor: number): LineState => ({ text, cursor });

/** Applies one key to the line; keys that do not edit (Enter, Tab, Up...) return `state` itself. */
export function applyKey(state: LineState, key: Key): LineState {
  const { text, cursor } = state;
  if (key.kind === 'text') {
    const clean = key.text.replace(/[\r\n\t]+/g, ' ');
    return at(text.slice(0, cursor) + clean + text.slice(cursor), cursor + clean.length);
  }
  switch (key.name) {
    case 'left':
    case 'ctrl-b':
      return cursor > 0 ? at(text, cursor - 1) : state;
    case 'right':
    case 'ctrl-f':
      return cursor < text.length ? at(text, cursor + 1) : state;
    case 'home':
    case 'ctrl-a':
      return cursor !== 0 ? at(text, 0) : state;
    case 'end':
    case 'ctrl-e':
      return cursor !== text.length ? at(text, text.length) : state;
    case 'word-left':
      return at(text, wordStartBefore(text, cursor));
    case 'word-right':
      return at(text, wordEndAfter(text, cursor));
    case 'backspace':
      return cursor > 0 ? at(text.slice(0, cursor - 1) + text.slice(cursor), cursor - 1) : state;
    case 'delete':
    case 'ctrl-d':
      return cursor < text.length ? at(text.slice(0, cursor) + text.slice(cursor + 1), cursor) : state;
    case 'ctrl-k':
      return cursor < text.length ? at(text.slice(0, cursor), cursor) : state;
    case 'ctrl-u':
      return cursor > 0 ? at(text.slice(cursor), 0) : state;
    case 'ctrl-w':
    case 'alt-backspace': {
      const start = wordStartBefore(text, cursor);
      return start < cursor ? at(text.slice(0, start) + text.slice(cursor), start) : state;
    }
    case 'alt-d': {
      const end = wordEndAfter(text, cursor);
      return end > cursor ? at(text.slice(0, cursor) + text.slice(end), cursor) : state;
    }
    case 'ctrl-t': {
      // transpose the two characters before the cursor (at the end) or around it
      if (text.length < 2 || cursor === 0) return state;
      const c = cursor === text.length ? cursor - 1 : cursor;
      const swapped = text.slice(0, c - 1) + text[c] + text[c - 1] + text.slice(c + 1);
      return at(swapped, c + 1);
    }
    default:
      return state;
  }
}
