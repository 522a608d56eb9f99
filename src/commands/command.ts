// What a command is: its words (flags, arguments, help, examples) and, for the commands the
// daemon answers, how the request is built, checked, answered and printed. One module a command
// (src/commands/*.ts), listed in index.ts; the CLI, the shell's help and completion, and the daemon
// all read the same objects, so they cannot drift apart.
import type { Client } from '../control/client.js';
import type { RequestContext } from '../control/connection.js';
import type { ArgsSchema } from '../control/protocol.js';
import type { Spec } from '../core/types.js';
import type { CommandContext } from './context.js';

/**
 * What a word is, for completion and for help: a service name (or `all`, or a replica set), a
 * signal name, a command name, a file, a duration (`30s`), a whole number, a socket path, one
 * of a fixed list of words (`choices`), or free text (a regex: nothing to complete).
 * Enough for a shell completion script to be written from the table alone.
 */
export type WordKind = 'service' | 'signal' | 'command' | 'file' | 'duration' | 'number' | 'path' | 'choice' | 'text';

/** A flag: `--name`, maybe `-s`, maybe taking a value. */
export interface FlagSpec {
  /** the long name without dashes; the key of the parsed flag */
  name: string;
  /** a one-letter short form, without the dash */
  short?: string;
  /** for a flag that takes a value: its placeholder in usage (`N`) and what kind of word it is */
  value?: { label: string; kind: WordKind };
  /** one line for help */
  help: string;
  /** meaningful on the command line only (how to find the socket): not shown in the shell */
  cliOnly?: boolean;
}

/** A positional argument. */
export interface ArgSpec {
  /** its placeholder in usage: NAME, SIGNAL, COMMAND */
  name: string;
  kind: WordKind;
  /** may be left out */
  optional?: boolean;
  /** the last argument may be given more than once (NAME...) */
  repeat?: boolean;
  /** kind `choice`: the words it may be */
  choices?: readonly string[];
}

/** A command's words after parsing: positionals in order, flags by long name (`true` for a switch). */
export interface Parsed {
  positionals: string[];
  flags: Record<string, string | true>;
  /** the words after `--` (also at the end of positionals), when `--` was given: `tend run NAME -- CMD` */
  rest?: string[];
}

/** What every command has: enough for usage, help, completion and "did you mean". */
export interface CommandSpec {
  name: string;
  /** one line for the command list */
  summary: string;
  args: readonly ArgSpec[];
  flags: readonly FlagSpec[];
  /** one or two command lines, without the leading `tend ` */
  examples: readonly string[];
  /** a sentence or two more for `help COMMAND` */
  notes?: string;
  /** what a wrong number of arguments says: `expected ${expects}` (default: from `args`) */
  expects?: string;
  /** the one-shot CLI only, or the shell only; both when unset */
  where?: 'cli' | 'shell';
  /**
   * with `where`: what typing it on the other side answers, in one line, instead of "unknown
   * command" (`up` in the shell, `top` on the command line: real commands, only not there)
   */
  elsewhere?: string;
  /** answered but not listed (ping) */
  hidden?: boolean;
}

/** Where a command prints. */
export interface PrintIo {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
}

/** A command the daemon answers: A its request arguments, R its result, E the events it streams. */
export interface SocketCommand<N extends string = string, A = any, R = any, E = never> extends CommandSpec {
  name: N;
  /** checks a request's arguments at the daemon's edge (the connection), before `handle` */
  schema: ArgsSchema<A>;
  /** builds the request from the parsed words; throws UsageError */
  request(p: Parsed): A;
  /** whether this request streams (`-f`): events are printed with printEvent until it ends */
  streams?(args: A): boolean;
  /**
   * after the reply, before printing: waits for what the command promised on the client's side
   * (shutdown: until the daemon has exited) on the same connection; returns the result to print.
   * Throws TendError for a failure (exit 1).
   */
  settle?(result: R, args: A, client: Client): Promise<R>;
  /** what `--json` prints of the result (default: the result itself) */
  json?(result: R): unknown;
  /** prints the result for people */
  print(result: R, io: PrintIo, args: A): void;
  /** prints one streamed event for people */
  printEvent?(event: E, io: PrintIo, args: A): void;
  /** what `--json` prints of one streamed event (default: the event itself) */
  jsonEvent?(event: E): unknown;
  /** the exit code a result means (default 0: `tend run` exits 1 when the run failed) */
  exitCode?(result: R): number;
  /**
   * what Ctrl-C in the shell says of this request, in one line: what stopped and what goes on,
   * with how to end it (`stopped following backup; the run goes on (stop backup ends it)`), as
   * `docker logs -f` leaves the container running; none: the bare `^C`
   */
  interrupted?(args: A): string | undefined;
  /** what its events are called when some are skipped (`1234 lines skipped`); default "events" */
  eventNoun?: string;
  /** refused while the daemon shuts down (starting anything then would be undone at once) */
  refusedWhileShuttingDown?: boolean;
  /**
   * runs the command in the client instead of one request (logs, events read the files
   * themselves, journalctl style); io.connect() reaches the daemon when it is needed
   */
  runLocal?(args: A, json: boolean, io: RunIo): Promise<number>;
  /** the daemon's answer; throw TendError(code, message) for an error reply */
  handle(args: A, d: CommandContext, rc: RequestContext<E>): Promise<R>;
}

