// What a shell completion script needs to know of each command, read off the command table: its
// flags (every spelling), the flags that take a value and the kind of that value, and the kind of
// each positional argument. The bash, zsh and fish scripts (completion-*.ts) are written from it.
import type { CommandSpec, WordKind } from './command.js';
import { HELP_FLAG } from './flags.js';

/** A kind of word as the scripts name it: `choice:a,b,c` carries its words. */
export type ScriptKind = Exclude<WordKind, 'choice'> | `choice:${string}`;

/** One command for a completion script. */
export interface ScriptCommand {
  name: string;
  summary: string;
  /** every flag spelling: `-n`, `--lines`, ..., `-h`, `--help` */
  flags: string[];
  /** the spellings that take a value, with its kind */
  valueFlags: Array<[string, ScriptKind]>;
  /** the kind of each positional argument, in order */
  args: ScriptKind[];
  /** the last argument repeats */
  repeat: boolean;
}

/** The completion table of `commands` (the CLI's, hidden ones left out). */
export function scriptCommands(commands: readonly CommandSpec[]): ScriptCommand[] {
  return commands
    .filter((c) => !c.hidden)
    .map((c) => {
      const flags = [...c.flags, HELP_FLAG];
      const spell = (f: (typeof flags)[number]) => (f.short ? [`-${f.short}`, `--${f.name}`] : [`--${f.name}`]);
      return {
        name: c.name,
        summary: c.summary,
        flags: flags.flatMap(spell),
        valueFlags: flags
          .filter((f) => f.value)
          .flatMap((f) => spell(f).map((s): [string, ScriptKind] => [s, f.value!.kind as ScriptKind])),
        args: c.args.map((a): ScriptKind => (a.kind === 'choice' ? `choice:${(a.choices ?? []).join(',')}` : a.kind)),
        repeat: c.args[c.args.length - 1]?.repeat === true,
      };
    });
}

/** A word quoted for a POSIX-like shell (bash, zsh): single quotes, ' written as '\''. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
