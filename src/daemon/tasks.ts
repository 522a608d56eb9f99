// The daemon's task scheduler: the glue between the pure planner of task runs
// (src/tasks/scheduler.ts) and the Supervisor, plus the run history on disk. It keeps what only
// the scheduler knows of each task (when its schedule became active, the last due it handled, a
// queued run) and reads the rest from the store; a due becomes `sup.start` with its trigger, a
// replace `sup.endRuns`. Dirty set + one timer for the earliest due: an idle schedule runs no code.
// croner is loaded (a dynamic import of src/tasks/schedule.js) only when a cron schedule exists.
import { formatDuration } from '../core/describe.js';
import type { Clock } from '../core/spawner.js';
import type { Journal } from '../core/journal.js';
import { hasSchedule, inProgress, type Instance, isAlive, type RunResult } from '../core/instance.js';
import type { ScheduleSpec, Spec, Trigger } from '../core/types.js';
import { gateWait } from '../reconcile/slots.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import {
  historyFile,
  lastRuns,
  readHistory,
  RunHistory,
  runOfRecord,
  runRecord,
  unstartedRecord,
  type RunRecord,
} from '../tasks/history.js';
import type { Schedule } from '../tasks/schedule.js';
import { applyTaskAction, planTasks, type TaskAction, type TaskRun, type TaskSpec, type TaskState } from '../tasks/scheduler.js';

export interface TaskSchedulerDeps {
  sup: Supervisor;
  journal: Journal;
  clock: Clock;
}

/** What the scheduler keeps of one task between plans. */
interface Book {
  spec: TaskSpec;
  activeSince: number;
  activeAtStartUp: boolean;
  lastFire: number | null;
  queued: Trigger | null;
  /** whether its schedule was on at the last plan (an enable starts it afresh) */
  enabled: boolean;
  /** when a run last went back to scheduled (a run that never started ends there too) */
  endSeen: number | null;
  /** the newest run in its history file, read when the task is first seen */
  disk: { start: number | null; end: number | null };
  wake: number | null;
}

/** An `every` schedule: no calendar, no croner. */
function everyOf(spec: ScheduleSpec & { kind: 'every' }): Schedule {
  return { spec, next: (after) => after + spec.ms };
}

const sameSchedule = (a: ScheduleSpec, b: ScheduleSpec): boolean => JSON.stringify(a) === JSON.stringify(b);

/** A run of `i` that is on its way but not spawned, in words: it is not "still running". */
function waiting(i: Instance): string | undefined {
  if (i.state === 'pending') return `a run asked before waits to start (${gateWait(i) ?? 'for its dependencies or a free slot'})`;
  if (i.state === 'backoff') return 'the previous run failed and waits to start again (backoff)';
  return undefined;
}

/** Why: the daemon's one owner of schedules and task histories (see the file comment). */
export class TaskScheduler {
  private tasks = new Map<string, Book>();
  private readonly histories = new Map<string, { writer: RunHistory; last: Promise<void> }>();
  private readonly written = new Map<string, RunResult>();
  /** per task, the `tend run`s whose queued run has not started yet (told if it is dropped) */
  private readonly dropWaiters = new Map<string, Array<(why: string) => void>>();
  /** the unstartedEnd of each instance last appended to its history */
  private readonly unstartedWritten = new Map<string, NonNullable<Instance['unstartedEnd']>>();
  private refreshed: Promise<void> = Promise.resolve();
  private readonly dirty = new Set<string>();
  private logDir = '';
  private first = true;
  private generation = 0;
  private queuedPlan = false;
  private cancelTimer: (() => void) | null = null;
  private timerAt: number | null = null;
  private readonly off: () => void;

  constructor(private readonly deps: TaskSchedulerDeps) {
    this.off = deps.sup.onChange((i, from) => this.onChange(i, from));
  }

  /** The config (at start-up, after the instances are added; at each reload): schedules, pools. */
  setSpec(spec: Spec): void {
    this.logDir = spec.settings.logDir;
    this.deps.sup.setLimits({ maxParallel: spec.settings.maxParallel, pools: spec.settings.pools });
    // after the reload has handed its changes to the Supervisor (the same turn)
    this.refreshed = new Promise((resolve) =>
      queueMicrotask(() =>
        this.refresh()
          .catch((e) => this.deps.journal.add('tend', 'error', `scheduler: ${(e as Error).message}`))
          .finally(resolve),
      ),
    );
  }

