// "Did you mean" for a mistyped command, with the same rule as the config loader (core).
import { didYouMean } from '../core/did-you-mean.js';

export { didYouMean, editDistance } from '../core/did-you-mean.js';

/** The known name closest to `word`, or undefined when none is close enough to be a typo. */
export function suggest(word: string, names: readonly string[]): string | undefined {
  // a command may be abbreviated: a unique prefix (`ex` -> exit) comes first
  const w = word.toLowerCase();
  const prefixed = w ? names.filter((n) => n.startsWith(w)) : [];
  return prefixed.length === 1 ? prefixed[0] : didYouMean(w, names);
}

/** The message for an unknown command, with a suggestion when there is one. */
export function unknownCommandMessage(word: string, names: readonly string[]): string {
  const hint = suggest(word, names);
  return hint
    ? `unknown command "${word}" — did you mean "${hint}"? (help lists the commands)`
    : `unknown command "${word}" (help lists the commands)`;
}
