// The --grep RE and -i of `tend logs` and `tend events`, compiled on the client's side. The regex
// engine (re2js) is loaded only when a --grep is given: the one-shot CLI stays light.
import type { PrintIo } from '../commands/command.js';
import type { LineMatcher } from './regex.js';

/**
 * Why: both readers take --grep. The matcher, undefined without --grep, or null when the pattern
 * cannot run (said on stderr: a usage error).
 */
export async function grepArg(
  args: { grep?: string; ignore_case?: boolean },
  io: PrintIo,
): Promise<LineMatcher | undefined | null> {
  if (args.grep === undefined) return undefined;
  const { compileRegex, RegexError } = await import('./regex.js');
  try {
    return compileRegex(args.grep, { ignoreCase: args.ignore_case === true });
  } catch (err) {
    if (!(err instanceof RegexError)) throw err;
    io.err(`tend: --grep: ${err.message}\n`);
    return null;
  }
}