  /** `tend stop` of a task: the run queued behind the going one is dropped (journaled with `why`). */
  dropQueued(i: Instance, why: string): boolean {
    const b = this.tasks.get(i.id);
    if (!b || b.queued === null) return false;
    b.queued = null;
    this.deps.journal.add(i.id, 'skip', `dropped the queued run: ${why}`);
    this.tellDropped(i.id, why);
    return true;
  }

  /** The `tend run`s waiting for a queued run of `id` that will not come are told why. */
  private tellDropped(id: string, why: string): void {
    const waiters = this.dropWaiters.get(id);
    this.dropWaiters.delete(id);
    for (const w of waiters ?? []) w(why);
  }

  /** Resolves once the schedules of the spec last set are planned (`tend up -d` shows next runs). */
  settled(): Promise<void> {
    return this.refreshed;
  }

  /**
   * `tend run`: a run now; while one is going, the task's `overlap` decides (skip: refused;
   * queue: after it; replace: it is stopped first). A oneshot without a schedule: skip.
   */
  run(i: Instance): {
    how: 'now' | 'queued' | 'replaced' | 'skipped';
    also: Instance[];
    why: string;
    /** a queued run (or one replacing the going one): resolves with why if it is dropped before it starts */
    dropped?: Promise<string>;
  } {
    const { sup, journal, clock } = this.deps;
    if (!inProgress(i.state)) return { how: 'now', also: sup.start([i], 'run', 'run requested (tend run)'), why: '' };
    const b = this.tasks.get(i.id);
    const overlap = b?.spec.overlap ?? 'skip';
    const ago = `started ${formatDuration(Math.max(0, clock.now() - (i.startedAt ?? i.since)))} ago`;
    const going = waiting(i) ?? `the previous run (${ago}) is still running`;
    const say = (how: 'queued' | 'replaced' | 'skipped', why: string) => {
      journal.add(i.id, how === 'skipped' ? 'skip' : how === 'queued' ? 'queue' : 'replace', why);
      return { how, also: [], why };
    };
    if (!b || overlap === 'skip') return say('skipped', `skipped a run asked by tend run: ${going} (overlap: skip)`);
    if (b.queued !== null) return say('skipped', `skipped a run asked by tend run: one is already queued (overlap: ${overlap})`);
    b.queued = 'run';
    // the run waits for the going one to end (queue) or be stopped (replace): `tend stop` may drop it meanwhile
    const dropped = new Promise<string>((resolve) => {
      const list = this.dropWaiters.get(i.id) ?? [];
      list.push(resolve);
      this.dropWaiters.set(i.id, list);
    });
    if (overlap === 'queue' || i.state === 'stopping' || i.endRun || !isAlive(i.state)) {
      return { ...say('queued', `queued a run asked by tend run: ${going} (overlap: ${overlap})`), dropped };
    }
    sup.endRuns([i], 'replaced by a run asked by tend run (overlap: replace)');
    return { ...say('replaced', `replaced by a run asked by tend run (overlap: replace; it ${ago})`), dropped };
  }

  /** An instance's pause changed (`tend enable`/`disable`): look at its schedule again. */
  touch(id: string): void {
    if (this.tasks.has(id)) this.mark(id);
  }

  /** `tend history`: the last `n` runs of the instances, oldest first, from their files. */
  async history(ids: readonly string[], n: number): Promise<Array<RunRecord & { instance?: string }>> {
    await Promise.all(ids.map((id) => this.histories.get(id)?.last));
    return lastRuns(this.logDir, ids, n);
  }

  /**
   * Drops the timer and the schedules (shutdown): nothing is planned from now on. The histories
   * go on recording the runs that shutdown ends, until closeHistories.
   */
  close(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.timerAt = null;
    this.tasks.clear();
  }

  /**
   * Stops listening once every service has stopped (shutdown), and waits for the last records to
   * be written: a run that shutdown ended is in its history (it was not: the listener went first).
   */
  async closeHistories(): Promise<void> {
    this.off();
    await Promise.all([...this.histories.values()].map((h) => h.last));
  }

