// What `tend up` says on stderr: its own lines, and the journal's state changes, errors, warnings,
// reloads and kills as they happen. The lines of one event-loop turn go out in one write (500
// services start in one turn). A closed terminal or pipe never takes the daemon down: tend just
// stops writing there.
import type { Writable } from 'node:stream';
import { colorName, colorState, wantsColor } from '../core/colors.js';
import type { Journal } from '../core/journal.js';
import type { JournalEntry } from '../core/types.js';

/** The streams of `tend up`. */
export interface DaemonIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
}

/** The journal entries `tend up` prints besides state changes. */
const PRINTED = new Set(['error', 'log-error', 'warning', 'reload', 'kill']);

/** tend's stderr: lines now, or with the rest of this turn's. */
export class Terminal {
  private pending: string[] = [];
  private ok = true;
  private readonly color: boolean;

  /** `json`: settings.log_format json, one object a line (`{ts, service, instance, what, why, state}`) */
  constructor(
    private readonly err: DaemonIo['stderr'],
    private readonly json = false,
  ) {
    this.color = !json && wantsColor(err);
    err.on('error', () => (this.ok = false));
  }

  /** A line at once (after what is queued, to keep the order): warnings and errors. */
  say(line: string): void {
    this.sayLater(
      this.json ? JSON.stringify({ ts: new Date().toISOString(), service: 'tend', what: 'message', why: line }) : line,
    );
    this.flush();
  }

  /** A line with the others of this event-loop turn. */
  sayLater(line: string): void {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(`${line}\n`);
  }

  /** Writes what is queued. */
  flush(): void {
    const text = this.pending.join('');
    this.pending = [];
    if (this.ok && text) this.err.write(text);
  }

  /** Prints the journal's state changes and notices as they are added; returns the unsubscribe. */
  printJournal(journal: Journal): () => void {
    return journal.subscribe((e) => {
      const line = this.json ? journalJson(e) : journalLine(e, this.color);
      if (line !== undefined) this.sayLater(line);
    });
  }
}

/**
 * `12:00:01.234 web running started`, `... web kill: SIGKILL sent ...`; undefined: not printed. A
 * why of several lines (none should be: a rejected reload's errors are journaled in one line, but a
 * message may still hold a newline) has its next lines indented under the first, so that every
 * line that starts at the margin starts with a time.
 */
export function journalLine(e: JournalEntry, color: boolean): string | undefined {
  const t = e.time.slice(11, 23);
  const why = e.why.replace(/\n/g, `\n${' '.repeat(t.length + 1)}`);
  if (e.what === 'state' && e.state) {
    return `${t} ${colorName(e.service, color)} ${colorState(e.state, color)} ${why.replace(/^\S+ -> \S+: /, '')}`;
  }
  return PRINTED.has(e.what) ? `${t} ${colorName(e.service, color)} ${e.what}: ${why}` : undefined;
}

/** The same entries as journalLine, as one JSON object (settings.log_format json); undefined: not printed. */
export function journalJson(e: JournalEntry): string | undefined {
  if (!(e.what === 'state' && e.state) && !PRINTED.has(e.what)) return undefined;
  const { time, service: instance, ...rest } = e;
  // service and instance as the echo's lines have them (a collector groups replicas by service);
  // a service name holds no dot, so an instance's service is what comes before its last one
  const dot = instance.lastIndexOf('.');
  const service = dot > 0 && /^\d+$/.test(instance.slice(dot + 1)) ? instance.slice(0, dot) : instance;
  return JSON.stringify({ ts: time, service, instance, ...rest });
}
