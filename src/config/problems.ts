// Collects config problems (from zod issues and hand checks), located and sorted for ConfigError.
import type * as z from 'zod';
import { ConfigError, type ConfigProblem } from '../core/errors.js';
import { hint } from '../core/did-you-mean.js';
import { formatPath, type Locator, type PathSeg } from './locate.js';
import { UNKNOWN_KEYS } from './schema.js';

/** Every problem found in one config file (and the env files it names). */
export class Problems {
  private readonly list: ConfigProblem[] = [];
  /** key paths whose value is already said to be wrong (formatted): what is found under them is not said again */
  private readonly muted: string[] = [];

  constructor(
    readonly file: string,
    private readonly locator: Locator,
  ) {}

  get count(): number {
    return this.list.length;
  }

  /**
   * Problems found later at `path` or under it are dropped: its value is known to be wrong (a
   * variable that is not set), and a second message about the text left there would mislead.
   */
  mute(path: readonly PathSeg[]): void {
    this.muted.push(formatPath(path));
  }

  /** A problem at a key path of the config; `key: true` points at the key rather than its value. */
  add(path: readonly PathSeg[], message: string, opts: { key?: boolean } = {}): void {
    const at = formatPath(path);
    if (this.muted.some((m) => at === m || at.startsWith(`${m}.`) || at.startsWith(`${m}[`))) return;
    const { line, col } = this.locator.at(path, opts);
    this.list.push({ file: this.file, line, col, path: formatPath(path), message });
  }

  /** A problem located in another file (an env file). */
  addIn(file: string, line: number, col: number, path: readonly PathSeg[], message: string): void {
    this.list.push({ file, line, col, path: formatPath(path), message });
  }

  /** `unknown key "x" (did you mean "y"?)` at the key. */
  unknownKey(path: readonly PathSeg[], key: string, allowed: readonly string[]): void {
    this.add([...path, key], `unknown key ${JSON.stringify(key)}${hint(key, allowed)}`, { key: true });
  }

  /** Adds zod issues found when parsing the value at `prefix`. */
  addIssues(prefix: readonly PathSeg[], issues: readonly z.core.$ZodIssue[]): void {
    for (const issue of issues) {
      const path = [...prefix, ...(issue.path as PathSeg[])];
      if (issue.code === 'unrecognized_keys' && issue.message.startsWith(UNKNOWN_KEYS)) {
        const allowed = issue.message.slice(UNKNOWN_KEYS.length).split(',');
        for (const key of issue.keys) this.unknownKey(path, key, allowed);
      } else {
        this.add(path, issue.message);
      }
    }
  }

  /** Throws a ConfigError with every problem, sorted by file (this one first), line, column. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const seen = new Set<string>();
    const unique = this.list.filter((p) => {
      const k = `${p.file}\0${p.line}\0${p.col}\0${p.path}\0${p.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const rank = (p: ConfigProblem) => (p.file === this.file ? 0 : 1);
    unique.sort(
      (a, b) => rank(a) - rank(b) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.col - b.col,
    );
    throw new ConfigError(unique);
  }
}
