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
const ASCII = /^[\x20-\x7e]*$/;

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

/** How a literal is found: the next hit in buf from a byte on, and whether a line holds one. */
interface LiteralSearch {
  readonly length: number;
  next(buf: Buffer, from: number): number;
  within(buf: Buffer, start: number, end: number): boolean;
}

/**
 * Why: `--grep` over a big log. Whether bytes start..end hold the literal, looked for once a block
 * (the next hit from the first line asked, kept until a line past it), not once a line: a rare
 * word costs one pass over the bytes, not a search a line.
 */
function blockSearch(search: LiteralSearch): (buf: Buffer, start: number, end: number) => boolean {
  let lastBuf: Buffer | undefined;
  let lastFrom = 0;
  let lastHit = -1;
  return (buf, start, end) => {
    // going backwards: search this line only (a search to the block's end each line is quadratic)
    if (buf === lastBuf && start < lastFrom) return search.within(buf, start, end);
    if (buf !== lastBuf || (lastHit !== -1 && lastHit < start)) {
      lastBuf = buf;
      lastFrom = start;
      lastHit = search.next(buf, start);
    }
    return lastHit !== -1 && lastHit + search.length <= end;
  };
}

/** The search for a literal's bytes (memmem). */
function byteSearch(text: string): LiteralSearch {
  const needle = Buffer.from(text, 'utf8');
  return {
    length: needle.length,
    next: (buf, from) => buf.indexOf(needle, from),
    within: (buf, start, end) => buf.subarray(start, end).includes(needle),
  };
}

function literalMatcher(source: string, text: string): LineMatcher {
  const needle = Buffer.from(text, 'utf8');
  return {
    source,
    ignoreCase: false,
    test: (line) => (typeof line === 'string' ? line.includes(text) : line.includes(needle)),
    testBytes: blockSearch(byteSearch(text)),
  };
}

// The characters outside ASCII that Unicode case folding (a JavaScript /iu regex, RE2's -i) maps
// onto ASCII letters: KELVIN SIGN (k) and LATIN SMALL LETTER LONG S (s), in UTF-8.
const FOLDS_TO_ASCII = [Buffer.from('\u212a', 'utf8'), Buffer.from('\u017f', 'utf8')];
const FOLD_SEARCH: LiteralSearch = {
  length: 2,
  next(buf, from) {
    const hits = FOLDS_TO_ASCII.map((f) => buf.indexOf(f, from)).filter((i) => i !== -1);
    return hits.length ? Math.min(...hits) : -1;
  },
  within: (buf, start, end) => FOLDS_TO_ASCII.some((f) => buf.subarray(start, end).includes(f)),
};

/**
 * The search for an ASCII literal without case: the block as latin1 text, searched by a caseless
 * JavaScript regex of the literal without the `u` flag, so that only ASCII letters fold and a byte
 * is a character (offsets are bytes). The K and ſ signs, which /iu folds onto k and s, are left to
 * the caller (FOLD_SEARCH).
 */
function caselessSearch(text: string): LiteralSearch {
  const escaped = text.replace(/[\\^$.|?*+()[\]{}/-]/g, '\\$&');
  const global = new RegExp(escaped, 'gi');
  const one = new RegExp(escaped, 'i');
  let textBuf: Buffer | undefined;
  let latin1 = '';
  return {
    length: text.length,
    next(buf, from) {
      if (buf !== textBuf) {
        textBuf = buf;
        latin1 = buf.toString('latin1');
      }
      global.lastIndex = from;
      return global.exec(latin1)?.index ?? -1;
    },
    within: (buf, start, end) => one.test(buf.toString('latin1', start, end)),
  };
}

/** Where an escape's payload ends (\u00e9, \u{1F600}, \x41, \cM, \p{L}, \k<name>, \12), from its letter at i. */
function escapeEnd(pattern: string, i: number): number {
  const letter = pattern[i];
  const braced = (open: string, close: string) => {
    if (pattern[i + 1] !== open) return i;
    const j = pattern.indexOf(close, i + 1);
    return j === -1 ? pattern.length : j;
  };
  const hex = (most: number) => {
    let j = i;
    while (j - i < most && /[0-9a-fA-F]/.test(pattern[j + 1] ?? '')) j++;
    return j;
  };
  if (letter === 'u') return pattern[i + 1] === '{' ? braced('{', '}') : hex(4);
  if (letter === 'x') return hex(2);
  if (letter === 'c') return i + 1;
  if (letter === 'p' || letter === 'P') return pattern[i + 1] === '{' ? braced('{', '}') : i + 1;
  if (letter === 'k') return braced('<', '>');
  let j = i;
  if (/[0-9]/.test(letter ?? '')) while (/[0-9]/.test(pattern[j + 1] ?? '')) j++;
  return j;
}

