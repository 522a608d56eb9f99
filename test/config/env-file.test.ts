import { describe, expect, test } from 'vitest';
import { parseEnvFile } from '../../src/config/index.js';

describe('parseEnvFile', () => {
  test('KEY=VALUE lines, comments, blank lines, export prefix', () => {
    const { vars, problems } = parseEnvFile(
      ['# comment', '', 'A=1', '  B = two  ', 'export C=3', 'EMPTY=', 'URL=http://x/?a=b#frag', 'A=again'].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(vars).toEqual({ A: 'again', B: 'two', C: '3', EMPTY: '', URL: 'http://x/?a=b#frag' });
  });

  test('quotes are stripped; double quotes take escapes, single quotes are literal', () => {
    const { vars, problems } = parseEnvFile(
      ['D="a b\\nc\\t\\"q\\" \\\\"', "S='x \\n y # not a comment'", 'H="v" # trailing comment', 'E=""', 'P="$HOME"'].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(vars).toEqual({ D: 'a b\nc\t"q" \\', S: 'x \\n y # not a comment', H: 'v', E: '', P: '$HOME' });
  });

  test('a space-hash starts a comment in a bare value', () => {
    expect(parseEnvFile('A=1 # one\nB=x#y\n').vars).toEqual({ A: '1', B: 'x#y' });
  });

  test('CRLF line ends and a BOM are fine', () => {
    expect(parseEnvFile('\uFEFFA=1\r\nB=2\r\n').vars).toEqual({ A: '1', B: '2' });
  });

  test('bad lines are reported with line and column, the good ones kept', () => {
    const { vars, problems } = parseEnvFile(['A=1', 'garbage', '2X=1', 'Q="open', "R='x' y", 'B=2'].join('\n'));
    expect(vars).toEqual({ A: '1', B: '2' });
    expect(problems).toEqual([
      { line: 2, col: 1, message: 'expected KEY=VALUE; got "garbage"' },
      { line: 3, col: 1, message: 'expected a variable name; got "2X"' },
      { line: 4, col: 3, message: 'unterminated double-quoted value' },
      { line: 5, col: 3, message: 'unexpected text after the closing quote: "y"' },
    ]);
  });
});
