// What the shell prints of the daemon's state changes, as a pure object: a task on a frequent
// schedule (`every: 1s`) printed four lines a run (pending, starting, running, scheduled) into the
// scrollback, with no way to mute them. Here a scheduled run that ends soon is told in one line
// when it ends; a task's next runs with the same outcome are counted in one line kept above the
// prompt (written to the scrollback once the outcome changes); and `notices on|failures|off` says
// what is printed at all (docs/commands.md, "The interactive shell").
import { localTime } from '../commands/format.js';
import type { JournalEvent } from '../control/wire.js';
import { colorName, colorState } from '../core/colors.js';
import { inProgress } from '../core/instance.js';
import type { State } from '../core/types.js';
import { formatEvent } from './stream-lines.js';

/** What the shell prints: every notice, the failures only, or none. */
export type NoticeMode = 'on' | 'failures' | 'off';

/** The modes, in the order `notices` offers them. */
export const NOTICE_MODES: readonly NoticeMode[] = ['on', 'failures', 'off'];

/** One line to print: `failure` for what `notices failures` keeps. */
export interface Notice {
  text: string;
  failure: boolean;
}

/** A scheduled run that ends within this is told in one line; a longer one as it goes (it may wait for approval). */
export const HOLD_MS = 2000;

/** The states a run is told in as a failure (a scheduled run's is its outcome). */
const FAILING = new Set(['failed', 'backoff']);

/** A run of a scheduled task: its lines held until it ends, or until it has gone on HOLD_MS. */
interface Run {
  held: Notice[];
  since: number;
  /** its lines were printed (it went on past HOLD_MS) */
  told: boolean;
}

/** The runs of a task with the same outcome since the one printed: counted, not printed. */
interface Repeats {
  ok: boolean;
  reason: string;
  count: number;
  last: string;
}

/** `scheduled -> pending: scheduled run` of a state change: where from, and why. */
function parse(e: JournalEvent): { from: string; reason: string } {
  const m = /^(\S+) -> \S+: ([\s\S]*)$/.exec(e.why ?? '');
  return m ? { from: m[1]!, reason: m[2]! } : { from: '', reason: e.why ?? '' };
}

/** The state changes the daemon pushes, turned into the lines the shell prints. */
export class Notices {
  private current: NoticeMode = 'on';
  private readonly runs = new Map<string, Run>();
  private readonly repeats = new Map<string, Repeats>();

  constructor(
    private readonly color: boolean,
    private readonly holdMs = HOLD_MS,
  ) {}

  /** What is printed now. */
  get mode(): NoticeMode {
    return this.current;
  }

  /** Sets what is printed; returns the counts kept so far, written down as the mode they were shown in says. */
  setMode(mode: NoticeMode): Notice[] {
    const out = this.settleAll();
    this.current = mode;
    return out;
  }

  /** A state change (`now`: the shell's clock, for HOLD_MS): the lines to print now. */
  state(e: JournalEvent, now: number): Notice[] {
    const id = e.service;
    const to = e.state as State | undefined;
    const { from, reason } = parse(e);
    const line: Notice = { text: formatEvent(e, this.color), failure: to !== undefined && FAILING.has(to) };
    const run = this.runs.get(id);
    // a scheduled task leaves `scheduled` for a run (its schedule, `tend run`): held, told when it ends
    if (from === 'scheduled' && to !== undefined && inProgress(to)) {
      const earlier = run && !run.told ? run.held : []; // a run whose end was not seen (the shell was in top)
      this.runs.set(id, { held: [line], since: now, told: false });
      return this.shown(earlier);
    }
    if (run && to !== undefined && inProgress(to)) {
      if (run.told) return this.shown([line]);
      run.held.push(line);
      return [];
    }
    if (run && to === 'scheduled') {
      this.runs.delete(id);
      return this.shown(this.ended(id, e, reason === 'exited with code 0', reason, run.told));
    }
    // anything else (a service, a run stopped or disabled): as it is, after what was held of the task
    this.runs.delete(id);
    return this.shown([...this.settle(id), ...(run && !run.told ? run.held : []), line]);
  }

  /** The held lines of the runs going on for HOLD_MS or more at `now`, told from now on as they go. */
  due(now: number): Notice[] {
    const out: Notice[] = [];
    for (const [id, run] of this.runs) {
      if (run.told || now - run.since < this.holdMs) continue;
      run.told = true;
      out.push(...this.settle(id), ...run.held);
      run.held = [];
    }
    return this.shown(out);
  }

  /** When due() has lines next (the shell's clock), or null. */
  nextDue(): number | null {
    let at: number | null = null;
    for (const run of this.runs.values()) if (!run.told) at = Math.min(at ?? Infinity, run.since + this.holdMs);
    return at;
  }

  /** The lines kept above the prompt: each task's runs counted since the last one printed. */
  live(): Notice[] {
    const out: Notice[] = [];
    for (const [id, r] of this.repeats) if (r.count > 0) out.push(this.counted(id, r));
    return this.shown(out);
  }

  /** Every count written down (leaving the shell, changing the mode): the lines to print. */
  settleAll(): Notice[] {
    const out: Notice[] = [];
    for (const id of [...this.repeats.keys()]) out.push(...this.settle(id));
    return this.shown(out);
  }

  /** A run of `id` ended: its line, or one more of the same outcome counted. */
  private ended(id: string, e: JournalEvent, ok: boolean, reason: string, told: boolean): Notice[] {
    const r = this.repeats.get(id);
    if (r && !told && r.ok === ok && r.reason === reason) {
      r.count++;
      r.last = e.time;
      return [];
    }
    const out = this.settle(id);
    this.repeats.set(id, { ok, reason, count: 0, last: e.time });
    const word = colorState(ok ? 'completed' : 'failed', this.color);
    out.push({ text: `${localTime(e.time)} ${colorName(id, this.color)} run ${word} (${reason})`, failure: !ok });
    return out;
  }

  /** The count of `id`'s runs, written down (when there is one), and forgotten. */
  private settle(id: string): Notice[] {
    const r = this.repeats.get(id);
    this.repeats.delete(id);
    return r && r.count > 0 ? [this.counted(id, r)] : [];
  }

  /** `12:00:58.100 tick run completed 57 more times (exited with code 0)`. */
  private counted(id: string, r: Repeats): Notice {
    const word = colorState(r.ok ? 'completed' : 'failed', this.color);
    const times = r.count === 1 ? 'once more' : `${r.count} more times`;
    return { text: `${localTime(r.last)} ${colorName(id, this.color)} run ${word} ${times} (${r.reason})`, failure: !r.ok };
  }

  /** What the mode lets through. */
  private shown(lines: Notice[]): Notice[] {
    return this.current === 'on' ? lines : this.current === 'failures' ? lines.filter((l) => l.failure) : [];
  }
}

/** What each mode prints, for `notices`. */
export const MODE_WORDS: Readonly<Record<NoticeMode, string>> = {
  on: 'state changes and reloads; the runs of a task ending alike counted in one line',
  failures: 'only failed runs, services that fail or back off, and rejected reloads',
  off: 'no state changes nor reloads (a lost connection is still said)',
};

/** Whether a reload notice is printed: applied ones with `on`, rejected ones (the running config stays) unless `off`. */
export function showsReload(mode: NoticeMode, rejected: boolean): boolean {
  return mode === 'on' || (mode === 'failures' && rejected);
}
