import { describe, expect, it } from 'vitest';
import { compileRegex, regexProblem, RegexError } from '../../src/logs/regex.js';

const LINES = [
  'hello world',
  'Error: disk full',
  'ERROR 42',
  'a1b22c333',
  'foo/bar/baz',
  'tab\there',
  'naïve café',
  'ÉCOLE école',
  'x.y',
  'path\\to',
  '[info] started',
  'price $5',
  'a\u00a0b',
  '',
  'user@example.com',
  '😀 smile',
  'id=abc-123',
];

describe('compileRegex', () => {
  // what users write, checked against V8's own RegExp on the same lines
  it.each([
    ['error', false],
    ['error', true],
    ['^Error', false],
    ['full$', false],
    ['\\d+', false],
    ['\\d{3}', false],
    ['\\bworld\\b', false],
    ['\\w+@\\w+\\.com', false],
    ['[^a-z ]', false],
    ['\\s', false],
    ['a\\sb', false],
    ['[\\s.]y', false],
    ['\\S+', false],
    ['(foo|bar)/baz', false],
    ['(?:foo)+', false],
    ['(?<name>ab)c', false],
    ['.+?c', false],
    ['\\.', false],
    ['\\/bar', false],
    ['\\\\to', false],
    ['\\[info\\]', false],
    ['\\$5', false],
    ['é', false],
    ['école', true],
    ['É', true],
    ['\\u00e9', false],
    ['\\x41', true],
    ['^$', false],
    ['[\\d-]+3$', false],
    ['😀', false],
    ['^.{2}$', false],
    ['(?<=abc-)\\d+', false],
    ['(?<!\\w)b', false],
    ['id=abc-1', false],
  ])('/%s/ (ignoreCase %s) matches the lines RegExp matches, as string and as bytes', (pattern, ignoreCase) => {
    const re = compileRegex(pattern, { ignoreCase });
    const js = new RegExp(pattern, ignoreCase ? 'iu' : 'u');
    const want = LINES.filter((l) => js.test(l));
    expect(LINES.filter((l) => re.test(l))).toEqual(want);
    expect(LINES.filter((l) => re.test(Buffer.from(l)))).toEqual(want);
    // testBytes on lines inside one buffer, forwards then backwards
    const buf = Buffer.from(LINES.join('\n'));
    const spans: Array<[number, number]> = [];
    let s = 0;
    for (const l of LINES) {
      const len = Buffer.byteLength(l);
      spans.push([s, s + len]);
      s += len + 1;
    }
    expect(LINES.filter((_, i) => re.testBytes(buf, spans[i]![0], spans[i]![1]))).toEqual(want);
    const back = LINES.map((_, i) => i)
      .reverse()
      .filter((i) => re.testBytes(buf, spans[i]![0], spans[i]![1]))
      .reverse()
      .map((i) => LINES[i]);
    expect(back).toEqual(want);
  });

  it('runs a catastrophic pattern in linear time (the probe that froze the daemon)', () => {
    // V8 takes seconds and doubles with each character; RE2 answers at once. The assertion is the
    // answer; the test's own timeout is what a backtracking engine would hit.
    const re = compileRegex('^(a+)+$');
    expect(re.test('a'.repeat(5000) + 'b')).toBe(false);
    expect(re.test('a'.repeat(5000))).toBe(true);
    expect(compileRegex('(x+x+)+y').test('x'.repeat(100_000))).toBe(false);
  });

  it.each([
    ['(a)\\1', 'invalid regex /(a)\\1/: backreferences (\\1) are not supported: tend matches in linear time'],
    ['(?<n>a)\\k<n>', 'invalid regex /(?<n>a)\\k<n>/: backreferences (\\k<name>) are not supported: tend matches in linear time'],
    ['foo(?=bar)', 'invalid regex /foo(?=bar)/: lookahead ((?=...), (?!...)) is not supported: tend matches in linear time'],
    ['foo(?!bar)', 'invalid regex /foo(?!bar)/: lookahead ((?=...), (?!...)) is not supported: tend matches in linear time'],
    ['(?<=(a))b', 'invalid regex /(?<=(a))b/: a lookbehind cannot hold a capturing group: write (?:...) inside it'],
    ['(', 'invalid regex /(/: missing closing ): `(`'],
    ['[a', 'invalid regex /[a/: missing closing ]: `[a`'],
    ['a**', 'invalid regex /a**/: invalid nested repetition operator: `**`'],
    ['x{1001}', 'invalid regex /x{1001}/: invalid repeat count: `{1001}`'],
  ])('refuses /%s/ naming the pattern and why', (pattern, message) => {
    expect(() => compileRegex(pattern)).toThrow(RegexError);
    expect(() => compileRegex(pattern)).toThrow(message);
    expect(regexProblem(pattern)).toBe(message);
  });

  it('regexProblem is undefined for a valid pattern', () => {
    expect(regexProblem('^ready on port \\d+$')).toBeUndefined();
    expect(regexProblem('READY', { ignoreCase: true })).toBeUndefined();
  });

  it('a literal pattern finds its bytes within the line only, rare or not', () => {
    const re = compileRegex('needle');
    const buf = Buffer.from('aaa\nbbb needle\nccc\nneedl\ne needle');
    // lines: [0,3) [4,14) [15,18) [19,24) [25,33)
    expect([re.testBytes(buf, 0, 3), re.testBytes(buf, 4, 14), re.testBytes(buf, 15, 18)]).toEqual([false, true, false]);
    expect([re.testBytes(buf, 19, 24), re.testBytes(buf, 25, 33)]).toEqual([false, true]);
    // the same buffer searched afresh from its start
    expect(re.testBytes(buf, 0, 3)).toBe(false);
    expect(re.testBytes(buf, 4, 13)).toBe(false); // the hit ends past this range
  });
});