  private onChange(i: Instance, from: string): void {
    if (i.lastRun && this.written.get(i.id) !== i.lastRun) this.record(i, runRecord(i.lastRun), i.lastRun);
    if (i.unstartedEnd && this.unstartedWritten.get(i.id) !== i.unstartedEnd) {
      this.unstartedWritten.set(i.id, i.unstartedEnd);
      this.record(i, unstartedRecord(i.unstartedEnd));
    }
    const b = this.tasks.get(i.id);
    if (!b) return;
    if (i.state === 'scheduled' && from !== 'scheduled') b.endSeen = this.deps.clock.now();
    this.mark(i.id);
  }

  /** Appends a finished run to log_dir/ID.runs (serialized per file; a failure is journaled); `run`: the instance's lastRun it is. */
  private record(i: Instance, line: RunRecord, run?: RunResult): void {
    if (run) this.written.set(i.id, run);
    let h = this.histories.get(i.id);
    if (!h) {
      let file: string;
      try {
        file = historyFile(this.logDir, i.id);
      } catch (e) {
        this.deps.journal.add(i.id, 'error', (e as Error).message);
        return;
      }
      h = { writer: new RunHistory(file), last: Promise.resolve() };
      this.histories.set(i.id, h);
    }
    h.last = h.writer.append(line).catch((e) => {
      this.deps.journal.add(i.id, 'error', `writing the run history fails: ${(e as Error).message}`);
    });
  }

  /** Builds the books of the tasks in the store: compiles schedules, reads the histories of new ones. */
  private async refresh(): Promise<void> {
    const gen = ++this.generation;
    const { sup, clock } = this.deps;
    const insts = [...sup.store.values()].filter((i) => hasSchedule(i.inst));
    let compile: ((s: ScheduleSpec) => Schedule) | undefined;
    if (insts.some((i) => i.inst.spec.schedule!.kind === 'cron'))
      compile = (await import('../tasks/schedule.js')).compileSchedule;
    const fresh = insts.filter((i) => !this.tasks.has(i.id));
    const disk = await Promise.all(fresh.map((i) => this.lastOnDisk(i.id)));
    if (gen !== this.generation) return; // a newer config came meanwhile
    const diskOf = new Map(fresh.map((i, k) => [i.id, { start: disk[k]!.start, end: disk[k]!.end }]));
    // a tend started again knows a task's last run from its history (status, why say it)
    fresh.forEach((i, k) => {
      const r = disk[k]!.record;
      if (r && !('not_started' in r.exit) && i.lastRun === null) {
        const run = runOfRecord(r);
        this.written.set(i.id, run); // in the file already: not appended again
        sup.restoreLastRun(i.id, run);
      }
    });
    const now = clock.now();
    const next = new Map<string, Book>();
    for (const i of sup.store.values()) {
      const sched = i.inst.spec.schedule;
      if (!sched) {
        if (this.tasks.has(i.id)) sup.setNextRun(i.id, null);
        continue;
      }
      const old = this.tasks.get(i.id);
      const same = old !== undefined && sameSchedule(old.spec.schedule.spec, sched);
      let schedule: Schedule;
      try {
        schedule = same ? old.spec.schedule : sched.kind === 'every' ? everyOf(sched) : compile!(sched);
      } catch (e) {
        this.deps.journal.add(i.id, 'error', `schedule ${JSON.stringify(sched)}: ${(e as Error).message}`);
        continue;
      }
      const spec: TaskSpec = {
        name: i.id,
        schedule,
        overlap: i.inst.spec.overlap ?? 'skip',
        timeout: null,
        catchUp: i.inst.spec.catchUp ?? false,
      };
      if (old && same) {
        next.set(i.id, { ...old, spec });
        continue;
      }
      // a new task, or a schedule changed by a reload: active from now (the first config: start-up)
      next.set(i.id, {
        spec,
        activeSince: now,
        activeAtStartUp: this.first,
        lastFire: null,
        queued: null,
        enabled: true,
        endSeen: old?.endSeen ?? null,
        disk: old?.disk ?? diskOf.get(i.id) ?? { start: null, end: null },
        wake: null,
      });
    }
    this.first = false;
    this.tasks = next;
    for (const id of next.keys()) this.dirty.add(id);
    this.plan();
  }

