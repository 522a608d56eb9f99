// Terminal input bytes -> named keys, as a pure function (after Ink's parse-keypress), so the
// shell can tell Backspace (DEL, 0x7f) from Delete (ESC [3~), which Ink's useInput merges.

type Letter =
  | 'a'
  | 'b'
  | 'c'
  | 'd'
  | 'e'
  | 'f'
  | 'g'
  | 'h'
  | 'i'
  | 'j'
  | 'k'
  | 'l'
  | 'm'
  | 'n'
  | 'o'
  | 'p'
  | 'q'
  | 'r'
  | 's'
  | 't'
  | 'u'
  | 'v'
  | 'w'
  | 'x'
  | 'y'
  | 'z';

/** Every non-text key the shell distinguishes. */
export type KeyName =
  | 'enter'
  | 'tab'
  | 'shift-tab'
  | 'backspace'
  | 'delete'
  | 'escape'
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'home'
  | 'end'
  | 'pageup'
  | 'pagedown'
  | 'word-left'
  | 'word-right'
  | 'alt-d'
  | 'alt-backspace'
  | 'unknown'
  | `ctrl-${Letter}`;

/** One keypress: typed (or pasted) text, or a named key. */
export type Key = { kind: 'text'; text: string } | { kind: 'key'; name: KeyName };

const ESCAPES: Record<string, KeyName> = {
  '[A': 'up',
  '[B': 'down',
  '[C': 'right',
  '[D': 'left',
  OA: 'up',
  OB: 'down',
  OC: 'right',
  OD: 'left',
  '[H': 'home',
  OH: 'home',
  '[1~': 'home',
  '[7~': 'home',
  '[F': 'end',
  OF: 'end',
  '[4~': 'end',
  '[8~': 'end',
  '[3~': 'delete',
  '[5~': 'pageup',
  '[6~': 'pagedown',
  '[Z': 'shift-tab',
  // Ctrl or Alt with an arrow: move by word (xterm modifiers 3 = Alt, 5 = Ctrl)
  '[1;5C': 'word-right',
  '[1;5D': 'word-left',
  '[1;3C': 'word-right',
  '[1;3D': 'word-left',
  b: 'word-left',
  f: 'word-right',
  B: 'word-left',
  F: 'word-right',
  d: 'alt-d',
  '\x7f': 'alt-backspace',
  '\b': 'alt-backspace',
};

const key = (name: KeyName): Key => ({ kind: 'key', name });

/** Length of the escape sequence starting at `s[i]` (an ESC), so unknown ones are skipped whole. */
function escapeLength(s: string, i: number): number {
  const next = s[i + 1];
  if (next === undefined) return 1;
  if (next === '[') {
    let j = i + 2;
    while (j < s.length && /[0-9;:?<=>\x20-\x2f[]/.test(s[j]!)) j++;
    return Math.min(j + 1, s.length) - i; // include the final byte
  }
  if (next === 'O') return Math.min(3, s.length - i);
  return 2; // Alt + one character
}

/** Splits a chunk of terminal input into keys; text runs stay together (a paste is one key). */
export function parseKeys(input: string): Key[] {
  const keys: Key[] = [];
  let text = '';
  const flush = () => {
    if (text) keys.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    const code = ch.charCodeAt(0);
    if (ch === '\x1b') {
      flush();
      const len = escapeLength(input, i);
      const body = input.slice(i + 1, i + len);
      keys.push(len === 1 ? key('escape') : key(ESCAPES[body] ?? 'unknown'));
      i += len;
      continue;
    }
    if (code < 0x20 || code === 0x7f) {
      flush();
      if (ch === '\r' || ch === '\n') keys.push(key('enter'));
      else if (ch === '\t') keys.push(key('tab'));
      else if (ch === '\b' || code === 0x7f) keys.push(key('backspace'));
      else if (code >= 1 && code <= 26) keys.push(key(`ctrl-${String.fromCharCode(code + 96) as Letter}`));
      else keys.push(key('unknown'));
      i++;
      continue;
    }
    text += ch;
    i++;
  }
  flush();
  return keys;
}
