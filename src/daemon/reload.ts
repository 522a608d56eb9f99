// Hot reload: one path for `tend reload`, SIGHUP and file edits. Re-reads the config, diffs it
// per instance and converges touching only what changed. A broken file changes nothing.
import { type FSWatcher, realpathSync, watch as fsWatch } from 'node:fs';
import { basename } from 'node:path';
import { diffSpecs, inPlaceFields, yamlKey } from '../config/diff.js';
import { expandInstances } from '../config/instances.js';
import { loadSpecOnDemand, modifiedSince } from '../config/on-demand.js';
import { collectGarbage } from './memory.js';
import { formatDuration, problemsInOneLine, stateWords } from '../core/describe.js';
import { ConfigError, TendError } from '../core/errors.js';
import type { Journal } from '../core/journal.js';
import type { InstanceSpec, Spec } from '../core/types.js';
import { hasSchedule, type Instance } from '../core/instance.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import type { ReloadResult } from '../control/wire.js';
import type { ConfigSource, RunningConfig } from './running-config.js';
import { linksOf } from '../sys/symlinks.js';

/** What a reload reads and changes. */
export interface ReloadDeps {
  sup: Supervisor;
  journal: Journal;
  /** the running config: read, and replaced by each reload */
  config: RunningConfig;
  /** an instance left the config and has stopped: close its log, remove its cgroup */
  forget(id: string): void;
  /** an instance of the applied config: its open log takes its `logs` (rotation, mode) */
  retuneLog(inst: InstanceSpec): void;
}

export type { ReloadResult };

/** What a reload does, per line of its plan. */
export interface ReloadPlan {
  added: string[];
  removed: string[];
  /**
   * `runsAgain`: a completed oneshot runs again; `atRest`: one not restarted now takes the change
   * at its next start, said with its state (`failed`, `stopped`), or its next run for a task
   */
  changed: Array<{ id: string; fields: string[]; runsAgain: boolean; atRest?: string }>;
  inPlace: Array<{ id: string; fields: string[] }>;
  unchanged: number;
  needsRestart: string[];
  /** settings that changed and apply at once (shutdown_timeout, exit_with, pools, max_parallel) */
  settings: string[];
  dryRun: boolean;
  /** when nothing differs: the config file's name, when the running config was applied, and what that changed */
  matches?: { file: string; ago: number; by: ConfigSource; plan?: string };
}

/** How the words name what applied the running config. */
const APPLIED_BY: Record<ConfigSource, [string, string]> = {
  'start-up': ['read', 'at start-up'],
  'tend reload': ['applied', 'by tend reload'],
  SIGHUP: ['applied', 'on SIGHUP'],
  'file changed': ['applied', 'by the file watch'],
};

/** Keys one line of a plan names; past them it says how many more (a reload that sets 900 variables). */
const FIELDS_SHOWN = 10;

/** Lines of a plan its journal entry keeps (the journal holds 10,000 entries); past them, how many more. */
const JOURNAL_LINES = 20;

/** `a, b, c` or, past FIELDS_SHOWN, `a, b, ... and 890 more`. */
function fieldList(fields: string[]): string {
  if (fields.length <= FIELDS_SHOWN) return fields.join(', ');
  return `${fields.slice(0, FIELDS_SHOWN).join(', ')} and ${fields.length - FIELDS_SHOWN} more`;
}

/**
 * Why: a change of an instance that is not restarted by it (at rest, wanted down, a task between
 * runs) showed as a change and nothing moved; the words say when it applies.
 */
function atRest(i: Instance, fresh: InstanceSpec): string {
  // a task that keeps its schedule (one the edit makes a service is started or ended by replaceSpec)
  if (hasSchedule(fresh) && i.state === 'scheduled') return 'from its next run';
  if (i.state === 'pending' || i.state === 'backoff') return 'at its next start';
  return `not restarted: it is ${stateWords(i.state)} (tend start ${i.id})`;
}

