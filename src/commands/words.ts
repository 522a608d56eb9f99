// Splits a shell line into words: spaces separate, single and double quotes group, \ escapes.
// The shell's command lines, and a compose file's string command (tend init --from).

/** `logs "my svc" -n 5` -> ['logs', 'my svc', '-n', '5']. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let k = 0; k < line.length; k++) {
    const ch = line[k]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && k + 1 < line.length) cur += line[++k];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === '\\' && k + 1 < line.length) {
      cur += line[++k];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (has) words.push(cur);
  return words;
}