/** What the one-shot CLI gives a command that runs in it (up, check, shell, help, version). */
export interface CliEnv extends PrintIo {
  /** stdin and stdout are a terminal */
  terminal: boolean;
  /** -c, else $TEND_CONFIG, else ./tend.yaml; absolute */
  configPath(flags: Parsed['flags']): string;
  /** --socket, else $TEND_SOCKET, else settings.socket of the config */
  socketPath(flags: Parsed['flags']): Promise<string>;
  /** whether the socket is named outright (--socket, $TEND_SOCKET) rather than found through the config */
  socketGiven(flags: Parsed['flags']): boolean;
  /** when the config file is missing: what was looked for and how to begin (`tend init`); else undefined */
  noConfig(flags: Parsed['flags']): string | undefined;
  /**
   * the config at `file`, or undefined after printing why not; `daemon`: for `tend up`; `flags`: for
   * the no-config message; `handed`: the daemon of `tend up -d`, handed the parse its client made
   * (commands/detach.ts HANDOFF_FD), which it takes instead of parsing the file again
   */
  loadConfig(file: string, daemon: boolean, flags?: Parsed['flags'], handed?: boolean): Promise<Spec | undefined>;
  /** the spec of a daemon with no config (`tend run NAME -- CMD` where there is none), or undefined after printing why not */
  emptySpec(flags: Parsed['flags']): Promise<Spec | undefined>;
  /** runs the supervisor in the foreground until it shuts down; its exit code. `only`: `tend up NAME...` */
  runDaemon(spec: Spec, opts?: { only?: readonly string[]; settings?: Partial<Spec['settings']> }): Promise<number>;
  /**
   * the interactive shell on the daemon at `socket`; its exit code. `configFile`: where logs and
   * events read the files when no daemon answers (as the CLI's do)
   */
  startShell(socket: string, configFile?: string): Promise<number>;
  /** tend's version */
  version(): string;
  /** the commands of the CLI, for help */
  commands: readonly Command[];
  /** the terminal's width, for help */
  width: number;
}

/** A command that runs in the CLI or the shell itself, without the daemon. */
export interface LocalCommand extends CommandSpec {
  /** runs it in the one-shot CLI (shell-only commands have none: the shell carries them out) */
  run?(p: Parsed, env: CliEnv): Promise<number>;
}

/** Any command of the table. */
export type Command = SocketCommand | LocalCommand;

/** Whether the daemon answers this command. */
export function isSocketCommand(c: Command): c is SocketCommand {
  return 'handle' in c;
}

/** Where a request goes, for the one-shot runner (the CLI and the shell alike). */
export interface RunIo extends PrintIo {
  connect(): Promise<Client>;
  /** aborts a follow stream (Ctrl-C in the shell) */
  signal?: AbortSignal;
  /** help is written for the CLI (`tend status ...`) or the shell (`status ...`) */
  where?: 'cli' | 'shell';
  /** terminal width for help; default 80 */
  width?: number;
  /** the config file (the CLI's -c, $TEND_CONFIG, ./tend.yaml): logs and events read it when no daemon answers */
  configPath?(): string;
}

/** Exit codes (README "Commands"): 0 done, 1 failed, 2 usage or invalid config, 3 no daemon. */
export const EXIT = { ok: 0, failed: 1, usage: 2, noDaemon: 3 } as const;
