// yaml's syntax errors as config problems: its words without the excerpt, and for the classic
// `command: echo "x: y"` (a colon and a space inside an unquoted value) how to write it instead.
import type { YAMLError } from 'yaml';
import type { ConfigProblem } from '../core/errors.js';

/** One problem per syntax error of the file `file` whose text is `text`. */
export function syntaxProblems(errors: readonly YAMLError[], text: string, file: string): ConfigProblem[] {
  return errors.map((e) => {
    const line = e.linePos?.[0].line ?? 0;
    const col = e.linePos?.[0].col ?? 0;
    let message = e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
    if (e.code === 'BLOCK_AS_IMPLICIT_KEY') {
      const fix = quoteFix(lineOf(text, line));
      if (fix) message += `; quote the value: ${fix}`;
    }
    return { file, line, col, path: '', message };
  });
}

function lineOf(text: string, line: number): string {
  return line > 0 ? (text.split('\n')[line - 1] ?? '') : '';
}

/** `command: echo "x: y"` -> `command: 'echo "x: y"'` (single quotes: nothing inside is special). */
export function quoteFix(line: string): string | undefined {
  const m = /^\s*(?:-\s+)?([A-Za-z0-9_.-]+):\s+(.*?)\s*$/.exec(line);
  if (!m || m[2] === '') return undefined;
  const value = m[2]!.replace(/\s+#[^'"]*$/, ''); // a trailing comment is not part of the value
  return `${m[1]}: '${value.replaceAll("'", "''")}'`;
}
