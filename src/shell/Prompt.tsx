// The prompt line: the typed text with a block cursor, or the Ctrl-R search view.
import { Text } from 'ink';
import type { LineState } from './line-editor.js';

/** What the prompt shows. */
export interface PromptProps {
  prompt: string;
  line: LineState;
  /** set while Ctrl-R search is on */
  search?: { query: string; failed: boolean } | null;
}

/** One prompt line; the character under the cursor is drawn inverted. */
export function Prompt({ prompt, line, search }: PromptProps) {
  const before = line.text.slice(0, line.cursor);
  const under = line.text[line.cursor] ?? ' ';
  const after = line.text.slice(line.cursor + 1);
  const label = search ? `(${search.failed ? 'failed ' : ''}reverse-i-search)'${search.query}': ` : prompt;
  return (
    <Text>
      <Text color={search ? 'yellow' : 'cyan'} bold={!search}>
        {label}
      </Text>
      {before}
      <Text inverse>{under}</Text>
      {after}
    </Text>
  );
}
