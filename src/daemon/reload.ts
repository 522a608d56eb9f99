// Hot reload: one path for `tend reload`, SIGHUP and file edits. Re-reads the config, diffs it
// per instance and converges touching only what changed. A broken file changes nothing.
import { diffSpecs, inPlaceFields } from '../config/diff.js';
import { loadSpecOnDemand } from '../config/on-demand.js';
import { collectGarbage } from './memory.js';
import { ConfigError, TendError } from '../core/errors.js';
import type { Journal } from '../core/journal.js';
import type { InstanceSpec, Spec } from '../core/types.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import type { ReloadResult } from '../control/wire.js';

export interface ReloadDeps {
  sup: Supervisor;
  journal: Journal;
  current(): Spec;
  setSpec(s: Spec): void;
  instances(s: Spec): InstanceSpec[];
  /** an instance left the config and has stopped: close its log, remove its cgroup */
  forget(id: string): void;
}

export type { ReloadResult };

/** What a reload does, per line of its plan. */
export interface ReloadPlan {
  added: string[];
  removed: string[];
  changed: Array<{ id: string; fields: string[]; runsAgain: boolean }>;
  inPlace: Array<{ id: string; fields: string[] }>;
  unchanged: number;
  needsRestart: string[];
  dryRun: boolean;
}

/** The words of a reload plan, one line a change; a "~" line names the keys that changed. */
export function planText(p: ReloadPlan): string {
  const lines: string[] = [];
  for (const a of p.added) lines.push(`+ ${a}`);
  for (const a of p.removed) lines.push(`- ${a}`);
  for (const c of p.changed) lines.push(`~ ${c.id} (${c.fields.join(', ')}${c.runsAgain ? '; runs again' : ''})`);
  for (const c of p.inPlace) lines.push(`~ ${c.id} (${c.fields.join(', ')}; applied in place, no restart)`);
  lines.push(`= ${p.unchanged} unchanged`);
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
export type ReloadSource = 'tend reload' | 'SIGHUP' | 'file changed';

/** Quiet time after the last reload before the garbage of its parse is collected. */
const GC_AFTER_RELOAD_MS = 1000;

export function createReloader(d: ReloadDeps) {
  let problem: string | undefined;
  let watcher: { close(): Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let gcTimer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function apply(dryRun: boolean, source: ReloadSource): Promise<ReloadResult> {
    const by = SOURCE_WORDS[source];
    const old = d.current();
    let next: Spec;
    try {
      next = await loadSpecOnDemand(old.file);
    } catch (e) {
      const msg = e instanceof ConfigError ? e.message : `${old.file}: ${(e as Error).message}`;
      if (!dryRun) {
        problem = msg;
        d.journal.add('tend', 'reload', `${by}: config rejected, keeping the running one: ${msg}`);
      }
      throw new TendError('invalid_config', msg);
    }
    const diff = diffSpecs(old, next);
    const { sup } = d;
    const byId = new Map(d.instances(next).map((i) => [i.id, i]));
    // these are read once at start-up: tell, do not pretend
    const needsRestart = (['socket', 'logDir', 'echo', 'watch', 'http', 'notifySocket'] as const).filter((k) => JSON.stringify(old.settings[k]) !== JSON.stringify(next.settings[k]));
    const plan: ReloadPlan = {
      added: diff.added,
      removed: diff.removed,
      changed: diff.changed.map((c) => {
        const i = sup.store.get(c.id);
        return { ...c, runsAgain: i !== undefined && sup.processChange(i) === 'run again' };
      }),
      inPlace: diff.inPlace.map((id) => {
        const was = sup.store.get(id)?.inst.spec;
        return { id, fields: was ? inPlaceFields(was, byId.get(id)!.spec) : [] };
      }),
      unchanged: diff.unchanged.length,
      needsRestart: needsRestart.map((k) => (k === 'logDir' ? 'log_dir' : k === 'notifySocket' ? 'notify_socket' : k)),
      dryRun,
    };
    const result: ReloadResult = {
      text: planText(plan),
      added: plan.added,
      removed: plan.removed,
      changed: diff.changed,
      in_place: diff.inPlace,
      runs_again: plan.changed.filter((c) => c.runsAgain).map((c) => c.id),
      unchanged: plan.unchanged,
      needs_restart: plan.needsRestart,
      dry_run: dryRun,
    };
    if (dryRun) return result;

    problem = undefined;
    const keep = { ...next.settings };
    for (const k of needsRestart) (keep as Record<string, unknown>)[k] = old.settings[k];
    d.setSpec({ ...next, settings: keep });

    // the Supervisor decides what each change means for the instance (restart, run again, in place)
    const hand = (id: string, processChanged: boolean): void => {
      if (sup.store.has(id)) sup.replaceSpec(byId.get(id)!, processChanged);
    };
    for (const id of [...diff.inPlace, ...diff.unchanged]) hand(id, false);
    for (const c of diff.changed) hand(c.id, true);
    sup.retire(diff.removed, d.forget);
    // added: new instances (autostart decides); one still stopping from a removal comes back
    const fresh: InstanceSpec[] = [];
    for (const id of diff.added) {
      if (sup.store.has(id)) sup.replaceSpec(byId.get(id)!, true);
      else fresh.push(byId.get(id)!);
    }
    sup.add(fresh);
    d.journal.add('tend', 'reload', `${by}: ${result.text.replace(/\n/g, '; ')}`);
    return result;
  }

  const reloader = {
    /** Reloads (serialised: one at a time). Throws TendError('invalid_config') on a bad file. */
    reload(dryRun: boolean, source: ReloadSource): Promise<ReloadResult> {
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
        const s = d.current();
        const files = [s.file, ...new Set(s.services.flatMap((x) => x.envFiles))];
        const w = watch(files, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 } });
        w.on('all', () => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            reloader.reload(false, 'file changed').catch(() => {});
            const now = d.current();
            w.add([now.file, ...now.services.flatMap((x) => x.envFiles)]);
          }, 100);
        });
        watcher = w;
      })();
    },
    close(): void {
      clearTimeout(timer);
      clearTimeout(gcTimer);
      void watcher?.close();
    },
  };
  return reloader;
}
