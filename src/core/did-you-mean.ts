// "did you mean" hints for misspelt keys, enum values, service names and commands: one rule for
// the config loader, the CLI and the shell.

/** Optimal-string-alignment distance: edits, with a swap of two neighbours counted as one. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  for (let i = 0; i < rows; i++) d[i]![0] = i;
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Folds case and separators, so `dependsOn`, `Depends-On` and `depends_on` compare equal. */
function fold(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}

/** The candidate closest to `word`, when it is close enough to be a likely typo; else undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const w = fold(word);
  if (w === '') return undefined;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const f = fold(c);
    const dist = editDistance(w, f);
    let score: number;
    if (dist <= Math.max(1, Math.floor(Math.max(w.length, f.length) / 3))) score = dist;
    else if (w.length >= 3 && (f.startsWith(w) || w.startsWith(f))) score = 100 + Math.abs(f.length - w.length);
    else continue;
    // a word that begins the candidate (CAP_NET_BIND, CAP_NET_BIND_SERVICE) beats a far edit
    // (CAP_SETGID, 4 edits away), not a near one (web2 for web)
    if (score > 2 && w.length >= 3 && f.startsWith(w)) score = 2.5 + Math.abs(f.length - w.length) / 1000;
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** ` (did you mean "x"?)`, or the empty string when nothing is close. */
export function hint(word: string, candidates: Iterable<string>): string {
  const m = didYouMean(word, candidates);
  return m === undefined ? '' : ` (did you mean "${m}"?)`;
}

/** Names a message lists at most after "known:" (past it, how many more). */
const KNOWN_LISTED = 12;

/**
 * Why: `tend stop webb` (the daemon), `tend up webb` (the CLI) and `tend logs webb` with no daemon
 * say it alike: `unknown service "webb" — did you mean "web"? (known: web, worker)`; with hundreds
 * of services the list ends `and 488 more`.
 */
export function unknownServices(unknown: readonly string[], known: readonly string[]): string {
  const guess = unknown.length === 1 ? didYouMean(unknown[0]!, known) : undefined;
  const listed =
    known.length === 0
      ? 'none'
      : known.length <= KNOWN_LISTED
        ? known.join(', ')
        : `${known.slice(0, KNOWN_LISTED).join(', ')} and ${known.length - KNOWN_LISTED} more`;
  return `unknown service${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}${guess ? ` — did you mean "${guess}"?` : ''} (known: ${listed})`;
}