/** A plan as one journal line: its lines joined by "; ", at most JOURNAL_LINES of them. */
function journalText(text: string): string {
  const lines = text.split('\n');
  if (lines.length <= JOURNAL_LINES) return lines.join('; ');
  return [...lines.slice(0, JOURNAL_LINES - 1), `and ${lines.length - JOURNAL_LINES + 1} more lines`].join('; ');
}

/** The words of a reload plan, one line a change; a "~" line names the keys that changed. */
export function planText(p: ReloadPlan): string {
  const lines: string[] = [];
  if (p.matches) {
    const m = p.matches;
    const [verb, by] = APPLIED_BY[m.by];
    // what that change was: a reload right after an editor's save (the watch applied it) says it
    const what = m.plan ? `: ${m.plan}` : '';
    lines.push(`the running config already matches ${m.file} (${verb} ${formatDuration(m.ago)} ago ${by}${what})`);
  }
  for (const a of p.added) lines.push(`+ ${a}`);
  for (const a of p.removed) lines.push(`- ${a}`);
  for (const c of p.changed) {
    const then = c.runsAgain ? '; runs again' : c.atRest ? `; ${c.atRest}` : '';
    lines.push(`~ ${c.id} (${fieldList(c.fields)}${then})`);
  }
  for (const c of p.inPlace) lines.push(`~ ${c.id} (${fieldList(c.fields)}; applied in place, no restart)`);
  lines.push(`= ${p.unchanged} unchanged`);
  for (const s of p.settings) lines.push(`~ settings.${s} (${p.dryRun ? 'applies at once' : 'applied'})`);
  for (const s of p.needsRestart) lines.push(`! settings.${s} changed: needs a restart of tend to apply`);
  if (p.dryRun) lines.push('(dry run: nothing was changed)');
  return lines.join('\n');
}

/** How the journal names what started a reload (its line already says "reload"). */
const SOURCE_WORDS: Record<ReloadSource, string> = {
  'tend reload': 'on request',
  SIGHUP: 'on SIGHUP',
  'file changed': 'file changed',
};
export type ReloadSource = Exclude<ConfigSource, 'start-up'>;

/** Quiet time after the last reload before the garbage of its parse is collected. */
const GC_AFTER_RELOAD_MS = 1000;