  private async lastOnDisk(id: string): Promise<Book['disk'] & { record?: RunRecord }> {
    try {
      const [r] = await readHistory(historyFile(this.logDir, id), 1);
      return r ? { start: Date.parse(r.start), end: Date.parse(r.end), record: r } : { start: null, end: null };
    } catch {
      return { start: null, end: null };
    }
  }

  private mark(id: string): void {
    this.dirty.add(id);
    if (this.queuedPlan) return;
    this.queuedPlan = true;
    queueMicrotask(() => {
      this.queuedPlan = false;
      this.plan();
    });
  }

  /** Plans the dirty tasks, acts, then arms one timer for the earliest due of all. */
  private plan(): void {
    const { sup, clock } = this.deps;
    const now = clock.now();
    for (const id of [...this.dirty]) {
      this.dirty.delete(id);
      const b = this.tasks.get(id);
      const i = sup.store.get(id);
      if (!b || !i || !hasSchedule(i.inst)) continue;
      const state = this.stateOf(b, i, now);
      const p = planTasks([b.spec], new Map([[id, state]]), now);
      let s = state;
      for (const a of p.actions) {
        this.act(i, a);
        s = applyTaskAction(s, a, now);
      }
      b.lastFire = s.lastFire;
      // the queued run started: whoever waited for it waits for its end now
      if (b.queued !== null && s.queued === null) this.dropWaiters.delete(id);
      b.queued = s.queued;
      b.wake = p.wakeAt;
      sup.setNextRun(id, state.enabled ? p.wakeAt : null);
    }
    let earliest: number | null = null;
    for (const b of this.tasks.values()) if (b.wake !== null && (earliest === null || b.wake < earliest)) earliest = b.wake;
    this.arm(earliest);
  }

  /** The planner's view of one task: the book, and the run in progress read from the store. */
  private stateOf(b: Book, i: Instance, now: number): TaskState {
    const enabled = !i.paused && i.want !== 'down' && i.state !== 'stopped';
    if (enabled && !b.enabled) {
      // resumed (`tend enable`): what fell due while paused is not made up
      b.activeSince = now;
      b.activeAtStartUp = false;
      b.lastFire = null;
    }
    // a stop asked for drops a queued run; a pause keeps one that `tend run` queued (tend run works
    // on a paused task: dropped, the run never came and a waiting `tend run` never returned)
    if (!enabled && (b.queued !== 'run' || i.want === 'down' || i.state === 'stopped') && b.queued !== null) {
      b.queued = null;
      this.tellDropped(i.id, 'the task was stopped');
    }
    b.enabled = enabled;
    let running: TaskRun | null = null;
    if (inProgress(i.state)) {
      const live = isAlive(i.state) && i.startedAt !== null;
      // waiting (pending, backoff) or being stopped: no timeout, no replace
      running = {
        start: live ? i.startedAt! : i.since,
        trigger: i.trigger,
        stopping: !live || i.state === 'stopping' || i.endRun !== null,
        waiting: waiting(i),
      };
    }
    const ends = [i.lastRun?.end ?? null, b.endSeen, b.disk.end].filter((t): t is number => t !== null);
    return {
      enabled,
      activeSince: b.activeSince,
      activeAtStartUp: b.activeAtStartUp,
      running,
      queued: b.queued,
      lastStart: i.startedAt ?? b.disk.start,
      lastEnd: ends.length ? Math.max(...ends) : null,
      lastFire: b.lastFire,
    };
  }

  private act(i: Instance, a: TaskAction): void {
    const { sup, journal } = this.deps;
    switch (a.kind) {
      case 'start':
        sup.start([i], a.trigger, a.why);
        return;
      case 'skip':
      case 'queue':
        journal.add(i.id, a.kind, a.why);
        return;
      case 'replace':
        journal.add(i.id, 'replace', a.why);
        sup.endRuns([i], 'replaced by a scheduled run (overlap: replace)');
        return;
      case 'timeout': // the Supervisor's planner times runs out (TaskSpec.timeout is null here)
        return;
    }
  }

  private arm(at: number | null): void {
    if (at === this.timerAt) return;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.timerAt = at;
    if (at === null) return;
    this.cancelTimer = this.deps.clock.setTimer(at, () => {
      this.cancelTimer = null;
      this.timerAt = null;
      const now = this.deps.clock.now();
      for (const [id, b] of this.tasks) if (b.wake !== null && b.wake <= now) this.dirty.add(id);
      this.plan();
    });
  }
}
