// The shell's Tab key: completes the word before the cursor from the command table
// (commands/completion.ts); a second Tab lists the candidates, laid out in columns.
import { complete, type Completion, type CompletionContext, finish } from '../commands/completion.js';
import type { LineState } from './line-editor.js';

/** What the shell completes from: the command table's context, and what the daemon's status says more. */
export interface ShellCompletion extends CompletionContext {
  /** the instances whose run waits for approval (pending, `waiting for approval`): what approve and reject may name */
  waiting?: readonly string[];
}

const GATES = new Set(['approve', 'reject']);

/**
 * complete(), but `approve` and `reject` offer only the runs waiting for approval, and not `all`
 * (every instance: it fails on the first that does not wait). They offered every service name.
 */
export function completeIn(line: string, cursor: number, ctx: ShellCompletion): Completion {
  const name = /^\s*(\S+)\s/.exec(line.slice(0, cursor))?.[1];
  if (!ctx.waiting || name === undefined || !GATES.has(name)) return complete(line, cursor, ctx);
  const c = complete(line, cursor, { ...ctx, services: ctx.waiting });
  const candidates = c.candidates.filter((w) => w !== 'all');
  if (candidates.length === c.candidates.length) return c;
  // what complete() does with its candidates, without `all`
  return finish(line, c.start, c.end, line.slice(c.start, c.end), candidates);
}

/** Puts a completion into the line, the cursor after the inserted text. */
export function applyCompletion(line: LineState, c: Completion): LineState {
  const text = line.text.slice(0, c.start) + c.replacement + line.text.slice(c.end);
  return { text, cursor: c.start + c.replacement.length };
}

/** One Tab press: completes what it can; a second Tab that changes nothing lists the candidates. */
export function pressTab(line: LineState, ctx: ShellCompletion, secondTab: boolean): { line: LineState; list: string[] | null } {
  const c = completeIn(line.text, line.cursor, ctx);
  const next = applyCompletion(line, c);
  if (next.text !== line.text) return { line: next, list: null };
  return { line, list: secondTab && c.candidates.length > 1 ? c.candidates : null };
}

/** Lays words out in columns across `width` characters, as a shell lists completions. */
export function formatColumns(words: readonly string[], width: number): string[] {
  if (words.length === 0) return [];
  const colWidth = Math.max(...words.map((w) => w.length)) + 2;
  const perRow = Math.max(1, Math.floor((width + 2) / colWidth));
  const rows = Math.ceil(words.length / perRow);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < perRow; c++) {
      const w = words[c * rows + r]; // column-major, like ls
      if (w !== undefined) cells.push(w.padEnd(colWidth));
    }
    lines.push(cells.join('').trimEnd());
  }
  return lines;
}
