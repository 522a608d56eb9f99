// Hot reload: one path for `tend reload`, SIGHUP and file edits. Re-reads the config, diffs it
// per instance and converges touching only what changed. A broken file changes nothing.
import { diffSpecs } from '../config/diff.js';
import { loadSpecOnDemand } from '../config/on-demand.js';
import { collectGarbage } from './memory.js';
import { ConfigError, TendError } from '../core/errors.js';
import type { Journal } from '../core/journal.js';
import type { InstanceSpec, Spec } from '../core/types.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import type { ReloadResult } from '../control/wire.js';
import { isAlive } from '../core/instance.js';

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

/** The words of a reload plan, one line a change. */
export function planText(r: Omit<ReloadResult, 'text'>): string {
  const lines: string[] = [];
  for (const a of r.added) lines.push(`+ ${a}`);
  for (const a of r.removed) lines.push(`- ${a}`);
  for (const c of r.changed) lines.push(`~ ${c.id} (${c.fields.join(', ')})`);
  for (const c of r.in_place) lines.push(`~ ${c} (applied in place, no restart)`);
  lines.push(`= ${r.unchanged} unchanged`);
  for (const s of r.needs_restart) lines.push(`! settings.${s} changed: needs a restart of tend to apply`);
  if (r.dry_run) lines.push('(dry run: nothing was changed)');
  return lines.join('\n');
}

/** Quiet time after the last reload before the garbage of its parse is collected. */
const GC_AFTER_RELOAD_MS = 1000;

export function createReloader(d: ReloadDeps) {
  let problem: string | undefined;
  let watcher: { close(): Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let gcTimer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function apply(dryRun: boolean, source: string): Promise<ReloadResult> {
    const old = d.current();
    let next: Spec;
    try {
      next = await loadSpecOnDemand(old.file);
    } catch (e) {
      const msg = e instanceof ConfigError ? e.message : `${old.file}: ${(e as Error).message}`;
      if (!dryRun) {
        problem = msg;
        d.journal.add('tend', 'reload', `${source}: config rejected, keeping the running one: ${msg}`);
      }
      throw new TendError('invalid_config', msg);
    }
    const diff = diffSpecs(old, next);
    // these are read once at start-up: tell, do not pretend
    const needsRestart = (['socket', 'logDir', 'echo', 'watch'] as const).filter((k) => old.settings[k] !== next.settings[k]);
    const res = {
      added: diff.added,
      removed: diff.removed,
      changed: diff.changed,
      in_place: diff.inPlace,
      unchanged: diff.unchanged.length,
      needs_restart: needsRestart.map((k) => (k === 'logDir' ? 'log_dir' : k)),
      dry_run: dryRun,
    };
    const result: ReloadResult = { ...res, text: planText(res) };
    if (dryRun) return result;

    problem = undefined;
    const keep = { ...next.settings };
    for (const k of needsRestart) (keep as Record<string, unknown>)[k] = old.settings[k];
    d.setSpec({ ...next, settings: keep });

    const byId = new Map(d.instances(next).map((i) => [i.id, i]));
    const { sup } = d;
    // in place: new probes / policy / deps, same process
    for (const id of [...diff.inPlace, ...diff.unchanged]) {
      const i = sup.store.get(id);
      const n = byId.get(id);
      if (!i || !n) continue;
      const probes = JSON.stringify([i.inst.spec.readiness, i.inst.spec.liveness]);
      i.inst = n;
      if (probes !== JSON.stringify([n.spec.readiness, n.spec.liveness])) sup.reprobe(i);
    }
    // changed: new spec, then restart when it runs
    const restart = [];
    for (const c of diff.changed) {
      const i = sup.store.get(c.id);
      const n = byId.get(c.id);
      if (!i || !n) continue;
      i.inst = n;
      if (isAlive(i.state)) restart.push(i);
    }
    sup.restart(restart);
    // removed: stop, then forget
    const gone = diff.removed.map((id) => sup.store.get(id)).filter((i) => i !== undefined);
    sup.stop(gone);
    const drop = (id: string): void => {
      sup.remove(id);
      d.forget(id);
    };
    for (const i of gone) {
      if (!isAlive(i.state)) drop(i.id);
      else {
        const off = sup.onChange((x) => {
          if (x !== i || isAlive(x.state)) return;
          off();
          // re-added by a later reload meanwhile: it stays
          if (sup.store.get(i.id) === i && i.want === 'down') drop(i.id);
        });
      }
    }
    // added: new instances (autostart decides); one still stopping from a removal comes back
    const fresh: InstanceSpec[] = [];
    for (const id of diff.added) {
      const back = sup.store.get(id);
      if (!back) fresh.push(byId.get(id)!);
      else {
        back.inst = byId.get(id)!;
        sup.start([back]);
      }
    }
    sup.add(fresh);
    d.journal.add('tend', 'reload', `${source}: ${result.text.replace(/\n/g, '; ')}`);
    return result;
  }

  const reloader = {
    /** Reloads (serialised: one at a time). Throws TendError('invalid_config') on a bad file. */
    reload(dryRun: boolean, source: string): Promise<ReloadResult> {
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
