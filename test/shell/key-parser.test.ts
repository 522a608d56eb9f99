import { describe, expect, it } from 'vitest';
import { parseKeys } from '../../src/shell/key-parser.js';

const k = (name: string) => ({ kind: 'key', name });
const t = (text: string) => ({ kind: 'text', text });

describe('parseKeys', () => {
  it('keeps a run of text (a paste) as one key', () => {
    expect(parseKeys('status web')).toEqual([t('status web')]);
    expect(parseKeys('héllo ✓')).toEqual([t('héllo ✓')]);
  });

  it('splits text around control characters', () => {
    expect(parseKeys('sta\trt\r')).toEqual([t('sta'), k('tab'), t('rt'), k('enter')]);
    expect(parseKeys('\n')).toEqual([k('enter')]);
  });

  it('tells Backspace (DEL, ^H) from Delete (ESC [3~)', () => {
    expect(parseKeys('\x7f')).toEqual([k('backspace')]);
    expect(parseKeys('\b')).toEqual([k('backspace')]);
    expect(parseKeys('\x1b[3~')).toEqual([k('delete')]);
  });

  it.each([
    ['\x1b[A', 'up'],
    ['\x1b[B', 'down'],
    ['\x1b[C', 'right'],
    ['\x1b[D', 'left'],
    ['\x1bOA', 'up'],
    ['\x1bOD', 'left'],
    ['\x1b[H', 'home'],
    ['\x1bOH', 'home'],
    ['\x1b[1~', 'home'],
    ['\x1b[7~', 'home'],
    ['\x1b[F', 'end'],
    ['\x1bOF', 'end'],
    ['\x1b[4~', 'end'],
    ['\x1b[8~', 'end'],
    ['\x1b[5~', 'pageup'],
    ['\x1b[6~', 'pagedown'],
    ['\x1b[Z', 'shift-tab'],
    ['\x1b[1;5C', 'word-right'],
    ['\x1b[1;5D', 'word-left'],
    ['\x1b[1;3C', 'word-right'],
    ['\x1bb', 'word-left'],
    ['\x1bf', 'word-right'],
    ['\x1bd', 'alt-d'],
    ['\x1b\x7f', 'alt-backspace'],
    ['\x1b', 'escape'],
  ])('%j is %s', (seq, name) => {
    expect(parseKeys(seq)).toEqual([k(name)]);
  });

  it('names Ctrl-letters', () => {
    expect(parseKeys('\x01\x05\x0b\x15\x17\x12\x03\x04\x0c')).toEqual(
      ['a', 'e', 'k', 'u', 'w', 'r', 'c', 'd', 'l'].map((c) => k(`ctrl-${c}`)),
    );
  });

  it('skips an unknown escape sequence whole, keeping what follows', () => {
    expect(parseKeys('\x1b[99;9zab')).toEqual([k('unknown'), t('ab')]);
    expect(parseKeys('a\x1b[Ab')).toEqual([t('a'), k('up'), t('b')]);
  });

  it('returns nothing for empty input', () => {
    expect(parseKeys('')).toEqual([]);
  });
});