/** Why: `tend reload`, SIGHUP and the file watch share one serialised path. A part: start() watches the file when settings.watch is on. */
export function createReloader(d: ReloadDeps) {
  let problem: string | undefined;
  let watcher: { close(): Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let gcTimer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let started = false; // before the services are in the store, a reload would add them itself
  let closed = false;

  async function apply(dryRun: boolean, source: ReloadSource): Promise<ReloadResult> {
    const by = SOURCE_WORDS[source];
    const old = d.config.spec;
    let next: Spec;
    try {
      next = d.config.withOverrides(await loadSpecOnDemand(old.file));
    } catch (e) {
      const msg = e instanceof ConfigError ? e.message : `${old.file}: ${(e as Error).message}`;
      if (!dryRun) {
        problem = msg;
        // one line, as every entry: `tend reload` and `tend status` print the whole list
        d.journal.add('tend', 'reload', `${by}: config rejected, keeping the running one: ${problemsInOneLine(msg)}`);
      }
      throw new TendError('invalid_config', msg);
    }
    // shutdown began while the file was read: nothing may start now
    if (closed && !dryRun) throw new TendError('shutting_down', 'tend is shutting down: reload refused');
    const diff = diffSpecs(old, next);
    const { sup } = d;
    const byId = new Map(expandInstances(next).map((i) => [i.id, i]));
    // these are read once at start-up: tell, do not pretend
    const differs = (k: keyof Spec['settings']): boolean => JSON.stringify(old.settings[k]) !== JSON.stringify(next.settings[k]);
    const needsRestart = (['socket', 'logDir', 'echo', 'watch', 'http', 'notifySocket', 'logFormat'] as const).filter(differs);
    // these apply at once (the supervisor and the shutdown read them when they need them)
    const appliedSettings = (['shutdownTimeout', 'exitWith', 'pools', 'maxParallel'] as const).filter(differs);
    const plan: ReloadPlan = {
      added: diff.added,
      removed: diff.removed,
      changed: diff.changed.map((c) => {
        const i = sup.store.get(c.id);
        const next = i === undefined ? undefined : sup.processChange(i);
        const fresh = byId.get(c.id)!;
        return { ...c, runsAgain: next === 'run again', ...(i && next === 'next start' ? { atRest: atRest(i, fresh) } : {}) };
      }),
      inPlace: diff.inPlace.map((id) => {
        const was = sup.store.get(id)?.inst.spec;
        return { id, fields: was ? inPlaceFields(was, byId.get(id)!.spec) : [] };
      }),
      unchanged: diff.unchanged.length,
      needsRestart: needsRestart.map(yamlKey),
      settings: appliedSettings.map(yamlKey),
      dryRun,
    };
    const changes =
      plan.added.length +
      plan.removed.length +
      plan.changed.length +
      plan.inPlace.length +
      plan.needsRestart.length +
      plan.settings.length;
    if (changes === 0) {
      const { at, by: how, plan: what } = d.config.applied;
      plan.matches = { file: basename(old.file), ago: Date.now() - at, by: how, ...(what ? { plan: what } : {}) };
    }
    const result: ReloadResult = {
      text: planText(plan),
      added: plan.added,
      removed: plan.removed,
      changed: diff.changed,
      in_place: diff.inPlace,
      runs_again: plan.changed.filter((c) => c.runsAgain).map((c) => c.id),
      unchanged: plan.unchanged,
      needs_restart: plan.needsRestart,
      settings: plan.settings,
      dry_run: dryRun,
    };
    if (dryRun) return result;

    problem = undefined;
    const keep = { ...next.settings };
    for (const k of needsRestart) (keep as Record<string, unknown>)[k] = old.settings[k];
    // the plan in one line, without its "= N unchanged" (said again by a reload that finds nothing)
    const applied = journalText(
      result.text
        .split('\n')
        .filter((l) => !l.startsWith('= '))
        .join('\n'),
    );
    d.config.set({ ...next, settings: keep }, source, changes > 0, Date.now(), applied);

    // the Supervisor decides what each change means for the instance (restart, run again, in place)
    const hand = (id: string, processChanged: boolean): void => {
      if (!sup.store.has(id)) return;
      sup.replaceSpec(byId.get(id)!, processChanged);
      d.retuneLog(byId.get(id)!);
    };
    for (const id of [...diff.inPlace, ...diff.unchanged]) hand(id, false);
    for (const c of diff.changed) hand(c.id, true);
    sup.retire(diff.removed, d.forget);
    // added: new instances (autostart decides); one still stopping from a removal comes back
    const fresh: InstanceSpec[] = [];
    for (const id of diff.added) {
      if (sup.store.has(id)) hand(id, true);
      else fresh.push(byId.get(id)!);
    }
    // ... once what the reload removed has stopped (a renamed service frees its port first)
    sup.add(
      fresh,
      undefined,
      diff.removed.filter((id) => sup.store.has(id)),
    );
    sup.order([...byId.keys()]); // status lists them as the config does (worker.3 beside worker.2)
    // a save that changed nothing (or a change `tend reload` applied first) is not news
    if (changes > 0 || source !== 'file changed') d.journal.add('tend', 'reload', `${by}: ${journalText(result.text)}`);
    return result;
  }

  const reloader = {
    name: 'config watch',
    /** Reloads may begin (the services are in the store); watches the file when settings.watch is on. */
    start(): void {
      started = true;
      if (d.config.spec.settings.watch) reloader.watch();
    },
    /** Reloads (serialised: one at a time). Throws TendError('invalid_config') on a bad file. */
    reload(dryRun: boolean, source: ReloadSource): Promise<ReloadResult> {
      if (closed) return Promise.reject(new TendError('shutting_down', 'tend is shutting down: reload refused'));
      if (!started) return Promise.reject(new TendError('starting', 'tend is still starting: reload refused'));
      const p = running.then(() => apply(dryRun, source));
      running = p.catch(() => {});
      // the parser was let go: return its memory once a burst of reloads (an editor's saves) is over
      void running.then(() => {
        clearTimeout(gcTimer);
        gcTimer = setTimeout(collectGarbage, GC_AFTER_RELOAD_MS).unref();
      });
      return p;
    },
    problem: () => problem,
    /** Watches the config and its env_files (chokidar), debounced. */
    watch(): void {
      void (async () => {
        const { watch } = await import('chokidar');
        if (closed) return;
        const files = watchedFiles(d.config.spec);
        const w = watch(files, {
          ignoreInitial: true,
          awaitWriteFinish: { stabilityThreshold: WRITE_SETTLE_MS, pollInterval: 10 },
        });
        // a file reached through links is also watched where the links are (a ConfigMap's swap)
        const real = new Map(files.map((f) => [f, realOf(f)]));
        const links = linkWatch(changed);
        links.set(files);
        // an edit made after tend read the file but before the watch was armed (chokidar loads
        // and scans first) is not an event: the files' times tell it, and for a file reached
        // through links (a swap changes no time) the file is read again (a no-op when the same)
        w.on('ready', () => {
          if (links.any() || files.some((f) => modifiedSince(f, performance.timeOrigin, false))) changed();
        });
        w.on('all', changed);
        watcher = { close: () => (links.close(), w.close()) };
        function changed(): void {
          clearTimeout(timer);
          timer = setTimeout(() => {
            // then watch the file again (an editor may have renamed a new one over it), and what
            // the running config names now (an env_file a reload added)
            void reloader
              .reload(false, 'file changed')
              .catch(() => {})
              .then(() => {
                if (closed) return;
                const files = watchedFiles(d.config.spec);
                // a file whose links now lead elsewhere is watched there (a watch follows the old link)
                for (const f of files) {
                  const r = realOf(f);
                  if (real.has(f) && real.get(f) !== r) w.unwatch(f);
                  real.set(f, r);
                }
                w.add(files);
                links.set(files);
              });
          }, 100);
        }
      })();
    },
    /** No reload may start anything from now on (shutdown). */
    close(): void {
      closed = true;
      clearTimeout(timer);
      clearTimeout(gcTimer);
      void watcher?.close();
    },
  };
  return reloader;
}

/** The files an edit of which reloads: the config and its env_files. */
function watchedFiles(s: Spec): string[] {
  return [s.file, ...new Set(s.services.flatMap((x) => x.envFiles))];
}

/**
 * How long a watched file must stay the same before it is read: a file written in steps (a
 * truncate, then the new text) is read once whole, as long as the steps come closer than this.
 */
export const WRITE_SETTLE_MS = 300;

/** The file `file` is now (its links followed), or itself when it cannot be resolved. */
function realOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * Watches the folders that hold the links leading to the files (sys/symlinks.ts), calling
 * `changed` when one of those links is replaced. `set` makes the watches those of the files now.
 */
function linkWatch(changed: () => void): { set(files: readonly string[]): void; any(): boolean; close(): void } {
  const watching = new Map<string, { names: Set<string>; w: FSWatcher }>();
  return {
    any: () => watching.size > 0,
    set(files) {
      const want = new Map<string, Set<string>>();
      for (const f of files) {
        for (const [dir, names] of linksOf(f)) {
          const all = want.get(dir) ?? new Set<string>();
          for (const n of names) all.add(n);
          want.set(dir, all);
        }
      }
      for (const [dir, x] of watching) {
        if (want.has(dir)) continue;
        x.w.close();
        watching.delete(dir);
      }
      for (const [dir, names] of want) {
        const had = watching.get(dir);
        if (had) {
          had.names = names;
          continue;
        }
        try {
          const entry = { names, w: fsWatch(dir, { persistent: false }) };
          entry.w.on('change', (_event, name) => {
            if (entry.names.has(String(name))) changed();
          });
          entry.w.on('error', () => {
            entry.w.close();
            watching.delete(dir);
          });
          watching.set(dir, entry);
        } catch {
          // a folder that cannot be watched: the file's own watch is what is left
        }
      }
    },
    close() {
      for (const x of watching.values()) x.w.close();
      watching.clear();
    },
  };
}
