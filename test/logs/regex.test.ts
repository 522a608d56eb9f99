import { describe, expect, it } from 'vitest';
import { compileRegex, regexProblem, RegexError, requiredLiterals } from '../../src/logs/regex.js';

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
  'o\u212a done', // a KELVIN SIGN: /ok/iu matches it
  'ſtarted', // a long s: /START/iu matches it
  'Started OK',
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
    // -i literals: searched once a block (caselessMatcher), the K and ſ signs through RE2
    ['ok', true],
    ['START', true],
    ['ERROR 4', true],
    ['\\[INFO\\]', true],
    ['ID=ABC-1', true],
    ['\\/BAR', true],
    ['hello world', true],
    // patterns with a literal every match holds: RE2 runs only on the lines that hold it
    ['Error: \\w+', false],
    ['(?:foo)?/bar', false],
    ['disk|ERROR \\d+', true],
    ['^error|ok', true],
    ['st?arted', true],
    ['ART+ED', true],
    ['a1b2{2}c', false],
    ['😀? smile', false],
    ['ab[c-]-123', false],
    ['\\.y|x\\.', false],
    ['(hello|naïve) (world|café)', false],
    ['CAFÉ', true],
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

  it.each([
    ['needle', ['needle']],
    ['seq=\\d+7 needle', ['7 needle']],
    ['refused|timeout', ['refused', 'timeout']],
    ['refused|a', undefined], // a branch without a literal of 2: every line may match
    ['x{2}yz', ['yz']], // the counts are not characters
    ['abc?d', ['ab']],
    ['abc*de', ['ab']], // the first of two runs as long
    ['\\u00e9tat|\\x41bc|\\u{1F600}xy|\\p{L}zz|\\cMqq|\\12ww', ['tat', 'bc', 'xy', 'zz', 'qq', 'ww']],
    ['ab+cd', ['ab']],
    ['ab\\.cd', ['ab.cd']],
    ['a\\dbcd', ['bcd']],
    ['(needle|pin) in', [' in']],
    ['[needle] x', [' x']],
    ['[]a-z]+xy', ['xy']],
    ['(a(b)c)xy', ['xy']],
    ['(?i)needle', undefined], // RE2's flag group changes what follows
    ['^start$', ['start']],
    ['wait.*done', ['wait']],
    ['x😀?yz', ['yz']], // a surrogate pair taken back whole
    ['école', ['école']],
  ])('requiredLiterals(%s) is %j', (pattern, want) => {
    expect(requiredLiterals(pattern, false)).toEqual(want);
  });

  it('requiredLiterals for -i wants ASCII runs only (the caseless search reads latin1)', () => {
    expect(requiredLiterals('école', true)).toBeUndefined();
    expect(requiredLiterals('error \\d', true)).toEqual(['error ']);
  });

  it('the required-literal search never drops a line RE2 matches (random patterns, fixed seed)', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const tokens = [
      'a',
      'b',
      'ab',
      'ba',
      'K',
      'k',
      's',
      'S',
      '\\d',
      '.',
      '*',
      '+',
      '?',
      '|',
      '(',
      ')',
      '(?:',
      '[ab]',
      '[^a]',
      '{2}',
      '{1,2}',
      '^',
      '$',
      '\\.',
      'x',
      '\\u006b',
      '7',
    ];
    const alphabet = ['a', 'b', 'k', 'K', 's', 'S', 'x', '7', '.', '\u212a', '\u017f', ' '];
    const lines = Array.from({ length: 60 }, () =>
      Array.from({ length: 1 + rand(8) }, () => alphabet[rand(alphabet.length)]).join(''),
    );
    const buf = Buffer.from(lines.join('\n'));
    let checked = 0;
    for (let k = 0; k < 3000; k++) {
      const pattern = Array.from({ length: 1 + rand(6) }, () => tokens[rand(tokens.length)]).join('');
      for (const ignoreCase of [false, true]) {
        let re: ReturnType<typeof compileRegex>;
        try {
          re = compileRegex(pattern, { ignoreCase });
        } catch {
          continue;
        }
        checked++;
        const want = lines.map((l) => re.test(l));
        let s = 0;
        const got = lines.map((l) => {
          const hit = re.testBytes(buf, s, s + Buffer.byteLength(l));
          s += Buffer.byteLength(l) + 1;
          return hit;
        });
        expect({ pattern, ignoreCase, got }).toEqual({ pattern, ignoreCase, got: want });
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it('a required literal is looked for once a block: a line without it never reaches RE2', () => {
    // lines of 'x' with one 'needle 7' in the middle: the answer must be that line only
    const lines = Array.from({ length: 2000 }, (_, i) => (i === 1234 ? 'seq=1234567 needle 7' : `seq=${i}7 x`));
    const buf = Buffer.from(lines.join('\n'));
    const re = compileRegex('seq=\\d+7 needle');
    const hits: number[] = [];
    let s = 0;
    lines.forEach((l, i) => {
      if (re.testBytes(buf, s, s + l.length)) hits.push(i);
      s += l.length + 1;
    });
    expect(hits).toEqual([1234]);
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