/** Where the class opened at `at` ends (its `]`): a `]` first or after `^` is a member, escapes are skipped. */
function classEnd(pattern: string, at: number): number {
  let j = at + 1;
  if (pattern[j] === '^') j++;
  if (pattern[j] === ']') j++;
  while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
  return j;
}

/** Below this many characters a required literal is not worth a search of its own. */
const MIN_REQUIRED = 2;

/**
 * Why: `--grep` through RE2 decodes and runs every line (over 1 GB: 2.7 s, 6.7 s with -i,
 * against 1.2 s for a literal found once a block). For each top-level branch of a JavaScript
 * pattern, the longest run of characters that every match of the branch holds, read
 * conservatively: anything but a plain or escaped punctuation character ends a run (classes,
 * groups, `.`, `\d`, anchors), and a quantifier takes back the character before it. Undefined
 * when a branch has no such run of MIN_REQUIRED characters (then every line goes to RE2), or with
 * `ascii` when a run is not ASCII.
 */
export function requiredLiterals(pattern: string, ascii: boolean): string[] | undefined {
  // RE2's own flag groups ((?i), (?s:...)), which JavaScript has not: they change what the rest means
  if (/\(\?[a-zA-Z]/.test(pattern)) return undefined;
  const branches: string[] = [];
  let best = '';
  let run = '';
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      i++;
      if (/[\^$.|?*+()[\]{}/\\-]/.test(next) && next !== '') run += next;
      else {
        end(); // \d \b \u00e9 \k<x> and the like: not one known character
        i = escapeEnd(pattern, i);
      }
    } else if (c === '[') {
      end();
      i = classEnd(pattern, i);
    } else if (c === '(') {
      end();
      // to the group's end: a group's literals are not required (it may be optional or a branch)
      let depth = 1;
      let j = i + 1;
      for (; j < pattern.length && depth > 0; j++) {
        const d = pattern[j];
        if (d === '\\') j++;
        else if (d === '[') j = classEnd(pattern, j);
        else if (d === '(') depth++;
        else if (d === ')') depth--;
      }
      i = j - 1;
    } else if (c === '|') {
      end();
      branches.push(best);
      best = '';
    } else if (c === '*' || c === '?' || c === '{' || c === '+') {
      // x* x? x{0,2} make x optional (a whole character: both halves of a surrogate pair); x+
      // keeps one x, but what follows it may be another x: the run ends either way
      if (c !== '+') run = run.slice(0, /[\uDC00-\uDFFF]$/.test(run) ? -2 : -1);
      end();
      if (c === '{') {
        const close = pattern.indexOf('}', i);
        if (close !== -1) i = close; // the counts are not characters of the line
      }
    } else if (c === '.' || c === '^' || c === '$' || c === ')' || c === ']' || c === '}') end();
    else run += c;
  }
  end();
  branches.push(best);
  if (branches.some((b) => b.length < MIN_REQUIRED || (ascii && !ASCII.test(b)))) return undefined;
  return branches;
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
  const test = (line: string | Buffer) => re.test(typeof line === 'string' ? line : line.toString('utf8'));
  const run = (buf: Buffer, start: number, end: number) => re.test(buf.toString('utf8', start, end));
  const literals = requiredLiterals(pattern, ignoreCase);
  if (!literals) return { source: pattern, ignoreCase, test, testBytes: run };
  // a line holding none of the branches' literals cannot match: RE2 runs only on the others
  const has = literals.map((l) => blockSearch(ignoreCase ? caselessSearch(l) : byteSearch(l)));
  const signs = ignoreCase && literals.some((l) => /[ks]/i.test(l)) ? blockSearch(FOLD_SEARCH) : undefined;
  // an -i literal: a hit is a match (only a line with a sign needs RE2)
  const exact = LITERAL.test(pattern);
  return {
    source: pattern,
    ignoreCase,
    test,
    testBytes(buf, start, end) {
      if (has.some((h) => h(buf, start, end))) return exact || run(buf, start, end);
      return (signs?.(buf, start, end) ?? false) && run(buf, start, end);
    },
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
