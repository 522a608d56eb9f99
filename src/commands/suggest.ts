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

/**
 * What an unknown command may have meant, quoted: the few commands a short word begins (`sta`:
 * `"start" or "status"`), else the closest; undefined when nothing is close.
 */
export function commandHint(word: string, names: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const prefixed = w.length >= 2 ? names.filter((n) => n.startsWith(w)) : [];
  const hints = prefixed.length >= 2 && prefixed.length <= 4 ? [...prefixed].sort() : [suggest(word, names)];
  const quoted = hints.filter((h) => h !== undefined).map((h) => `"${h}"`);
  if (quoted.length === 0) return undefined;
  return quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

/** The message for an unknown command, with a suggestion when there is one. */
export function unknownCommandMessage(word: string, names: readonly string[]): string {
  const hint = commandHint(word, names);
  return hint
    ? `unknown command "${word}" — did you mean ${hint}? (help lists the commands)`
    : `unknown command "${word}" (help lists the commands)`;
}
