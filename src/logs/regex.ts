// User regexes (`logs --grep`, probe `expect`) run in linear time: RE2's engine (the re2js port,
// pure JS, a DFA) instead of V8's backtracking one, so `^(a+)+$` against a long line costs
// microseconds, not the daemon's next minute. JavaScript syntax is accepted as users write it
// (\d \b \w \s, classes, anchors, groups, named groups, lookbehind); what needs backtracking
// (backreferences, lookahead) is refused with an error naming the pattern.
import { RE2JS } from 're2js';

/** A compiled user regex: tests one line (a string, or its UTF-8 bytes). */
export interface LineMatcher {
  /** the pattern as the user wrote it */
  readonly source: string;
  readonly ignoreCase: boolean;
  /** true when the pattern matches somewhere in the line (like RegExp.prototype.test) */
  test(line: string | Buffer): boolean;
  /**
   * The same on bytes start..end of buf, for readers scanning blocks without a copy a line.
   * Its bytes must not change between calls with the same buffer (a search result is reused).
   */
  testBytes(buf: Buffer, start: number, end: number): boolean;
}

/** A pattern the engine cannot run; the message names it and says why. */
export class RegexError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`invalid regex /${pattern}/: ${reason}`);
    this.name = 'RegexError';
  }
}

// JavaScript's \s: Unicode white space and line terminators (RE2's \s is only [\t\n\f\r ])
const SPACE = '\\t\\n\\x{0b}\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}';
// a pattern without any operator: found with Buffer.indexOf (memmem) instead of a regex
const LITERAL = /^(?:[^\\^$.|?*+()[\]{}]|\\[\\^$.|?*+()[\]{}/-])+$/;

/**
 * Rewrites what RE2 reads differently from JavaScript (`\s`, `\S`) and refuses what it would
 * silently misread (`\k<name>`, a backreference RE2 takes as the letters `k<name>`).
 */
function toRe2(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      const next = pattern[i + 1]!;
      i++;
      if (next === 'k' && pattern[i + 1] === '<') {
        throw new RegexError(pattern, 'backreferences (\\k<name>) are not supported: tend matches in linear time');
      }
      if (next === 's') out += inClass ? SPACE : `[${SPACE}]`;
      else if (next === 'S' && !inClass) out += `[^${SPACE}]`;
      else out += c + next;
      continue;
    }
    if (c === '[' && !inClass) inClass = true;
    else if (c === ']' && inClass) inClass = false;
    out += c;
  }
  return RE2JS.translateRegExp(out);
}

/** Words for RE2's parse errors, by what users most often meet. */
function reasonOf(err: Error): string {
  const m = err.message.replace(/^error parsing regexp: /, '');
  if (/invalid escape sequence: `\\[1-9]/.test(m)) {
    return 'backreferences (\\1) are not supported: tend matches in linear time';
  }
  if (/unsupported Perl syntax: `\(\?[=!]/.test(m)) {
    return 'lookahead ((?=...), (?!...)) is not supported: tend matches in linear time';
  }
  if (/invalid capture in lookbehind/.test(m)) return 'a lookbehind cannot hold a capturing group: write (?:...) inside it';
  return m;
}

function literalMatcher(source: string, text: string): LineMatcher {
  const needle = Buffer.from(text, 'utf8');
  // the last search of one buffer: a rare literal is looked for once a block, not once a line
  let lastBuf: Buffer | undefined;
  let lastFrom = 0;
  let lastHit = -1;
  return {
    source,
    ignoreCase: false,
    test: (line) => (typeof line === 'string' ? line.includes(text) : line.includes(needle)),
    testBytes(buf, start, end) {
      // going backwards: search this line only (a search to the block's end each line is quadratic)
      if (buf === lastBuf && start < lastFrom) return buf.subarray(start, end).includes(needle);
      if (buf !== lastBuf || (lastHit !== -1 && lastHit < start)) {
        lastBuf = buf;
        lastFrom = start;
        lastHit = buf.indexOf(needle, start);
      }
      return lastHit !== -1 && lastHit + needle.length <= end;
    },
  };
}

/**
 * Why: every regex from a config or a command (probes, `--grep`) must run in linear time.
 * Throws a RegexError naming the pattern when it is invalid or needs backtracking.
 */
export function compileRegex(pattern: string, opts: { ignoreCase?: boolean } = {}): LineMatcher {
  const ignoreCase = opts.ignoreCase ?? false;
  if (!ignoreCase && LITERAL.test(pattern)) return literalMatcher(pattern, pattern.replace(/\\(.)/g, '$1'));
  let re: RE2JS;
  try {
    re = RE2JS.compile(toRe2(pattern), RE2JS.LOOKBEHINDS | (ignoreCase ? RE2JS.CASE_INSENSITIVE : 0));
  } catch (err) {
    if (err instanceof RegexError) throw err;
    throw new RegexError(pattern, reasonOf(err as Error));
  }
  // strings run faster through re2js than byte arrays (measured: 2-4x), so bytes are decoded
  return {
    source: pattern,
    ignoreCase,
    test: (line) => re.test(typeof line === 'string' ? line : line.toString('utf8')),
    testBytes: (buf, start, end) => re.test(buf.toString('utf8', start, end)),
  };
}

/** Why: the config loader's check of a probe's regex. The problem in words, or undefined when it compiles. */
export function regexProblem(pattern: string, opts: { ignoreCase?: boolean } = {}): string | undefined {
  try {
    compileRegex(pattern, opts);
    return undefined;
  } catch (err) {
    return err instanceof RegexError ? err.message : String(err);
  }
}
