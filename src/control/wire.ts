// The control socket's wire types, declared once: the frames (README "Control protocol"), the
// values commands carry (status rows, log lines, journal events, reload plans) and, derived from
// the command table, each command's arguments, result and stream event. Types only: the client,
// the shell and the CLI import it with `import type`, so it costs nothing at start-up.
import type { SOCKET_COMMANDS } from '../commands/index.js';
import type { SocketCommand } from '../commands/command.js';
import type { JournalEntry } from '../core/types.js';

/** A request's id, chosen by the client. */
export type RequestId = number | string;

/** A client's request line. */
export interface RequestFrame {
  id: RequestId;
  cmd: string;
  args?: Record<string, unknown>;
}

/** The `error` member of a failed reply. */
export interface ErrorBody {
  code: string;
  message: string;
}

/** The one final answer to a request (id null: the connection itself is refused or unreadable). */
export type ReplyFrame = { id: RequestId; ok: true; result: unknown } | { id: RequestId | null; ok: false; error: ErrorBody };

/** One event of a stream, sent before its reply. */
export interface EventFrame {
  id: RequestId;
  event: unknown;
}

/**
 * A stream's notice that `lagged` events were skipped at this point: the client read too slowly
 * and the daemon keeps only a small buffer a stream. The stream goes on after it.
 */
export interface LagFrame {
  id: RequestId;
  lagged: number;
}

/**
 * A piece of a reply too large for one line: items of the result's lists, sent before the final
 * reply. The whole list KEY is every part's KEY items in order, then the final result's KEY.
 */
export interface PartFrame {
  id: RequestId;
  part: Record<string, unknown[]>;
}

/** Anything the server writes. */
export type ServerFrame = ReplyFrame | EventFrame | LagFrame | PartFrame;

/** One row of `tend status` (and of `tend status --json`). */
export interface StatusRow {
  name: string;
  service: string;
  replica: number | null;
  state: string;
  pid: number | null;
  restarts: number;
  exit_code: number | null;
  exit: string | null;
  since: string;
  uptime_ms: number | null;
  cpu: number | null;
  /** user + system cpu seconds of its processes (the current run) */
  cpu_seconds: number | null;
  memory: number | null;
  detail: string;
  want: 'up' | 'down';
  /** why writing its log fails, while it does */
  log_error: string | null;
  /** the fences in force, by their config keys (README "Sandboxing"); absent when none */
  fences?: Record<string, unknown>;
  /** a task with a schedule: its next run (ISO), null while paused or none is due */
  next_run?: string | null;
  /** a oneshot's last finished run */
  last_run?: { start: string; end: string; result: 'completed' | 'failed'; reason: string; trigger: string } | null;
  /** `tend disable`: its schedule (or autostart) is paused until `tend enable` */
  paused?: boolean;
  /** what the service last said with sd_notify's STATUS= (while it runs) */
  status_text: string | null;
  /** made by `tend run NAME -- CMD`, not declared in the config; absent otherwise */
  transient?: true;
}

/** One captured output line of a service, as `tend logs` gets it. */
export interface LogLine {
  time: string;
  service: string;
  stream: string;
  line: string;
}

/** One journal entry, as `tend events` and the shell's live notices get it. */
export type JournalEvent = JournalEntry;

/** What a reload did (or, dry, would do). */
export interface ReloadResult {
  text: string;
  added: string[];
  removed: string[];
  changed: Array<{ id: string; fields: string[] }>;
  in_place: string[];
  /** changed instances that had completed and run again */
  runs_again: string[];
  unchanged: number;
  needs_restart: string[];
  /** settings that changed and were applied at once (`max_parallel`, `pools`, ...) */
  settings: string[];
  dry_run: boolean;
}

type Table = (typeof SOCKET_COMMANDS)[number];
type Parts<C extends CommandName> =
  Extract<Table, { name: C }> extends SocketCommand<string, infer A, infer R, infer E> ? { args: A; result: R; event: E } : never;

/** The name of every command the daemon answers. */
export type CommandName = Table['name'];
/** A command's request arguments. */
export type ArgsOf<C extends CommandName> = Parts<C>['args'];
/** A command's result (the `result` of its reply). */
export type ResultOf<C extends CommandName> = Parts<C>['result'];
/** The event a streaming command sends before its reply (never for the others). */
export type EventOf<C extends CommandName> = Parts<C>['event'];
/** The commands that stream events. */
export type StreamName = { [C in CommandName]: [EventOf<C>] extends [never] ? never : C }[CommandName];
